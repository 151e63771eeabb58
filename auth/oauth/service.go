package oauth

import (
	"context"
	"errors"
	"log/slog"
	"time"

	"github.com/gamend-go/gamend/auth"
	"github.com/gamend-go/gamend/persistence/users"
	"github.com/gamend-go/gamend/persistence/writebehind"
)

// Wire messages of the OAuth errors (API.md §4.2).
const (
	MsgProviderAlreadyLinked = "This provider is already linked to another account"
	MsgNotActivated          = "Your account is pending activation by an administrator."
	MsgUserNotFound          = "The user to link to was not found"
	DetailAuthFailed         = "authentication_failed"
	DetailMissingID          = "missing id/email"
	DetailInternal           = "internal_error"
)

// Options configure a Service.
type Options struct {
	// SessionTTL is how long a polling session lives (default 15 min).
	SessionTTL time.Duration
	// Now is the session clock (default time.Now).
	Now    func() time.Time
	Logger *slog.Logger
}

// Service runs OAuth sign-in: the polling flow's sessions and the
// login-or-link step shared with the direct-exchange endpoints.
type Service struct {
	auth      *auth.Service
	providers *Providers
	sessions  *Sessions
	log       *slog.Logger
}

// NewService joins the provider clients, the session store and the
// identity service.
func NewService(a *auth.Service, store *writebehind.Queue, p *Providers, opts Options) *Service {
	if opts.Logger == nil {
		opts.Logger = slog.Default()
	}
	return &Service{auth: a, providers: p, sessions: NewSessions(store, opts.SessionTTL, opts.Now), log: opts.Logger}
}

// Providers returns the provider clients (AuthCodeURL, Exchange, …), for
// the web sign-in too.
func (s *Service) Providers() *Providers { return s.providers }

// Sessions returns the session store.
func (s *Service) Sessions() *Sessions { return s.sessions }

// Auth returns the identity service.
func (s *Service) Auth() *auth.Service { return s.auth }

// Begin starts the polling flow: a pending session (linking to linkUser
// when it is not nil) and the provider URL whose state is the session id.
func (s *Service) Begin(ctx context.Context, provider string, linkUser *users.Row) (authURL, sessionID string, err error) {
	if !IsProvider(provider) {
		return "", "", ErrUnknownProvider
	}
	if !s.providers.Configured(provider) {
		return "", "", ErrNotConfigured
	}
	data := SessionData{}
	if linkUser != nil {
		data.LinkUserID = linkUser.ID
	}
	sess, err := s.sessions.Create(ctx, provider, data)
	if err != nil {
		return "", "", err
	}
	authURL, err = s.providers.AuthCodeURL(provider, sess.ID)
	return authURL, sess.ID, err
}

// Result is a successful sign-in (Tokens) or link (Linked, LinkedAs).
type Result struct {
	User     *users.Row
	Tokens   auth.TokenPair
	Linked   bool
	LinkedAs string // "<provider>_id"
}

// SignIn logs in with the profile, or links it to the account linkUserID
// when that is not empty. Errors are auth's: ErrNotActivated,
// ErrProviderTaken, ErrNotFound (link account gone), *ValidationError.
func (s *Service) SignIn(ctx context.Context, prof Profile, linkUserID string) (Result, error) {
	if linkUserID != "" {
		if err := s.auth.LinkProvider(ctx, linkUserID, prof); err != nil {
			return Result{}, err
		}
		return Result{Linked: true, LinkedAs: prof.LinkedAs()}, nil
	}
	u, tp, err := s.auth.LoginProvider(ctx, prof)
	if err != nil {
		return Result{}, err
	}
	return Result{User: u, Tokens: tp}, nil
}

// Complete handles a browser callback of the polling flow: it claims the
// session state of provider (ErrBadState when that is not a pending,
// unclaimed session of this provider — nothing changes then), fetches the
// profile, signs in or links, and stores the outcome on the session. A
// failed fetch or sign-in is an outcome, not an error of Complete.
func (s *Service) Complete(ctx context.Context, provider, state string, fetch func(context.Context) (Profile, error)) (*Session, error) {
	sess, err := s.sessions.Claim(ctx, state, provider)
	if err != nil {
		return nil, err
	}
	prof, err := fetch(ctx)
	var res Result
	if err == nil {
		res, err = s.SignIn(ctx, prof, sess.Data.LinkUserID)
	}
	s.logFailure(provider, err)
	sess.Status, sess.Data = Outcome(res, err)
	// The outcome is stored even if the browser went away meanwhile.
	if err := s.sessions.Finish(context.WithoutCancel(ctx), sess.ID, sess.Status, sess.Data); err != nil {
		return nil, err
	}
	return sess, nil
}

// Outcome is the session status and data for a sign-in result (API.md
// §4.2 outcome table).
func Outcome(res Result, err error) (status string, data SessionData) {
	var verr *auth.ValidationError
	switch {
	case err == nil && res.Linked:
		return StatusCompleted, SessionData{Linked: true, Provider: res.LinkedAs}
	case err == nil:
		t := res.Tokens
		return StatusCompleted, SessionData{AccessToken: t.AccessToken, RefreshToken: t.RefreshToken, ExpiresIn: t.ExpiresIn, UserID: t.UserID}
	case errors.Is(err, auth.ErrProviderTaken):
		return StatusError, SessionData{Error: "provider_already_linked", Message: MsgProviderAlreadyLinked}
	case errors.Is(err, auth.ErrNotActivated):
		return StatusError, SessionData{Error: "account_not_activated", Message: MsgNotActivated}
	case errors.Is(err, auth.ErrNotFound):
		return StatusError, SessionData{Error: "user_not_found", Message: MsgUserNotFound}
	case errors.As(err, &verr):
		return StatusError, SessionData{Details: verr.Fields}
	case IsAuthFailure(err):
		return StatusError, SessionData{Details: DetailAuthFailed}
	}
	return StatusError, SessionData{Details: DetailInternal}
}

// IsAuthFailure reports whether err means the provider did not
// authenticate the player (denied, failed exchange or assertion, no id,
// provider not configured).
func IsAuthFailure(err error) bool {
	return errors.Is(err, ErrExchange) || errors.Is(err, ErrDenied) || errors.Is(err, ErrMissingID) ||
		errors.Is(err, ErrNotConfigured) || errors.Is(err, ErrInvalidAudience) ||
		errors.Is(err, ErrInvalidIssuer) || errors.Is(err, ErrTokenExpired)
}

// logFailure logs why a sign-in failed. Provider errors carry no secrets;
// expected refusals are logged at info, anything else at error.
func (s *Service) logFailure(provider string, err error) {
	var verr *auth.ValidationError
	switch {
	case err == nil:
	case IsAuthFailure(err):
		s.log.Info("oauth sign-in not authenticated", "provider", provider, "err", err)
	case errors.Is(err, auth.ErrProviderTaken), errors.Is(err, auth.ErrNotActivated),
		errors.Is(err, auth.ErrNotFound), errors.As(err, &verr):
		s.log.Info("oauth sign-in refused", "provider", provider, "err", err)
	default:
		s.log.Error("oauth sign-in failed", "provider", provider, "err", err)
	}
}

// LogFailure is logFailure for the direct-exchange endpoints.
func (s *Service) LogFailure(provider string, err error) { s.logFailure(provider, err) }
