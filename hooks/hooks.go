package hooks

import (
	"context"
	"encoding/json"
	"time"
)

// DefaultTimeout bounds one hook call when the caller's context has no
// earlier deadline (API.md §4.14: 60 s).
const DefaultTimeout = 60 * time.Second

// Hooks runs server-side plugin functions. Implementations must be safe for
// concurrent use; a call runs on the caller's goroutine and honours ctx.
type Hooks interface {
	// Call runs the function fn of plugin for the authenticated user userID
	// (the function's "caller") with args, a JSON array passed positionally
	// (see NormalizeArgs), and returns the function's result as JSON.
	//
	// Failures are *Error values whose Code is the wire reason: ErrNotFound
	// (plugin_not_found), ErrNotImplemented (no such function, or no
	// runtime), ErrReservedName, ErrTimeout, or a plugin's own reason
	// ({error, e} results) and "exception"/"function_clause" with Details.
	Call(ctx context.Context, userID, plugin, fn string, args json.RawMessage) (json.RawMessage, error)

	// Functions lists the callable functions, sorted by plugin then name
	// (GET /api/v1/hooks).
	Functions(ctx context.Context) ([]Function, error)
}

// Function describes one callable plugin function (API.md §4.14).
type Function struct {
	Plugin     string      `json:"plugin"`
	Name       string      `json:"name"`
	Arities    []int       `json:"arities"`
	Signatures []Signature `json:"signatures"`
	// Dynamic is true for functions the plugin registered at start-up
	// rather than exported.
	Dynamic bool           `json:"dynamic"`
	Meta    map[string]any `json:"meta,omitempty"`
}

// Signature documents one arity of a Function.
type Signature struct {
	Arity     int    `json:"arity"`
	Signature string `json:"signature"`
	Doc       string `json:"doc"`
	// ExampleArgs is a JSON array text, e.g. `["alice", 3]`.
	ExampleArgs string `json:"example_args"`
}

// None is the Hooks of a server without a plugin runtime: every call
// answers ErrNotImplemented and no function is listed.
type None struct{}

var _ Hooks = None{}

// Call implements Hooks: always ErrNotImplemented (after ctx's own error,
// if ctx has already ended).
func (None) Call(ctx context.Context, _, _, _ string, _ json.RawMessage) (json.RawMessage, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	return nil, ErrNotImplemented
}

// Functions implements Hooks: an empty list.
func (None) Functions(context.Context) ([]Function, error) { return []Function{}, nil }
