package auth

import (
	"context"
	"errors"
	"strings"
	"unicode/utf8"

	"github.com/gamend-go/gamend/persistence"
	"github.com/gamend-go/gamend/persistence/users"
)

// maxProfileURL is LIMIT_MAX_PROFILE_URL's default: a longer provider
// avatar URL is dropped rather than stored.
const maxProfileURL = 512

// ProviderProfile is what an OAuth provider reports about the person who
// signed in, already mapped per provider (API.md §4.2 provider table).
type ProviderProfile struct {
	Provider      string // discord google facebook apple steam
	ID            string // the provider's user id, stored in users.<provider>_id
	Email         string // "" when the provider gave none
	EmailVerified bool   // the provider vouches for Email (never true for Facebook)
	DisplayName   string
	AvatarURL     string // stored as profile_url
}

// LinkedAs is the wire name of the provider's id column ("discord_id"),
// the `provider` of a link answer.
func (p ProviderProfile) LinkedAs() string { return p.Provider + "_id" }

// LoginProvider signs in with an OAuth identity (API.md §2.3):
//   - the account holding the provider id signs in; its empty email,
//     display_name and profile_url are filled from the profile, non-empty
//     ones are never overwritten;
//   - otherwise an account with the same e-mail gets the provider linked,
//     but only when the provider verified the e-mail (Facebook never does);
//     an unverified match is a *ValidationError on email (create_failed).
//     When that account never confirmed its e-mail, whoever created it
//     never proved they own the address: the provider's verified owner
//     takes it over (see takeOverTx) instead of sharing it with them;
//   - otherwise a new account is created (username generated from the
//     display name; first user admin; activation rules).
//
// The tokens are refused with ErrNotActivated for an inactive account
// (the account is still created or linked).
//
// The decision (existing identity, e-mail match, new account) is made
// inside the write transaction, so concurrent first sign-ins of one
// identity end in one account.
func (s *Service) LoginProvider(ctx context.Context, p ProviderProfile) (*users.Row, TokenPair, error) {
	if !users.IsProvider(p.Provider) {
		return nil, TokenPair{}, ErrUnknownProvider
	}
	if p.ID == "" {
		return nil, TokenPair{}, fieldError(p.LinkedAs(), "can't be blank")
	}
	p = s.cleanProfile(p)
	// Fast path: a returning player (read pool, no write unless a profile
	// field is still empty).
	u, err := users.ByProvider(ctx, s.db, p.Provider, p.ID)
	switch {
	case err == nil:
		var verr *ValidationError
		filled, ferr := s.fillProfile(ctx, u, p, false)
		switch {
		case ferr == nil:
			u = filled
		case !errors.As(ferr, &verr):
			err = ferr // a profile fill-in that loses a race never blocks the sign-in
		}
	case errors.Is(err, persistence.ErrNotFound):
		u, err = s.signInProviderTx(ctx, p)
	}
	if err != nil {
		return nil, TokenPair{}, err
	}
	return s.issue(u)
}

// providerOutcome is what signInProviderTx decided inside its transaction.
type providerOutcome struct {
	row       *users.Row
	created   bool
	changed   bool
	takenOver bool // an unconfirmed account was taken over (takeOverTx)
	refused   error
}

// signInProviderTx finds, links by verified e-mail, or creates the account
// of an identity in one write-behind op (key "users", like CreateUser).
// A unique violation means another node committed a conflicting row
// meanwhile: the op is retried and then sees it.
func (s *Service) signInProviderTx(ctx context.Context, p ProviderProfile) (*users.Row, error) {
	stem := Slug(p.DisplayName, s.opts.MaxUsername-7)
	var out providerOutcome
	for attempt := 0; attempt < 8; attempt++ {
		err := s.store.Do(ctx, "users", func(ctx context.Context, tx *persistence.Tx) (err error) {
			out = providerOutcome{}
			out.row, err = users.ByProvider(ctx, tx, p.Provider, p.ID)
			if !errors.Is(err, persistence.ErrNotFound) {
				return err // found (a concurrent first sign-in), or failed
			}
			if p.Email != "" {
				owner, err := users.ByEmail(ctx, tx, p.Email)
				switch {
				case err == nil:
					if !p.EmailVerified || p.Provider == "facebook" {
						// Unverified: the e-mail may belong to someone else.
						out.refused = fieldError("email", "has already been taken")
						return nil
					}
					if owner.ConfirmedAt == nil {
						// Registered by someone who never proved the
						// address; the provider just did.
						if owner, out.takenOver, err = takeOverTx(ctx, tx, owner); err != nil {
							return err
						}
					}
					if _, has := owner.ProviderIDs[p.Provider]; has {
						// A second identity of the same provider.
						out.refused = fieldError("email", "has already been taken")
						return nil
					}
					out.changed = true
					out.row, err = s.fillTx(ctx, tx, owner, p, true)
					return err
				case !errors.Is(err, persistence.ErrNotFound):
					return err
				}
			}
			n := users.New{ID: persistence.NewID(), Email: p.Email, DisplayName: p.DisplayName, ProfileURL: p.AvatarURL,
				Provider: p.Provider, ProviderID: p.ID, RequireActivation: s.opts.RequireActivation}
			if p.Email != "" && p.EmailVerified {
				now := persistence.Now()
				n.ConfirmedAt = &now
			}
			for try := attempt; try < attempt+20; try++ {
				n.Username = CandidateUsername(stem, try, s.opts.MaxUsername)
				taken, err := users.UsernameTaken(ctx, tx, n.Username)
				if err != nil {
					return err
				}
				if !taken {
					break
				}
			}
			out.row, err = insertUser(ctx, tx, n)
			out.created = err == nil
			return err
		})
		if _, unique := persistence.IsUnique(err); unique {
			continue
		}
		if err != nil {
			return nil, err
		}
		switch {
		case out.refused != nil:
			return nil, out.refused
		case out.created:
			if s.OnUserCreated != nil {
				s.OnUserCreated(ctx, out.row)
			}
		case out.changed:
			s.changed(out.row.ID)
			if out.takenOver {
				s.revoked(out.row.ID) // close the previous holder's sockets
			}
		default:
			return s.fillProfile(ctx, out.row, p, false)
		}
		return out.row, nil
	}
	return nil, errors.New("auth: provider sign-in kept conflicting with concurrent writes")
}

// takeOverTx hands the account u, whose e-mail was never confirmed, to the
// person an OAuth provider just vouched owns that e-mail (account
// pre-takeover: someone registered the address first, hoping to share the
// account with its owner). Inside the sign-in's transaction, every way in
// of the previous holder ends: the password, device id and linked provider
// ids are removed, token_version is bumped (every JWT dies), the account's
// browser sessions and e-mail tokens are deleted, and so are pending OAuth
// link sessions started for it. The e-mail counts as confirmed from now on.
// It returns the row as stored afterwards (the caller then links the
// identity) and false when the account was confirmed meanwhile (nothing
// was taken over: it is linked like any confirmed account).
func takeOverTx(ctx context.Context, tx *persistence.Tx, u *users.Row) (*users.Row, bool, error) {
	now := persistence.Now()
	cols := make([]string, 0, len(users.Providers))
	for _, p := range users.Providers {
		cols = append(cols, p+"_id = NULL")
	}
	res, err := tx.Exec(ctx, `UPDATE users SET hashed_password = NULL, device_id = NULL, `+strings.Join(cols, ", ")+`,
		token_version = token_version + 1, confirmed_at = ?, updated_at = ? WHERE id = ? AND confirmed_at IS NULL`, now, now, u.ID)
	if err != nil {
		return nil, false, err
	}
	n, err := res.RowsAffected()
	if err != nil {
		return nil, false, err
	}
	if n == 0 { // confirmed meanwhile (or deleted: Get says so)
		u, err = users.Get(ctx, tx, u.ID)
		return u, false, err
	}
	if _, err := tx.Exec(ctx, `DELETE FROM users_tokens WHERE user_id = ?`, u.ID); err != nil {
		return nil, false, err
	}
	if _, err := tx.Exec(ctx, `DELETE FROM oauth_sessions WHERE status = 'pending' AND data->>'link_user_id' = ?`, u.ID); err != nil {
		return nil, false, err
	}
	u, err = users.Get(ctx, tx, u.ID)
	return u, err == nil, err
}

// LinkProvider attaches the OAuth identity to the account userID (a link
// made with a bearer access token). ErrNotFound: the account is gone;
// ErrProviderTaken: the provider id belongs to another account. Linking an
// identity the account already holds succeeds. Empty email, display_name
// and profile_url are filled from the profile; non-empty ones are kept.
func (s *Service) LinkProvider(ctx context.Context, userID string, p ProviderProfile) error {
	if !users.IsProvider(p.Provider) {
		return ErrUnknownProvider
	}
	if p.ID == "" {
		return fieldError(p.LinkedAs(), "can't be blank")
	}
	p = s.cleanProfile(p)
	u, err := s.User(ctx, userID)
	if err != nil {
		return err
	}
	other, err := users.ByProvider(ctx, s.db, p.Provider, p.ID)
	switch {
	case err == nil && other.ID != u.ID:
		return ErrProviderTaken
	case err != nil && !errors.Is(err, persistence.ErrNotFound):
		return err
	}
	_, err = s.fillProfile(ctx, u, p, true)
	return err
}

// fillProfile writes the provider id (when setID) and fills the account's
// empty email, display_name and profile_url from p in one write-behind op,
// returning the updated row. Nothing is written when nothing changes.
func (s *Service) fillProfile(ctx context.Context, u *users.Row, p ProviderProfile, setID bool) (*users.Row, error) {
	if !setID && !needsFill(u, p) {
		return u, nil
	}
	var row *users.Row
	err := s.store.Do(ctx, "user:"+u.ID, func(ctx context.Context, tx *persistence.Tx) (err error) {
		row, err = s.fillTx(ctx, tx, u, p, setID)
		return err
	})
	if d, ok := persistence.IsUnique(err); ok {
		if strings.Contains(d, "email") {
			return nil, fieldError("email", "has already been taken")
		}
		return nil, ErrProviderTaken
	}
	if err != nil {
		return nil, err
	}
	s.changed(u.ID)
	return row, nil
}

func needsFill(u *users.Row, p ProviderProfile) bool {
	return (u.Email == "" && p.Email != "") || (u.DisplayName == "" && p.DisplayName != "") || (u.ProfileURL == "" && p.AvatarURL != "")
}

// fillTx is fillProfile's write inside tx. Only empty fields are filled
// (the SQL re-checks, so a concurrent change wins); the e-mail only when
// no other account uses it, and a verified one also confirms the account.
func (s *Service) fillTx(ctx context.Context, tx *persistence.Tx, u *users.Row, p ProviderProfile, setID bool) (*users.Row, error) {
	sets := []string{"updated_at = ?"}
	args := []any{persistence.Now()}
	if setID {
		sets = append(sets, p.Provider+"_id = ?")
		args = append(args, p.ID)
	}
	if u.Email == "" && p.Email != "" {
		var n int
		if err := tx.QueryRow(ctx, `SELECT count(*) FROM users WHERE lower(email) = lower(?) AND id <> ?`, p.Email, u.ID).Scan(&n); err != nil {
			return nil, err
		}
		if n == 0 {
			sets = append(sets, "email = CASE WHEN email IS NULL OR email = '' THEN ? ELSE email END")
			args = append(args, p.Email)
			if p.EmailVerified {
				sets = append(sets, "confirmed_at = COALESCE(confirmed_at, ?)")
				args = append(args, persistence.Now())
			}
		}
	}
	if u.DisplayName == "" && p.DisplayName != "" {
		sets = append(sets, "display_name = CASE WHEN display_name = '' THEN ? ELSE display_name END")
		args = append(args, p.DisplayName)
	}
	if u.ProfileURL == "" && p.AvatarURL != "" {
		sets = append(sets, "profile_url = CASE WHEN profile_url = '' THEN ? ELSE profile_url END")
		args = append(args, p.AvatarURL)
	}
	args = append(args, u.ID)
	res, err := tx.Exec(ctx, `UPDATE users SET `+strings.Join(sets, ", ")+` WHERE id = ?`, args...)
	if err != nil {
		return nil, err
	}
	if n, err := res.RowsAffected(); err != nil || n == 0 {
		return nil, errors.Join(ErrNotFound, err)
	}
	return users.Get(ctx, tx, u.ID)
}

// cleanProfile trims the profile to what the account rules accept, so a
// provider's data never fails a sign-in: an e-mail that is malformed or
// too long and a too-long avatar URL are dropped, and the display name
// loses the characters names must not hold (StripUnsafeName) and is cut to
// the display-name limit.
func (s *Service) cleanProfile(p ProviderProfile) ProviderProfile {
	p.Email = strings.TrimSpace(p.Email)
	if p.Email != "" && s.ValidateEmail(p.Email) != nil {
		p.Email, p.EmailVerified = "", false
	}
	p.DisplayName = truncateRunes(strings.TrimSpace(StripUnsafeName(p.DisplayName)), s.opts.MaxDisplayName)
	if len(p.AvatarURL) > maxProfileURL {
		p.AvatarURL = ""
	}
	return p
}

func truncateRunes(s string, n int) string {
	if utf8.RuneCountInString(s) <= n {
		return s
	}
	r := []rune(s)
	return string(r[:n])
}
