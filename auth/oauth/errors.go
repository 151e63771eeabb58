package oauth

import (
	"errors"
	"fmt"
)

// Errors of the provider clients and the session flow; transport/rest maps
// them to the §4.2 bodies.
var (
	// ErrUnknownProvider: not one of discord google facebook apple steam
	// (or a flow the provider does not have).
	ErrUnknownProvider = errors.New("oauth: unsupported provider")
	// ErrNotConfigured: the provider's credentials are not set.
	ErrNotConfigured = errors.New("oauth: provider not configured")
	// ErrDenied: the player cancelled or refused at the provider.
	ErrDenied = errors.New("oauth: access denied by the user")
	// ErrExchange: the code exchange, profile fetch or assertion check
	// failed (wire: "authentication_failed").
	ErrExchange = errors.New("oauth: authentication failed")
	// ErrMissingID: the provider answered without a user id (wire:
	// "missing id/email").
	ErrMissingID = errors.New("oauth: provider profile has no id")
	// ErrInvalidAudience, ErrInvalidIssuer, ErrTokenExpired: a Google
	// id_token that is genuine but not for us, from the wrong issuer, or
	// expired.
	ErrInvalidAudience = errors.New("oauth: id_token audience is not ours")
	ErrInvalidIssuer   = errors.New("oauth: id_token issuer is wrong")
	ErrTokenExpired    = errors.New("oauth: id_token expired")
	// ErrSessionNotFound: no such OAuth session, or it expired.
	ErrSessionNotFound = errors.New("oauth: session not found")
	// ErrBadState: a callback whose state is not a pending session of that
	// provider (unknown, expired, already completed or already claimed).
	ErrBadState = errors.New("oauth: unknown or used state")
)

// ProviderError is a failed call to a provider. It deliberately keeps no
// response body, URL or underlying transport error: those can contain
// codes, tokens, tickets or API keys, and this error is logged.
type ProviderError struct {
	Provider string // "discord", …
	Step     string // "token exchange", "profile", "jwks", …
	Status   int    // HTTP status of the provider's answer; 0 = no answer
	Reason   string // short fixed description ("bad JSON", "timeout", …)
}

func (e *ProviderError) Error() string {
	s := fmt.Sprintf("oauth: %s %s failed", e.Provider, e.Step)
	if e.Status != 0 {
		s += fmt.Sprintf(" (HTTP %d)", e.Status)
	}
	if e.Reason != "" {
		s += ": " + e.Reason
	}
	return s
}

// Unwrap makes every ProviderError an ErrExchange.
func (e *ProviderError) Unwrap() error { return ErrExchange }

func failure(provider, step, reason string) error {
	return &ProviderError{Provider: provider, Step: step, Reason: reason}
}
