package auth

import "errors"

// Errors returned by the service; the transport maps each to its contract
// status and body.
var (
	// ErrInvalidCredentials: unknown email or wrong password (same answer
	// for both).
	ErrInvalidCredentials = errors.New("auth: invalid email or password")
	// ErrNotActivated: REQUIRE_ACCOUNT_ACTIVATION and the account waits for
	// an administrator.
	ErrNotActivated = errors.New("auth: account not activated")
	// ErrDeviceAuthDisabled: DEVICE_AUTH_ENABLED is off.
	ErrDeviceAuthDisabled = errors.New("auth: device authentication disabled")
	// ErrTokenInvalid: malformed, badly signed, expired, not yet valid, or
	// of the wrong type or algorithm.
	ErrTokenInvalid = errors.New("auth: invalid token")
	// ErrTokenRevoked: a valid token whose user is gone or whose token
	// version is stale (or whose subject is not a user id).
	ErrTokenRevoked = errors.New("auth: token revoked")
	// ErrNotFound: no such user.
	ErrNotFound = errors.New("auth: user not found")
	// ErrLastMethod: unlinking would leave the account without a way in.
	ErrLastMethod = errors.New("auth: last authentication method")
	// ErrWrongPassword: the current password given for a change is wrong.
	ErrWrongPassword = errors.New("auth: current password does not match")
	// ErrUnknownProvider: not one of discord google facebook apple steam.
	ErrUnknownProvider = errors.New("auth: unknown provider")
	// ErrProviderTaken: the provider id is linked to another account.
	ErrProviderTaken = errors.New("auth: provider already linked to another account")
	// ErrDeviceTaken: the device id belongs to another account.
	ErrDeviceTaken = errors.New("auth: device id already taken")
)

// ValidationError lists field errors ({"email":["has already been taken"]}).
type ValidationError struct {
	Fields map[string][]string
}

func (e *ValidationError) Error() string {
	for f, msgs := range e.Fields {
		if len(msgs) > 0 {
			return "auth: invalid " + f + ": " + msgs[0]
		}
	}
	return "auth: invalid input"
}

func fieldError(field, msg string) *ValidationError {
	return &ValidationError{Fields: map[string][]string{field: {msg}}}
}
