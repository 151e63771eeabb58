package hooks

import (
	"context"
	"errors"
)

// Error is a failed hook call. Code is the reason clients receive
// ({"error":"<code>"} over REST and on the user channel, hook_error over
// WebRTC); Details, when set, is sent beside it ("exception" and
// "function_clause" carry the plugin's message there).
type Error struct {
	Code    string
	Details string
}

func (e *Error) Error() string {
	if e.Details != "" {
		return "hooks: " + e.Code + ": " + e.Details
	}
	return "hooks: " + e.Code
}

// Is matches any *Error with the same Code, so errors.Is(err,
// ErrNotImplemented) holds for a runtime's own not_implemented error too.
func (e *Error) Is(target error) bool {
	t, ok := target.(*Error)
	return ok && t.Code == e.Code
}

// Well-known call failures (API.md §4.14, §10.2), by wire reason.
var (
	// ErrNotImplemented: the plugin has no such function (at that arity),
	// or the server runs no plugin runtime.
	ErrNotImplemented = &Error{Code: "not_implemented"}
	// ErrNotFound: no plugin of that name is loaded.
	ErrNotFound = &Error{Code: "plugin_not_found"}
	// ErrReservedName: fn names a lifecycle hook, a scheduled job or a
	// plugin declaration function, which clients may not call.
	ErrReservedName = &Error{Code: "reserved_hook_name"}
	// ErrTimeout: the call ran past its deadline (DefaultTimeout).
	ErrTimeout = &Error{Code: "timeout"}
	// ErrInvalidRequest: plugin or fn is missing or not a string.
	ErrInvalidRequest = &Error{Code: "invalid_request"}
	// ErrTooManyArgs: more arguments than LIMIT_MAX_HOOK_ARGS_COUNT.
	ErrTooManyArgs = &Error{Code: "too_many_args"}
	// ErrArgsTooLarge: arguments over LIMIT_MAX_HOOK_ARGS_SIZE bytes of
	// JSON (413 over REST).
	ErrArgsTooLarge = &Error{Code: "args_too_large"}
)

// Reason is the wire reason of a hook call error: the Code of the *Error
// in err's chain, "timeout" for a context deadline, and "exception" for
// anything else (the details of which stay in the server log).
func Reason(err error) string {
	var he *Error
	switch {
	case err == nil:
		return ""
	case errors.As(err, &he):
		return he.Code
	case errors.Is(err, context.DeadlineExceeded):
		return ErrTimeout.Code
	}
	return "exception"
}
