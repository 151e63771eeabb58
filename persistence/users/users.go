// Package users is the SQL for the users table shared by auth (identity
// columns, account creation) and the user domain (profile, presence): the
// row type, its scanner and the lookups both need. Both dialects.
package users

import (
	"context"
	"database/sql"
	"encoding/json"
	"strings"
	"time"

	"github.com/gamend-go/gamend/persistence"
)

// Providers are the OAuth providers with an id column on users.
var Providers = []string{"discord", "google", "facebook", "apple", "steam"}

// IsProvider reports whether p is one of Providers.
func IsProvider(p string) bool {
	for _, v := range Providers {
		if v == p {
			return true
		}
	}
	return false
}

// Row is one users row. Nullable text columns are "" when NULL.
type Row struct {
	ID    string
	Email string
	// HashedPassword is the password hash, "" for none. It is never
	// printed or encoded (PasswordHash), so it stays out of responses,
	// logs and cross-node messages.
	HashedPassword PasswordHash `json:"-"`
	// PasswordSet is whether the account has a password. Unlike the hash
	// it survives JSON, so a row that crossed nodes (or was stripped of
	// its hash) still answers HasPassword.
	PasswordSet  bool
	ConfirmedAt  *time.Time
	Username     string
	DisplayName  string
	ProfileURL   string
	ProviderIDs  map[string]string // provider -> id, only linked ones (nil when none)
	DeviceID     string
	IsAdmin      bool
	IsActivated  bool
	Metadata     map[string]any // nil when empty
	LobbyID      string
	PartyID      string
	IsOnline     bool
	LastSeenAt   *time.Time
	TokenVersion int
	InsertedAt   time.Time
	UpdatedAt    time.Time
}

// HasPassword reports whether the account can log in with a password.
func (r *Row) HasPassword() bool { return r.PasswordSet || r.HashedPassword != "" }

// Columns is the select list matching Scan.
const Columns = `id, email, hashed_password, confirmed_at, username, display_name, profile_url,
	discord_id, google_id, facebook_id, apple_id, steam_id, device_id, is_admin, is_activated, metadata,
	lobby_id, party_id, is_online, last_seen_at, token_version, inserted_at, updated_at`

// Scanner is *sql.Row or *sql.Rows.
type Scanner interface{ Scan(dest ...any) error }

// Scan reads one row selected with Columns.
func Scan(s Scanner) (*Row, error) {
	var (
		r                                    Row
		email, hash, dc, gg, fb, ap, st, dev sql.NullString
		lobby, party                         sql.NullString
		meta                                 []byte
	)
	err := s.Scan(&r.ID, &email, &hash, &r.ConfirmedAt, &r.Username, &r.DisplayName, &r.ProfileURL,
		&dc, &gg, &fb, &ap, &st, &dev, &r.IsAdmin, &r.IsActivated, &meta,
		&lobby, &party, &r.IsOnline, &r.LastSeenAt, &r.TokenVersion, &r.InsertedAt, &r.UpdatedAt)
	if err != nil {
		return nil, persistence.NotFound(err)
	}
	r.Email, r.HashedPassword, r.DeviceID = email.String, PasswordHash(hash.String), dev.String
	r.PasswordSet = hash.String != ""
	r.LobbyID, r.PartyID = lobby.String, party.String
	// Maps stay nil when empty (a user actor per online user keeps a Row;
	// empty maps cost memory). Reading a nil map is fine.
	for i, v := range []sql.NullString{dc, gg, fb, ap, st} {
		if v.Valid && v.String != "" {
			if r.ProviderIDs == nil {
				r.ProviderIDs = map[string]string{}
			}
			r.ProviderIDs[Providers[i]] = v.String
		}
	}
	if len(meta) > 2 { // "{}" is empty
		_ = json.Unmarshal(meta, &r.Metadata)
	}
	for _, t := range []*time.Time{&r.InsertedAt, &r.UpdatedAt} {
		*t = t.UTC()
	}
	return &r, nil
}

func one(ctx context.Context, q persistence.Querier, where string, args ...any) (*Row, error) {
	return Scan(q.QueryRow(ctx, `SELECT `+Columns+` FROM users WHERE `+where, args...))
}

// Get loads the user with id (persistence.ErrNotFound when absent or not a
// UUID).
func Get(ctx context.Context, q persistence.Querier, id string) (*Row, error) {
	if !persistence.ValidID(id) {
		return nil, persistence.ErrNotFound
	}
	return one(ctx, q, `id = ?`, id)
}

// ByEmail finds a user by e-mail, case-insensitively.
func ByEmail(ctx context.Context, q persistence.Querier, email string) (*Row, error) {
	return one(ctx, q, `lower(email) = lower(?)`, strings.TrimSpace(email))
}

// ByDevice finds a user by device id.
func ByDevice(ctx context.Context, q persistence.Querier, deviceID string) (*Row, error) {
	return one(ctx, q, `device_id = ?`, deviceID)
}

// ByUsername finds a user by (lower-case) username.
func ByUsername(ctx context.Context, q persistence.Querier, username string) (*Row, error) {
	return one(ctx, q, `username = ?`, strings.ToLower(username))
}

// ByProvider finds a user by OAuth provider id.
func ByProvider(ctx context.Context, q persistence.Querier, provider, providerID string) (*Row, error) {
	if !IsProvider(provider) {
		return nil, persistence.ErrNotFound
	}
	return one(ctx, q, provider+`_id = ?`, providerID)
}

// Count returns the number of users.
func Count(ctx context.Context, q persistence.Querier) (int, error) {
	var n int
	err := q.QueryRow(ctx, `SELECT count(*) FROM users`).Scan(&n)
	return n, err
}

// UsernameTaken reports whether username is used by another account.
func UsernameTaken(ctx context.Context, q persistence.Querier, username string) (bool, error) {
	var n int
	err := q.QueryRow(ctx, `SELECT count(*) FROM users WHERE username = ?`, username).Scan(&n)
	return n > 0, err
}

// New is the data of an account being created.
type New struct {
	ID          string
	Email       string
	Password    PasswordHash `json:"-"` // bcrypt hash, "" = none
	ConfirmedAt *time.Time
	Username    string
	DisplayName string
	ProfileURL  string
	Provider    string // with ProviderID
	ProviderID  string
	DeviceID    string
	// RequireActivation makes a non-admin account start inactive.
	RequireActivation bool
}

// Insert creates the user inside tx. The first user ever becomes admin; a
// non-admin starts inactive when RequireActivation. It returns the stored
// row. Unique violations surface as *persistence.UniqueError.
func Insert(ctx context.Context, tx *persistence.Tx, n New) (*Row, error) {
	var count int
	if err := tx.QueryRow(ctx, `SELECT count(*) FROM users`).Scan(&count); err != nil {
		return nil, err
	}
	admin := count == 0
	active := admin || !n.RequireActivation
	now := persistence.Now()
	prov := map[string]any{}
	for _, p := range Providers {
		prov[p] = nil
	}
	if n.Provider != "" {
		prov[n.Provider] = n.ProviderID
	}
	_, err := tx.Exec(ctx, `INSERT INTO users (id, email, hashed_password, confirmed_at, username, display_name, profile_url,
		discord_id, google_id, facebook_id, apple_id, steam_id, device_id, is_admin, is_activated, metadata, is_online, token_version,
		inserted_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, '{}', ?, 0, ?, ?)`,
		n.ID, nullable(n.Email), nullable(string(n.Password)), n.ConfirmedAt, n.Username, n.DisplayName, n.ProfileURL,
		prov["discord"], prov["google"], prov["facebook"], prov["apple"], prov["steam"], nullable(n.DeviceID),
		admin, active, false, now, now)
	if err != nil {
		return nil, err
	}
	return Get(ctx, tx, n.ID)
}

func nullable(s string) any {
	if s == "" {
		return nil
	}
	return s
}

// Nullable returns nil for "" (a NULL column) and s otherwise.
func Nullable(s string) any { return nullable(s) }
