package auth

import (
	"context"
	"errors"
	"fmt"
	"regexp"
	"strings"

	"github.com/gamend-go/gamend/persistence"
	"github.com/gamend-go/gamend/persistence/users"
	"github.com/gamend-go/gamend/persistence/writebehind"
)

// Options are the account rules of API.md §2.3/§11.
type Options struct {
	MinPasswordLength int
	RequireActivation bool
	// DeviceAuthEnabled is read per request.
	DeviceAuthEnabled func() bool
	MinUsername       int
	MaxUsername       int
	MaxEmail          int
	MaxDeviceID       int
	MaxDisplayName    int
	BcryptCost        int
}

func (o *Options) defaults() {
	if o.MinPasswordLength <= 0 {
		o.MinPasswordLength = 8
	}
	if o.DeviceAuthEnabled == nil {
		o.DeviceAuthEnabled = func() bool { return true }
	}
	if o.MinUsername <= 0 {
		o.MinUsername = 3
	}
	if o.MaxUsername <= 0 {
		o.MaxUsername = 32
	}
	if o.MaxEmail <= 0 {
		o.MaxEmail = 160
	}
	if o.MaxDeviceID <= 0 {
		o.MaxDeviceID = 256
	}
	if o.MaxDisplayName <= 0 {
		o.MaxDisplayName = 80
	}
}

// Service is the identity service: sign-in, account creation, credentials.
type Service struct {
	db     *persistence.DB
	store  *writebehind.Queue
	tokens *Tokens
	pw     *Passwords
	opts   Options
	cache  *users.Cache

	// OnUserChanged, when set, is called after a committed change of a
	// user's account data (providers, password, device), so live sessions
	// can be told (the realtime layer pushes "updated").
	OnUserChanged func(userID string)
	// OnUserCreated, when set, is called after an account was created.
	OnUserCreated func(ctx context.Context, u *users.Row)
	// OnTokensRevoked, when set, is called after token_version was bumped
	// (password change, revoke all): live sockets opened with the old
	// tokens should be closed.
	OnTokensRevoked func(userID string)
}

// NewService builds the identity service.
func NewService(store *writebehind.Queue, tokens *Tokens, opts Options) *Service {
	opts.defaults()
	return &Service{db: store.DB(), store: store, tokens: tokens, pw: NewPasswords(opts.BcryptCost), opts: opts}
}

// SetUserCache makes token checks read users through c (and invalidate it
// on every identity change made here).
func (s *Service) SetUserCache(c *users.Cache) { s.cache = c }

// Tokens returns the token signer.
func (s *Service) Tokens() *Tokens { return s.tokens }

// Passwords returns the password hasher.
func (s *Service) Passwords() *Passwords { return s.pw }

// Options returns the account rules.
func (s *Service) Options() Options { return s.opts }

// Authenticate checks an access token (a bearer header) and returns its
// user: ErrTokenInvalid for a bad/expired/refresh token, ErrTokenRevoked
// for a vanished user or a stale token version.
func (s *Service) Authenticate(ctx context.Context, token string) (*users.Row, error) {
	c, err := s.tokens.Parse(token, TypeAccess)
	if err != nil {
		return nil, err
	}
	return s.userForClaims(ctx, c)
}

// AuthenticateOnce is Authenticate for a token presented once, at a
// socket connect: the same verdict, without remembering the token.
func (s *Service) AuthenticateOnce(ctx context.Context, token string) (*users.Row, error) {
	c, err := s.tokens.ParseOnce(token, TypeAccess)
	if err != nil {
		return nil, err
	}
	return s.userForClaims(ctx, c)
}

func (s *Service) userForClaims(ctx context.Context, c *Claims) (*users.Row, error) {
	u, err := s.cache.Get(ctx, s.db, c.Subject)
	if errors.Is(err, persistence.ErrNotFound) {
		return nil, ErrTokenRevoked
	}
	if err != nil {
		return nil, err
	}
	if u.TokenVersion != *c.TokenVersion {
		return nil, ErrTokenRevoked
	}
	return u, nil
}

// User loads a user by id (ErrNotFound when absent).
func (s *Service) User(ctx context.Context, id string) (*users.Row, error) {
	u, err := users.Get(ctx, s.db, id)
	if errors.Is(err, persistence.ErrNotFound) {
		return nil, ErrNotFound
	}
	return u, err
}

func (s *Service) issue(u *users.Row) (*users.Row, TokenPair, error) {
	if !u.IsActivated && !u.IsAdmin {
		return u, TokenPair{}, ErrNotActivated
	}
	p, err := s.tokens.Pair(u.ID, u.TokenVersion)
	return u, p, err
}

// IssueTokens returns a token pair for u, refusing inactive accounts.
func (s *Service) IssueTokens(u *users.Row) (TokenPair, error) {
	_, p, err := s.issue(u)
	return p, err
}

// LoginPassword signs in with e-mail and password. Unknown e-mail and wrong
// password both give ErrInvalidCredentials after the same bcrypt work.
func (s *Service) LoginPassword(ctx context.Context, email, password string) (*users.Row, TokenPair, error) {
	u, err := users.ByEmail(ctx, s.db, email)
	if err != nil && !errors.Is(err, persistence.ErrNotFound) {
		return nil, TokenPair{}, err
	}
	hash := ""
	if u != nil {
		hash = string(u.HashedPassword)
	}
	if !s.pw.Check(hash, password) || u == nil {
		return nil, TokenPair{}, ErrInvalidCredentials
	}
	return s.issue(u)
}

// LoginDevice signs in with a device id, creating the account on first use.
func (s *Service) LoginDevice(ctx context.Context, deviceID string) (*users.Row, TokenPair, error) {
	if !s.opts.DeviceAuthEnabled() {
		return nil, TokenPair{}, ErrDeviceAuthDisabled
	}
	if deviceID == "" {
		return nil, TokenPair{}, fieldError("device_id", "can't be blank")
	}
	if len(deviceID) > s.opts.MaxDeviceID {
		return nil, TokenPair{}, fieldError("device_id", fmt.Sprintf("should be at most %d character(s)", s.opts.MaxDeviceID))
	}
	u, err := users.ByDevice(ctx, s.db, deviceID)
	if errors.Is(err, persistence.ErrNotFound) {
		u, err = s.CreateUser(ctx, users.New{DeviceID: deviceID})
		if d, ok := persistence.IsUnique(err); ok && strings.Contains(d, "device_id") {
			u, err = users.ByDevice(ctx, s.db, deviceID) // created concurrently
		}
	}
	if err != nil {
		return nil, TokenPair{}, err
	}
	return s.issue(u)
}

// Refresh exchanges a refresh token for a new access token; the refresh
// token itself is returned unchanged (no rotation, as upstream). A bad,
// expired or non-refresh token is ErrTokenInvalid; a vanished user or a
// stale token version is ErrTokenRevoked.
//
// An account that is not (or no longer) activated is ErrTokenRevoked too:
// API.md §4.2 lists only 400 and 401 for /refresh, and neither it nor the
// product docs give /refresh a 403. Clients treat a failed refresh as a
// log-out, and the next log-in then answers 403 account_not_activated
// with its explanation. Administrators always pass (§2.3).
func (s *Service) Refresh(ctx context.Context, refreshToken string) (*users.Row, TokenPair, error) {
	c, err := s.tokens.Parse(refreshToken, TypeRefresh)
	if err != nil {
		return nil, TokenPair{}, err
	}
	u, err := s.userForClaims(ctx, c)
	if err != nil {
		return nil, TokenPair{}, err
	}
	if !u.IsActivated && !u.IsAdmin {
		return nil, TokenPair{}, fmt.Errorf("%w: account not activated", ErrTokenRevoked)
	}
	access, err := s.tokens.Sign(TypeAccess, u.ID, u.TokenVersion)
	if err != nil {
		return nil, TokenPair{}, err
	}
	return u, TokenPair{AccessToken: access, RefreshToken: refreshToken, ExpiresIn: int(AccessTTL.Seconds()), UserID: u.ID}, nil
}

var emailRE = regexp.MustCompile(`^[^@,;\s]+@[^@,;\s]+$`)

// ValidateEmail checks format and length.
func (s *Service) ValidateEmail(email string) *ValidationError {
	switch {
	case strings.TrimSpace(email) == "":
		return fieldError("email", "can't be blank")
	case !emailRE.MatchString(email):
		return fieldError("email", "must have the @ sign and no spaces")
	case len(email) > s.opts.MaxEmail:
		return fieldError("email", fmt.Sprintf("should be at most %d character(s)", s.opts.MaxEmail))
	}
	return nil
}

// Register creates an e-mail/password account (unconfirmed) and signs it
// in. A taken e-mail is a field error, like the browser form.
func (s *Service) Register(ctx context.Context, email, password string) (*users.Row, TokenPair, error) {
	email = strings.TrimSpace(email)
	if verr := s.ValidateEmail(email); verr != nil {
		return nil, TokenPair{}, verr
	}
	if verr := ValidatePassword(password, s.opts.MinPasswordLength); verr != nil {
		return nil, TokenPair{}, verr
	}
	hash, err := s.pw.Hash(password)
	if err != nil {
		return nil, TokenPair{}, err
	}
	u, err := s.CreateUser(ctx, users.New{Email: email, Password: users.PasswordHash(hash)})
	if err != nil {
		return nil, TokenPair{}, err
	}
	return s.issue(u)
}

// CreateUser inserts an account, generating a username from the display
// name (or a random word) when none is given and retrying on collisions.
// The first account ever is an administrator, atomically across nodes
// (insertUser). A unique violation of an identity column becomes
// ErrDeviceTaken, ErrProviderTaken or a field error on email.
func (s *Service) CreateUser(ctx context.Context, n users.New) (*users.Row, error) {
	if n.ID == "" {
		n.ID = persistence.NewID()
	}
	n.RequireActivation = s.opts.RequireActivation
	given := n.Username
	stem := Slug(n.DisplayName, s.opts.MaxUsername-7)
	var row *users.Row
	for attempt := 0; attempt < 8; attempt++ {
		err := s.store.Do(ctx, "users", func(ctx context.Context, tx *persistence.Tx) error {
			cand := given
			if cand == "" {
				for try := attempt; try < attempt+20; try++ {
					cand = CandidateUsername(stem, try, s.opts.MaxUsername)
					taken, err := users.UsernameTaken(ctx, tx, cand)
					if err != nil {
						return err
					}
					if !taken {
						break
					}
				}
			}
			nn := n
			nn.Username = cand
			r, err := insertUser(ctx, tx, nn)
			row = r
			return err
		})
		if d, ok := persistence.IsUnique(err); ok {
			switch {
			case strings.Contains(d, "username") && given == "":
				continue // lost a race for the generated name: draw again
			case strings.Contains(d, "email"):
				return nil, fieldError("email", "has already been taken")
			case strings.Contains(d, "device_id"):
				return nil, fmt.Errorf("%w: %w", ErrDeviceTaken, err)
			case strings.Contains(d, "username"):
				return nil, fieldError("username", "has already been taken")
			default:
				return nil, fmt.Errorf("%w: %w", ErrProviderTaken, err)
			}
		}
		if err != nil {
			return nil, err
		}
		if s.OnUserCreated != nil {
			s.OnUserCreated(ctx, row)
		}
		return row, nil
	}
	return nil, errors.New("auth: could not find a free username")
}

func (s *Service) changed(id string) {
	s.cache.Invalidate(id)
	if s.OnUserChanged != nil {
		s.OnUserChanged(id)
	}
}

// update runs one write on a user's row and reports ErrNotFound when no row
// matched.
func (s *Service) update(ctx context.Context, id, query string, args ...any) error {
	var n int64
	err := s.store.Do(ctx, "user:"+id, func(ctx context.Context, tx *persistence.Tx) error {
		res, err := tx.Exec(ctx, query, args...)
		if err != nil {
			return err
		}
		n, err = res.RowsAffected()
		return err
	})
	if err == nil && n == 0 {
		return ErrNotFound
	}
	s.cache.Invalidate(id)
	return err
}

// ChangePassword sets a new password. When the account already has one,
// current must match. confirmation is checked only when given. Success bumps
// token_version, so every token issued before stops working, and in the
// same transaction ends every e-mailed link of the account and every
// browser session but keepSession (the browser that made the change; ""
// ends all of them).
func (s *Service) ChangePassword(ctx context.Context, userID, current, password string, confirmation *string, keepSession string) error {
	u, err := s.User(ctx, userID)
	if err != nil {
		return err
	}
	if u.HasPassword() && !s.pw.Check(string(u.HashedPassword), current) {
		return ErrWrongPassword
	}
	if verr := ValidatePassword(password, s.opts.MinPasswordLength); verr != nil {
		return verr
	}
	if confirmation != nil && *confirmation != password {
		return fieldError("password_confirmation", "does not match password")
	}
	hash, err := s.pw.Hash(password)
	if err != nil {
		return err
	}
	err = s.store.Do(ctx, "user:"+userID, func(ctx context.Context, tx *persistence.Tx) error {
		res, err := tx.Exec(ctx, `UPDATE users SET hashed_password = ?, token_version = token_version + 1, updated_at = ? WHERE id = ?`,
			hash, persistence.Now(), userID)
		if err != nil {
			return err
		}
		if n, err := res.RowsAffected(); err != nil || n == 0 {
			return errors.Join(ErrNotFound, err)
		}
		return endCredentialsTx(ctx, tx, userID, keepSession)
	})
	if err != nil {
		return err
	}
	s.changed(userID)
	s.revoked(userID)
	return nil
}

// RevokeAllTokens bumps token_version: every JWT of the user stops working
// and the user's sockets are closed.
func (s *Service) RevokeAllTokens(ctx context.Context, userID string) error {
	err := s.update(ctx, userID, `UPDATE users SET token_version = token_version + 1, updated_at = ? WHERE id = ?`, persistence.Now(), userID)
	if err == nil {
		s.revoked(userID)
	}
	return err
}

func (s *Service) revoked(id string) {
	s.cache.Invalidate(id)
	if s.OnTokensRevoked != nil {
		s.OnTokensRevoked(id)
	}
}

// LinkDevice attaches a device id to the account.
func (s *Service) LinkDevice(ctx context.Context, userID, deviceID string) error {
	if deviceID == "" {
		return fieldError("device_id", "can't be blank")
	}
	if len(deviceID) > s.opts.MaxDeviceID {
		return fieldError("device_id", fmt.Sprintf("should be at most %d character(s)", s.opts.MaxDeviceID))
	}
	err := s.update(ctx, userID, `UPDATE users SET device_id = ?, updated_at = ? WHERE id = ?`, deviceID, persistence.Now(), userID)
	if _, ok := persistence.IsUnique(err); ok {
		return ErrDeviceTaken
	}
	if err == nil {
		s.changed(userID)
	}
	return err
}

// UnlinkDevice removes the device id unless it is the last way in (no
// password and no provider).
func (s *Service) UnlinkDevice(ctx context.Context, userID string) error {
	u, err := s.User(ctx, userID)
	if err != nil {
		return err
	}
	if u.DeviceID == "" {
		return nil
	}
	if !u.HasPassword() && len(u.ProviderIDs) == 0 {
		return ErrLastMethod
	}
	if err := s.update(ctx, userID, `UPDATE users SET device_id = NULL, updated_at = ? WHERE id = ?`, persistence.Now(), userID); err != nil {
		return err
	}
	s.changed(userID)
	return nil
}

// UnlinkProvider removes an OAuth provider id; the last linked provider
// cannot be removed (counting provider ids only, as upstream). Unlinking
// discord also clears a Discord-CDN avatar.
func (s *Service) UnlinkProvider(ctx context.Context, userID, provider string) error {
	if !users.IsProvider(provider) {
		return ErrUnknownProvider
	}
	u, err := s.User(ctx, userID)
	if err != nil {
		return err
	}
	if _, linked := u.ProviderIDs[provider]; linked && len(u.ProviderIDs) <= 1 {
		return ErrLastMethod
	}
	q := `UPDATE users SET ` + provider + `_id = NULL, updated_at = ? WHERE id = ?`
	if provider == "discord" && strings.HasPrefix(u.ProfileURL, "https://cdn.discordapp.com/") {
		q = `UPDATE users SET discord_id = NULL, profile_url = '', updated_at = ? WHERE id = ?`
	}
	if err := s.update(ctx, userID, q, persistence.Now(), userID); err != nil {
		return err
	}
	s.changed(userID)
	return nil
}

// GrantAdmin makes the user with the given e-mail or id an administrator.
func (s *Service) GrantAdmin(ctx context.Context, emailOrID string) (*users.Row, error) {
	var u *users.Row
	var err error
	if persistence.ValidID(emailOrID) {
		u, err = users.Get(ctx, s.db, emailOrID)
	} else {
		u, err = users.ByEmail(ctx, s.db, emailOrID)
	}
	if errors.Is(err, persistence.ErrNotFound) {
		return nil, ErrNotFound
	}
	if err != nil {
		return nil, err
	}
	if err := s.update(ctx, u.ID, `UPDATE users SET is_admin = ?, is_activated = ?, updated_at = ? WHERE id = ?`, true, true, persistence.Now(), u.ID); err != nil {
		return nil, err
	}
	u.IsAdmin, u.IsActivated = true, true
	return u, nil
}
