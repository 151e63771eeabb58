package auth

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"database/sql"
	"encoding/base64"
	"errors"
	"strings"
	"time"

	"github.com/gamend-go/gamend/persistence"
	"github.com/gamend-go/gamend/persistence/users"
	"github.com/gamend-go/gamend/persistence/writebehind"
)

// Contexts of users_tokens rows (API.md §9).
const (
	ContextSession       = "session"
	ContextConfirm       = "confirm"
	ContextLogin         = "login"
	ContextResetPassword = "reset_password"
	// ContextChangeEmail is followed by the account's e-mail address at the
	// time the change was asked, so the token dies if that address changes.
	ContextChangeEmail = "change:"
)

// Lifetimes of users_tokens rows, counted from inserted_at.
const (
	SessionTTL       = 14 * 24 * time.Hour
	ConfirmTTL       = 7 * 24 * time.Hour
	LoginLinkTTL     = 15 * time.Minute
	ResetPasswordTTL = 24 * time.Hour
	ChangeEmailTTL   = 7 * 24 * time.Hour
)

// TokenTTL is the lifetime of a token of the given context.
func TokenTTL(purpose string) time.Duration {
	switch {
	case purpose == ContextSession:
		return SessionTTL
	case purpose == ContextConfirm:
		return ConfirmTTL
	case purpose == ContextLogin:
		return LoginLinkTTL
	case purpose == ContextResetPassword:
		return ResetPasswordTTL
	case strings.HasPrefix(purpose, ContextChangeEmail):
		return ChangeEmailTTL
	}
	return 0
}

// ErrLinkInvalid: an e-mail token that is malformed, unknown, expired,
// already used, or sent to an address the account no longer has.
var ErrLinkInvalid = errors.New("auth: link is invalid or it has expired")

// UserTokens keeps the users_tokens table: single-use e-mail tokens
// (confirmation, magic-link log-in, password reset, e-mail change) and
// browser sessions (sessions.go).
//
// Tokens are 32 random bytes handed out as 43 base64url characters; only
// their SHA-256 is stored (column token), so a database dump reveals no
// usable token. Every write goes through the write-behind queue, so a
// token or session returned to a caller is durable, and a consumed token is
// deleted in the same transaction as its effect (at most one use, even
// under concurrent clicks).
type UserTokens struct {
	svc   *Service
	db    *persistence.DB
	store *writebehind.Queue
}

// NewUserTokens returns the token store of svc's database.
func NewUserTokens(svc *Service) *UserTokens {
	return &UserTokens{svc: svc, db: svc.db, store: svc.store}
}

// newToken returns a fresh token and the hash that is stored for it.
func newToken() (string, []byte) {
	b := make([]byte, 32)
	_, _ = rand.Read(b) // crypto/rand never fails on supported platforms
	h := sha256.Sum256(b)
	return base64.RawURLEncoding.EncodeToString(b), h[:]
}

// hashToken returns the stored hash of token, or false when token is not
// the encoding of 32 bytes.
func hashToken(token string) ([]byte, bool) {
	if len(token) != 43 {
		return nil, false
	}
	b, err := base64.RawURLEncoding.DecodeString(token)
	if err != nil || len(b) != 32 {
		return nil, false
	}
	h := sha256.Sum256(b)
	return h[:], true
}

type tokenRow struct {
	id, userID, sentTo string
	authenticatedAt    *time.Time
	insertedAt         time.Time
}

func findToken(ctx context.Context, q persistence.Querier, purpose string, hash []byte) (*tokenRow, error) {
	var r tokenRow
	var sentTo sql.NullString
	err := q.QueryRow(ctx, `SELECT id, user_id, sent_to, authenticated_at, inserted_at FROM users_tokens WHERE context = ? AND token = ?`,
		purpose, hash).Scan(&r.id, &r.userID, &sentTo, &r.authenticatedAt, &r.insertedAt)
	if err != nil {
		return nil, persistence.NotFound(err)
	}
	r.sentTo = sentTo.String
	return &r, nil
}

func insertToken(ctx context.Context, tx *persistence.Tx, id, userID, purpose string, hash []byte, sentTo string, authAt *time.Time, now time.Time) error {
	_, err := tx.Exec(ctx, `INSERT INTO users_tokens (id, user_id, token, context, sent_to, authenticated_at, inserted_at) VALUES (?, ?, ?, ?, ?, ?, ?)`,
		id, userID, hash, purpose, users.Nullable(sentTo), authAt, now)
	return err
}

func expired(insertedAt time.Time, purpose string) bool {
	return !time.Now().Before(insertedAt.Add(TokenTTL(purpose)))
}

// UserByEmail finds the account with the e-mail address (ErrNotFound when
// none), for flows that must answer the same either way.
func (t *UserTokens) UserByEmail(ctx context.Context, email string) (*users.Row, error) {
	u, err := users.ByEmail(ctx, t.db, email)
	if errors.Is(err, persistence.ErrNotFound) {
		return nil, ErrNotFound
	}
	return u, err
}

// IssueEmailToken stores a new token of context (ContextConfirm,
// ContextLogin or ContextResetPassword) sent to u's current e-mail address
// and returns it for the link.
func (t *UserTokens) IssueEmailToken(ctx context.Context, u *users.Row, purpose string) (string, error) {
	if u.Email == "" || TokenTTL(purpose) == 0 || purpose == ContextSession || strings.HasPrefix(purpose, ContextChangeEmail) {
		return "", errors.New("auth: no e-mail token of purpose " + purpose + " for this account")
	}
	return t.issue(ctx, u.ID, purpose, u.Email)
}

func (t *UserTokens) issue(ctx context.Context, userID, purpose, sentTo string) (string, error) {
	token, hash := newToken()
	id, now := persistence.NewID(), persistence.Now()
	err := t.store.Do(ctx, "user:"+userID, func(ctx context.Context, tx *persistence.Tx) error {
		return insertToken(ctx, tx, id, userID, purpose, hash, sentTo, nil, now)
	})
	if err != nil {
		return "", err
	}
	return token, nil
}

// RequestEmailChange validates newEmail (format, length, not the current
// one, not taken) and, when the account has a password, currentPassword
// (ErrWrongPassword), then returns a token to mail to newEmail.
func (t *UserTokens) RequestEmailChange(ctx context.Context, u *users.Row, newEmail, currentPassword string) (string, error) {
	newEmail = strings.TrimSpace(newEmail)
	if verr := t.svc.ValidateEmail(newEmail); verr != nil {
		return "", verr
	}
	if strings.EqualFold(newEmail, u.Email) {
		return "", fieldError("email", "did not change")
	}
	if u.HasPassword() && !t.svc.pw.Check(string(u.HashedPassword), currentPassword) {
		return "", ErrWrongPassword
	}
	if _, err := users.ByEmail(ctx, t.db, newEmail); err == nil {
		return "", fieldError("email", "has already been taken")
	} else if !errors.Is(err, persistence.ErrNotFound) {
		return "", err
	}
	return t.issue(ctx, u.ID, ContextChangeEmail+u.Email, newEmail)
}

// verify checks token for context against q: it must exist, be younger
// than its lifetime and, for the e-mail contexts, have been sent to the
// account's current address.
func verify(ctx context.Context, q persistence.Querier, purpose, token string) (*users.Row, *tokenRow, error) {
	hash, ok := hashToken(token)
	if !ok {
		return nil, nil, ErrLinkInvalid
	}
	r, err := findToken(ctx, q, purpose, hash)
	if errors.Is(err, persistence.ErrNotFound) {
		return nil, nil, ErrLinkInvalid
	}
	if err != nil {
		return nil, nil, err
	}
	if expired(r.insertedAt, purpose) {
		return nil, nil, ErrLinkInvalid
	}
	u, err := users.Get(ctx, q, r.userID)
	if errors.Is(err, persistence.ErrNotFound) {
		return nil, nil, ErrLinkInvalid
	}
	if err != nil {
		return nil, nil, err
	}
	if !strings.HasPrefix(purpose, ContextChangeEmail) && (u.Email == "" || !strings.EqualFold(r.sentTo, u.Email)) {
		return nil, nil, ErrLinkInvalid
	}
	return u, r, nil
}

// PeekEmailToken reports whose token of context this is without using it
// (for the page that asks the user to confirm the action).
func (t *UserTokens) PeekEmailToken(ctx context.Context, purpose, token string) (*users.Row, error) {
	u, _, err := verify(ctx, t.db, purpose, token)
	return u, err
}

// consume verifies the token, runs check (which may refuse without using
// the token) and then, in one transaction, deletes the token and applies
// effect. It returns the user as stored afterwards.
func (t *UserTokens) consume(ctx context.Context, purpose, token string, check func(*users.Row) error,
	effect func(ctx context.Context, tx *persistence.Tx, u *users.Row, tok *tokenRow) error) (*users.Row, error) {
	pre, _, err := verify(ctx, t.db, purpose, token)
	if err != nil {
		return nil, err
	}
	if check != nil {
		if err := check(pre); err != nil {
			return nil, err
		}
	}
	var out *users.Row
	err = t.store.Do(ctx, "user:"+pre.ID, func(ctx context.Context, tx *persistence.Tx) error {
		u, tok, err := verify(ctx, tx, purpose, token)
		if err != nil {
			return err
		}
		res, err := tx.Exec(ctx, `DELETE FROM users_tokens WHERE id = ?`, tok.id)
		if err != nil {
			return err
		}
		if n, err := res.RowsAffected(); err != nil || n != 1 {
			return ErrLinkInvalid // used concurrently
		}
		if err := effect(ctx, tx, u, tok); err != nil {
			return err
		}
		out, err = users.Get(ctx, tx, u.ID)
		return err
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// confirmUser sets confirmed_at once; the first confirmation also ends
// every browser session of the account (one opened by whoever registered
// the address before its owner proved it).
func confirmUser(ctx context.Context, tx *persistence.Tx, u *users.Row) error {
	if u.ConfirmedAt != nil {
		return nil
	}
	now := persistence.Now()
	if _, err := tx.Exec(ctx, `UPDATE users SET confirmed_at = ?, updated_at = ? WHERE id = ?`, now, now, u.ID); err != nil {
		return err
	}
	_, err := tx.Exec(ctx, `DELETE FROM users_tokens WHERE user_id = ? AND context IN (?, ?)`, u.ID, ContextConfirm, ContextSession)
	return err
}

// endCredentialsTx ends, inside the transaction that changes or resets a
// password, every users_tokens row of the account: the e-mailed links of
// every kind (log-in, password reset, e-mail change, and confirmation, since
// using one signs its browser in) and every browser session except
// keepSession ("" = all). Whoever learnt the old password, or read a mail
// sent before, keeps no way in.
func endCredentialsTx(ctx context.Context, tx *persistence.Tx, userID, keepSession string) error {
	q, args := `DELETE FROM users_tokens WHERE user_id = ?`, []any{userID}
	if keepSession != "" {
		q, args = q+` AND id <> ?`, append(args, keepSession)
	}
	_, err := tx.Exec(ctx, q, args...)
	return err
}

// Confirm uses a confirmation token: the account's e-mail is confirmed.
func (t *UserTokens) Confirm(ctx context.Context, token string) (*users.Row, error) {
	return t.consume(ctx, ContextConfirm, token, nil, func(ctx context.Context, tx *persistence.Tx, u *users.Row, _ *tokenRow) error {
		return confirmUser(ctx, tx, u)
	})
}

// LogInWithLink uses a magic-link token and returns the user to sign in;
// the link also confirms the e-mail. An account waiting for activation gets
// ErrNotActivated and the link stays unused.
func (t *UserTokens) LogInWithLink(ctx context.Context, token string) (*users.Row, error) {
	return t.consume(ctx, ContextLogin, token, checkActive, func(ctx context.Context, tx *persistence.Tx, u *users.Row, _ *tokenRow) error {
		return confirmUser(ctx, tx, u)
	})
}

// ResetPassword uses a reset token to set a new password. Like a password
// change it bumps token_version (every API token stops working) and, in the
// same transaction, ends every browser session and every e-mailed link of
// the account (endCredentialsTx); it also confirms the e-mail. A password that breaks the rules is refused before the token is
// used.
func (t *UserTokens) ResetPassword(ctx context.Context, token, password, confirmation string) (*users.Row, error) {
	if verr := ValidatePassword(password, t.svc.opts.MinPasswordLength); verr != nil {
		return nil, verr
	}
	if confirmation != password {
		return nil, fieldError("password_confirmation", "does not match password")
	}
	if _, _, err := verify(ctx, t.db, ContextResetPassword, token); err != nil {
		return nil, err // before paying for bcrypt
	}
	hash, err := t.svc.pw.Hash(password)
	if err != nil {
		return nil, err
	}
	u, err := t.consume(ctx, ContextResetPassword, token, nil, func(ctx context.Context, tx *persistence.Tx, u *users.Row, _ *tokenRow) error {
		now := persistence.Now()
		if _, err := tx.Exec(ctx, `UPDATE users SET hashed_password = ?, token_version = token_version + 1, updated_at = ? WHERE id = ?`,
			hash, now, u.ID); err != nil {
			return err
		}
		if err := confirmUser(ctx, tx, u); err != nil {
			return err
		}
		return endCredentialsTx(ctx, tx, u.ID, "")
	})
	if err == nil {
		t.svc.changed(u.ID)
		t.svc.revoked(u.ID)
	}
	return u, err
}

// ChangeEmail uses an e-mail change token of the signed-in user u: the
// account's address becomes the one the token was sent to (confirmed).
// A token asked for under a previous address of u is invalid.
func (t *UserTokens) ChangeEmail(ctx context.Context, u *users.Row, token string) (*users.Row, error) {
	out, err := t.consume(ctx, ContextChangeEmail+u.Email, token, func(owner *users.Row) error {
		if owner.ID != u.ID {
			return ErrLinkInvalid
		}
		return nil
	}, func(ctx context.Context, tx *persistence.Tx, owner *users.Row, tok *tokenRow) error {
		now := persistence.Now()
		if _, err := tx.Exec(ctx, `UPDATE users SET email = ?, confirmed_at = ?, updated_at = ? WHERE id = ?`, tok.sentTo, now, now, owner.ID); err != nil {
			return err
		}
		_, err := tx.Exec(ctx, `DELETE FROM users_tokens WHERE user_id = ? AND context LIKE 'change:%'`, owner.ID)
		return err
	})
	if _, ok := persistence.IsUnique(err); ok {
		return nil, fieldError("email", "has already been taken")
	}
	if err == nil {
		t.svc.changed(u.ID)
	}
	return out, err
}

// Active reports whether u may sign in: activated, or an administrator.
func Active(u *users.Row) bool { return u.IsActivated || u.IsAdmin }

func checkActive(u *users.Row) error {
	if !Active(u) {
		return ErrNotActivated
	}
	return nil
}

// CheckPassword verifies an e-mail and password for a browser sign-in:
// ErrInvalidCredentials for an unknown e-mail or a wrong password (same
// bcrypt work either way), ErrNotActivated for a correct password on an
// account waiting for activation.
func (s *Service) CheckPassword(ctx context.Context, email, password string) (*users.Row, error) {
	u, err := users.ByEmail(ctx, s.db, email)
	if err != nil && !errors.Is(err, persistence.ErrNotFound) {
		return nil, err
	}
	hash := ""
	if u != nil {
		hash = string(u.HashedPassword)
	}
	if !s.pw.Check(hash, password) || u == nil {
		return nil, ErrInvalidCredentials
	}
	if err := checkActive(u); err != nil {
		return nil, err
	}
	return u, nil
}
