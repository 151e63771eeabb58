// Package user is the user domain: the profile service (Profiles) that
// reads and changes a user's public profile and admin flags, searches
// users, and deletes accounts; and the user actor (Presence) that owns
// presence for connected users (API.md §5.3).
//
// A user actor lives while any of the user's user:{id} channels is joined,
// plus a grace period. The first channel brings the user online
// (is_online, last_seen_at), last_seen_at is refreshed every RefreshEvery
// (3 min) while online, and the last channel leaving takes the user
// offline. Each change is written first and announced after it is
// durable: to the user's channels (Deliverer), to online friends
// (friend_updated) and to presence hooks (PresenceHook, with the user's
// lobby, party and groups, for the features that show members). The
// Sweeper marks users offline whose last_seen_at went stale (a node died)
// and announces them the same way.
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
