package auth

import (
	"context"
	"database/sql"
	"time"

	"github.com/gamend-go/gamend/persistence"
)

// SessionInfo describes one browser session token for the admin API:
// never the token itself.
type SessionInfo struct {
	ID              string
	UserID          string
	Username        string
	DisplayName     string
	UserEmail       string
	Context         string
	InsertedAt      time.Time
	AuthenticatedAt *time.Time
}

// ListSessions returns a page of browser sessions (users_tokens rows of
// context "session"), newest first, with their users, and the total count.
func (s *Service) ListSessions(ctx context.Context, limit, offset int) ([]SessionInfo, int, error) {
	var total int
	if err := s.db.QueryRow(ctx, `SELECT count(*) FROM users_tokens WHERE context = ?`, ContextSession).Scan(&total); err != nil {
		return nil, 0, err
	}
	rows, err := s.db.Query(ctx, `SELECT t.id, t.user_id, u.username, u.display_name, u.email, t.context, t.inserted_at, t.authenticated_at
		FROM users_tokens t JOIN users u ON u.id = t.user_id
		WHERE t.context = ? ORDER BY t.inserted_at DESC, t.id DESC LIMIT ? OFFSET ?`, ContextSession, limit, offset)
	if err != nil {
		return nil, 0, err
	}
	defer rows.Close()
	out := []SessionInfo{}
	for rows.Next() {
		var si SessionInfo
		var email sql.NullString
		if err := rows.Scan(&si.ID, &si.UserID, &si.Username, &si.DisplayName, &email, &si.Context, &si.InsertedAt, &si.AuthenticatedAt); err != nil {
			return nil, 0, err
		}
		si.UserEmail = email.String
		si.InsertedAt = si.InsertedAt.UTC()
		out = append(out, si)
	}
	return out, total, rows.Err()
}

// DeleteSession deletes one browser session by id (ErrNotFound when there
// is no session with that id).
func (s *Service) DeleteSession(ctx context.Context, id string) error {
	if !persistence.ValidID(id) {
		return ErrNotFound
	}
	var n int64
	err := s.store.Do(ctx, "session:"+id, func(ctx context.Context, tx *persistence.Tx) error {
		res, err := tx.Exec(ctx, `DELETE FROM users_tokens WHERE id = ? AND context = ?`, id, ContextSession)
		if err != nil {
			return err
		}
		n, err = res.RowsAffected()
		return err
	})
	if err == nil && n == 0 {
		return ErrNotFound
	}
	return err
}

// DeleteUserSessions deletes every browser session of a user and returns
// how many there were. JWTs stay valid (use RevokeAllTokens for those).
func (s *Service) DeleteUserSessions(ctx context.Context, userID string) (int, error) {
	if !persistence.ValidID(userID) {
		return 0, nil
	}
	var n int64
	err := s.store.Do(ctx, "user:"+userID, func(ctx context.Context, tx *persistence.Tx) error {
		res, err := tx.Exec(ctx, `DELETE FROM users_tokens WHERE user_id = ? AND context = ?`, userID, ContextSession)
		if err != nil {
			return err
		}
		n, err = res.RowsAffected()
		return err
	})
	return int(n), err
}
