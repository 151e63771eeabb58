package auth

import (
	"context"

	"github.com/gamend-go/gamend/persistence"
	"github.com/gamend-go/gamend/persistence/users"
)

// firstAdminLockKey is the PostgreSQL advisory lock that serializes the
// "first account ever is an administrator" decision across nodes
// (arbitrary, stable; distinct from the migration lock).
const firstAdminLockKey = 727_465_002

// insertUser creates an account inside tx (users.Insert) and makes the
// first-account rule of API.md §2.3 atomic: whatever the number of nodes
// signing people up at once, exactly one of the first accounts is an
// administrator.
//
// users.Insert makes the account an administrator when it counts no users.
// On SQLite that count is exact (one writer connection serializes every
// write transaction). On PostgreSQL two transactions on different nodes
// (or different write-behind shards) can both count zero before either
// commits. So an account that came out as the administrator takes a
// transaction-scoped advisory lock, held until its transaction ends, and
// then looks again for any other account, which it now sees if a rival
// committed first (READ COMMITTED: each statement reads the latest
// commits). If there is one, this account is not the first after all and
// becomes an ordinary one (inactive when activation is required). The
// rival, if still uncommitted, holds the lock, so the later of two
// candidates always sees the earlier. Only the very first sign-ups of a
// database ever take the lock.
func insertUser(ctx context.Context, tx *persistence.Tx, n users.New) (*users.Row, error) {
	row, err := users.Insert(ctx, tx, n)
	if err != nil || !row.IsAdmin {
		return row, err
	}
	if tx.Dialect().Name() == "postgres" {
		if _, err := tx.Exec(ctx, `SELECT pg_advisory_xact_lock(?)`, firstAdminLockKey); err != nil {
			return nil, err
		}
	}
	var others bool
	if err := tx.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM users WHERE id <> ?)`, row.ID).Scan(&others); err != nil {
		return nil, err
	}
	if !others {
		return row, nil
	}
	if _, err := tx.Exec(ctx, `UPDATE users SET is_admin = ?, is_activated = ? WHERE id = ?`, false, !n.RequireActivation, row.ID); err != nil {
		return nil, err
	}
	return users.Get(ctx, tx, row.ID)
}
