// Package user is the user domain: the profile service (Profiles) that
// reads and changes a user's public profile and admin flags, searches
// users, and deletes accounts; and, later, the user actor that owns
// presence (online state, last seen) for connected users.
//
// Identity (e-mail, password, provider and device ids, token_version) is
// owned by package auth; both write the same users row through the
// write-behind queue under the key "user:<id>", so their writes to one user
// are applied in submission order.
//
// Profile changes are single-row writes, so they go straight to the store
// (DESIGN.md: a single-row atomic write may skip the actor). Every write is
// acknowledged only after its transaction committed; the notification
// hooks (OnUpdated, OnDeleted, OnActivated) run after that, never before.
//
// Extension points for features that do not exist yet: BeforeUpdate (the
// before_user_update server hook), BeforeDelete and DeleteInTx (lobby,
// party, group and chat clean-up when an account is deleted).
package user
