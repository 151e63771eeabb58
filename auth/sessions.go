package auth

import (
	"context"
	"errors"
	"sort"
	"time"

	"github.com/gamend-go/gamend/persistence"
	"github.com/gamend-go/gamend/persistence/users"
)

// ErrSessionInvalid: a browser session token that is malformed, unknown,
// expired or revoked, or whose account may no longer sign in.
var ErrSessionInvalid = errors.New("auth: browser session invalid")

// Session is one browser session (a users_tokens row of context
// "session"). The token itself is never kept in memory or shown.
type Session struct {
	ID              string
	UserID          string
	AuthenticatedAt time.Time
	InsertedAt      time.Time
	ExpiresAt       time.Time
}

// CreateSession starts a browser session for an account that may sign in
// (ErrNotActivated otherwise) and returns its token (for the cookie) and
// row id. The user's expired tokens are pruned in the same transaction.
func (t *UserTokens) CreateSession(ctx context.Context, userID string) (token, id string, err error) {
	u, err := t.svc.User(ctx, userID)
	if err != nil {
		return "", "", err
	}
	if err := checkActive(u); err != nil {
		return "", "", err
	}
	token, hash := newToken()
	id, now := persistence.NewID(), persistence.Now()
	err = t.store.Do(ctx, "user:"+userID, func(ctx context.Context, tx *persistence.Tx) error {
		if err := pruneExpired(ctx, tx, userID); err != nil {
			return err
		}
		return insertToken(ctx, tx, id, userID, ContextSession, hash, "", &now, now)
	})
	if err != nil {
		return "", "", err
	}
	return token, id, nil
}

// pruneExpired deletes the user's tokens that are past their lifetime.
func pruneExpired(ctx context.Context, tx *persistence.Tx, userID string) error {
	rows, err := tx.Query(ctx, `SELECT id, context, inserted_at FROM users_tokens WHERE user_id = ?`, userID)
	if err != nil {
		return err
	}
	var dead []string
	for rows.Next() {
		var id, purpose string
		var at time.Time
		if err := rows.Scan(&id, &purpose, &at); err != nil {
			rows.Close()
			return err
		}
		if expired(at, purpose) {
			dead = append(dead, id)
		}
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return err
	}
	for _, id := range dead {
		if _, err := tx.Exec(ctx, `DELETE FROM users_tokens WHERE id = ?`, id); err != nil {
			return err
		}
	}
	return nil
}

// SessionUser returns the account and session of a session token:
// ErrSessionInvalid when the token is not a live session or the account is
// inactive.
func (t *UserTokens) SessionUser(ctx context.Context, token string) (*users.Row, *Session, error) {
	hash, ok := hashToken(token)
	if !ok {
		return nil, nil, ErrSessionInvalid
	}
	r, err := findToken(ctx, t.db, ContextSession, hash)
	if errors.Is(err, persistence.ErrNotFound) {
		return nil, nil, ErrSessionInvalid
	}
	if err != nil {
		return nil, nil, err
	}
	if expired(r.insertedAt, ContextSession) {
		return nil, nil, ErrSessionInvalid
	}
	u, err := users.Get(ctx, t.db, r.userID)
	if errors.Is(err, persistence.ErrNotFound) {
		return nil, nil, ErrSessionInvalid
	}
	if err != nil {
		return nil, nil, err
	}
	if !Active(u) {
		return nil, nil, ErrSessionInvalid
	}
	return u, sessionOf(r), nil
}

func sessionOf(r *tokenRow) *Session {
	s := &Session{ID: r.id, UserID: r.userID, InsertedAt: r.insertedAt.UTC(), ExpiresAt: r.insertedAt.Add(SessionTTL).UTC()}
	s.AuthenticatedAt = s.InsertedAt
	if r.authenticatedAt != nil {
		s.AuthenticatedAt = r.authenticatedAt.UTC()
	}
	return s
}

// Sessions lists the user's live browser sessions, newest first.
func (t *UserTokens) Sessions(ctx context.Context, userID string) ([]Session, error) {
	rows, err := t.db.Query(ctx, `SELECT id, user_id, sent_to, authenticated_at, inserted_at FROM users_tokens WHERE user_id = ? AND context = ?`,
		userID, ContextSession)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []Session
	for rows.Next() {
		var r tokenRow
		var sentTo *string
		if err := rows.Scan(&r.id, &r.userID, &sentTo, &r.authenticatedAt, &r.insertedAt); err != nil {
			return nil, err
		}
		if !expired(r.insertedAt, ContextSession) {
			out = append(out, *sessionOf(&r))
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].ID > out[j].ID }) // UUIDv7: newest first
	return out, rows.Err()
}

// RevokeSession ends one of the user's sessions by row id
// (ErrSessionInvalid when the user has no such session).
func (t *UserTokens) RevokeSession(ctx context.Context, userID, id string) error {
	if !persistence.ValidID(id) {
		return ErrSessionInvalid
	}
	n, err := t.deleteWhere(ctx, userID, `DELETE FROM users_tokens WHERE id = ? AND user_id = ? AND context = ?`, id, userID, ContextSession)
	if err == nil && n == 0 {
		return ErrSessionInvalid
	}
	return err
}

// EndSession deletes the session of token (log-out); an unknown token is
// not an error.
func (t *UserTokens) EndSession(ctx context.Context, token string) error {
	hash, ok := hashToken(token)
	if !ok {
		return nil
	}
	r, err := findToken(ctx, t.db, ContextSession, hash)
	if errors.Is(err, persistence.ErrNotFound) {
		return nil
	}
	if err != nil {
		return err
	}
	_, err = t.deleteWhere(ctx, r.userID, `DELETE FROM users_tokens WHERE id = ?`, r.id)
	return err
}

// RevokeSessions ends every session of the user except keepID ("" = all).
// Password changes use it; JWTs are revoked separately (token_version).
func (t *UserTokens) RevokeSessions(ctx context.Context, userID, keepID string) error {
	q, args := `DELETE FROM users_tokens WHERE user_id = ? AND context = ?`, []any{userID, ContextSession}
	if keepID != "" {
		q, args = q+` AND id <> ?`, append(args, keepID)
	}
	_, err := t.deleteWhere(ctx, userID, q, args...)
	return err
}

func (t *UserTokens) deleteWhere(ctx context.Context, userID, query string, args ...any) (int64, error) {
	var n int64
	err := t.store.Do(ctx, "user:"+userID, func(ctx context.Context, tx *persistence.Tx) error {
		res, err := tx.Exec(ctx, query, args...)
		if err != nil {
			return err
		}
		n, err = res.RowsAffected()
		return err
	})
	return n, err
}
