package main

import (
	"context"

	"github.com/gamend-go/gamend/actors/user"
	"github.com/gamend-go/gamend/persistence"
	"github.com/gamend-go/gamend/persistence/users"
)

// mountUsers builds the profile service of the user domain and registers
// /me, /users and the admin user and session routes. Call it after the
// auth service exists. Account changes made by auth (password, device,
// providers) are routed into the profile service's single notification
// point, so realtime subscribers only subscribe to profiles.OnUpdated.
// Deleting an account also deletes its friend DMs (deleteFriendMessagesTx).
func mountUsers(a *app) *user.Profiles {
	cfg := a.cfg
	profiles := user.NewProfiles(a.queue, user.Options{
		Limits: user.Limits{
			MaxDisplayName:  cfg.Limits.MaxDisplayName,
			MinUsername:     cfg.Limits.MinUsername,
			MaxUsername:     cfg.Limits.MaxUsername,
			MaxMetadataSize: cfg.Limits.MaxMetadataSize,
		},
		Logger: a.log.With("component", "users"),
	})
	prev := a.auth.OnUserChanged
	a.auth.OnUserChanged = func(userID string) {
		if prev != nil {
			prev(userID)
		}
		profiles.NotifyUpdated(userID)
	}
	profiles.DeleteInTx(deleteFriendMessagesTx)
	a.http.MountMe(a.auth, profiles)
	a.http.MountUsers(profiles, func() bool { return cfg.Features.ListUsers })
	a.http.MountAdminUsers(a.auth, profiles)
	return profiles
}

// deleteFriendMessagesTx is the friend-DM clean-up of an account deletion
// (API.md §4.3 DELETE /me), run inside the deleting transaction: every
// friend message the user sent or received (chat_ref_id of a friend DM is
// the recipient's id, with no foreign key to cascade), and other users'
// read cursors on conversations with the user. Rows of the user's own
// (sender_id, user_id) would cascade anyway; deleting them here keeps the
// rule in one statement. Re-runnable, as DeleteTxFunc requires.
func deleteFriendMessagesTx(ctx context.Context, tx *persistence.Tx, u *users.Row) error {
	if _, err := tx.Exec(ctx, `DELETE FROM chat_read_cursors WHERE chat_type = 'friend' AND chat_ref_id = ?`, u.ID); err != nil {
		return err
	}
	_, err := tx.Exec(ctx, `DELETE FROM chat_messages WHERE chat_type = 'friend' AND (sender_id = ? OR chat_ref_id = ?)`, u.ID, u.ID)
	return err
}
