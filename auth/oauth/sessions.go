package oauth

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"errors"
	"sync/atomic"
	"time"

	"github.com/gamend-go/gamend/persistence"
	"github.com/gamend-go/gamend/persistence/writebehind"
)

// Session statuses (oauth_sessions.status).
const (
	StatusPending   = "pending"
	StatusCompleted = "completed"
	StatusError     = "error"
)

// DefaultSessionTTL is how long a session can be polled after creation.
const DefaultSessionTTL = 15 * time.Minute

// SessionData is the data column of an OAuth session. Exactly the fields
// of one outcome row of the §4.2 table are set; the poll answer lifts
// Message out and returns the rest as `data`.
type SessionData struct {
	LinkUserID   string `json:"link_user_id,omitempty"`
	AccessToken  string `json:"access_token,omitempty"`
	RefreshToken string `json:"refresh_token,omitempty"`
	ExpiresIn    int    `json:"expires_in,omitempty"`
	UserID       string `json:"user_id,omitempty"`
	Linked       bool   `json:"linked,omitempty"`
	Provider     string `json:"provider,omitempty"`
	Error        string `json:"error,omitempty"`
	Details      any    `json:"details,omitempty"`
	Message      string `json:"message,omitempty"`
}

// Session is one row of oauth_sessions.
type Session struct {
	ID         string // the public session_id
	Provider   string
	Status     string
	Data       SessionData
	InsertedAt time.Time
	UpdatedAt  time.Time
}

// Sessions stores the polling flow's sessions. A session is pending until
// its callback claims it (exactly once: the claim is a conditional write),
// then completed or error. Sessions older than the TTL are reported as not
// found and swept in the background. All writes go through the
// write-behind queue.
//
// A pending session whose updated_at equals its inserted_at is unclaimed;
// the claim moves updated_at forward, so a replayed callback (same state
// or code) finds it claimed and changes nothing.
type Sessions struct {
	db        *persistence.DB
	store     *writebehind.Queue
	ttl       time.Duration
	now       func() time.Time
	lastSweep atomic.Int64
}

// NewSessions returns the session store (ttl <= 0 means DefaultSessionTTL;
// now nil means time.Now).
func NewSessions(store *writebehind.Queue, ttl time.Duration, now func() time.Time) *Sessions {
	if ttl <= 0 {
		ttl = DefaultSessionTTL
	}
	if now == nil {
		now = time.Now
	}
	return &Sessions{db: store.DB(), store: store, ttl: ttl, now: now}
}

func (s *Sessions) clock() time.Time { return s.now().UTC().Truncate(time.Microsecond) }

// NewSessionID returns 32 random bytes, base64url without padding (43
// characters).
func NewSessionID() string {
	b := make([]byte, 32)
	_, _ = rand.Read(b) // crypto/rand.Read never fails
	return base64.RawURLEncoding.EncodeToString(b)
}

// Create stores a new pending session for provider with data ({} or
// {"link_user_id":…}).
func (s *Sessions) Create(ctx context.Context, provider string, data SessionData) (*Session, error) {
	s.maybeSweep()
	raw, err := json.Marshal(data)
	if err != nil {
		return nil, err
	}
	now := s.clock()
	sess := &Session{ID: NewSessionID(), Provider: provider, Status: StatusPending, Data: data, InsertedAt: now, UpdatedAt: now}
	err = s.store.Do(ctx, "oauth_session:"+sess.ID, func(ctx context.Context, tx *persistence.Tx) error {
		_, err := tx.Exec(ctx, `INSERT INTO oauth_sessions (id, session_id, provider, status, data, inserted_at, updated_at)
			VALUES (?, ?, ?, ?, ?, ?, ?)`, persistence.NewID(), sess.ID, provider, StatusPending, string(raw), now, now)
		return err
	})
	if err != nil {
		return nil, err
	}
	return sess, nil
}

const sessionColumns = `session_id, provider, status, data, inserted_at, updated_at`

func scanSession(row interface{ Scan(...any) error }) (*Session, error) {
	var (
		sess Session
		raw  []byte
	)
	if err := row.Scan(&sess.ID, &sess.Provider, &sess.Status, &raw, &sess.InsertedAt, &sess.UpdatedAt); err != nil {
		return nil, persistence.NotFound(err)
	}
	if len(raw) > 0 {
		if err := json.Unmarshal(raw, &sess.Data); err != nil {
			return nil, err
		}
	}
	sess.InsertedAt, sess.UpdatedAt = sess.InsertedAt.UTC(), sess.UpdatedAt.UTC()
	return &sess, nil
}

func (s *Sessions) expired(sess *Session) bool {
	return s.clock().Sub(sess.InsertedAt) >= s.ttl
}

// Get loads a session; ErrSessionNotFound when it does not exist or is
// older than the TTL.
func (s *Sessions) Get(ctx context.Context, id string) (*Session, error) {
	if id == "" || len(id) > 128 {
		return nil, ErrSessionNotFound
	}
	sess, err := scanSession(s.db.QueryRow(ctx, `SELECT `+sessionColumns+` FROM oauth_sessions WHERE session_id = ?`, id))
	if errors.Is(err, persistence.ErrNotFound) || (err == nil && s.expired(sess)) {
		return nil, ErrSessionNotFound
	}
	return sess, err
}

// Claim takes the pending, unclaimed, unexpired session id of provider for
// one callback and returns it. Anything else (unknown, expired, other
// provider, completed, already claimed) is ErrBadState and changes nothing.
func (s *Sessions) Claim(ctx context.Context, id, provider string) (*Session, error) {
	if id == "" || len(id) > 128 {
		return nil, ErrBadState
	}
	var sess *Session
	err := s.store.Do(ctx, "oauth_session:"+id, func(ctx context.Context, tx *persistence.Tx) error {
		sess = nil
		got, err := scanSession(tx.QueryRow(ctx, `SELECT `+sessionColumns+` FROM oauth_sessions WHERE session_id = ?`, id))
		if errors.Is(err, persistence.ErrNotFound) {
			return nil
		}
		if err != nil {
			return err
		}
		if got.Provider != provider || got.Status != StatusPending || !got.UpdatedAt.Equal(got.InsertedAt) || s.expired(got) {
			return nil
		}
		claimedAt := s.clock()
		if !claimedAt.After(got.InsertedAt) {
			claimedAt = got.InsertedAt.Add(time.Microsecond)
		}
		res, err := tx.Exec(ctx, `UPDATE oauth_sessions SET updated_at = ?
			WHERE session_id = ? AND status = ? AND updated_at = inserted_at`, claimedAt, id, StatusPending)
		if err != nil {
			return err
		}
		if n, err := res.RowsAffected(); err != nil || n != 1 {
			return err // lost the race to another claim
		}
		got.UpdatedAt = claimedAt
		sess = got
		return nil
	})
	if err != nil {
		return nil, err
	}
	if sess == nil {
		return nil, ErrBadState
	}
	return sess, nil
}

// Finish stores the outcome of a claimed session (status completed or
// error). It only ever changes a pending session.
func (s *Sessions) Finish(ctx context.Context, id, status string, data SessionData) error {
	raw, err := json.Marshal(data)
	if err != nil {
		return err
	}
	return s.store.Do(ctx, "oauth_session:"+id, func(ctx context.Context, tx *persistence.Tx) error {
		_, err := tx.Exec(ctx, `UPDATE oauth_sessions SET status = ?, data = ?, updated_at = ? WHERE session_id = ? AND status = ?`,
			status, string(raw), s.clock(), id, StatusPending)
		return err
	})
}

// maybeSweep deletes expired sessions at most once a minute per process,
// without waiting for the delete.
func (s *Sessions) maybeSweep() {
	now := s.clock()
	last := s.lastSweep.Load()
	if now.UnixNano()-last < int64(time.Minute) || !s.lastSweep.CompareAndSwap(last, now.UnixNano()) {
		return
	}
	cutoff := now.Add(-s.ttl)
	s.store.Submit("oauth_sessions:sweep", func(ctx context.Context, tx *persistence.Tx) error {
		_, err := tx.Exec(ctx, `DELETE FROM oauth_sessions WHERE inserted_at < ?`, cutoff)
		return err
	})
}
