package user

import (
	"errors"
	"sort"
	"strings"
)

// Errors returned by Profiles; transports map each to their contract body.
var (
	// ErrNotFound: no user with that id (or the id is not a UUID).
	ErrNotFound = errors.New("user: not found")
	// ErrDeleteRefused: a BeforeDelete hook refused the deletion; the
	// hook's own error is wrapped with it.
	ErrDeleteRefused = errors.New("user: delete refused")
)

// ValidationError lists field errors, e.g. {"username":["has already been
// taken"]}. Messages use the contract's wording (API.md §1.3).
type ValidationError struct {
	Fields map[string][]string
}

func (e *ValidationError) Error() string { return "user: invalid " + fieldList(e.Fields) }

// fieldList renders field errors sorted by field: "a: m1, m2; b: m3".
func fieldList(fields map[string][]string) string {
	keys := make([]string, 0, len(fields))
	for k := range fields {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	parts := make([]string, 0, len(keys))
	for _, k := range keys {
		parts = append(parts, k+": "+strings.Join(fields[k], ", "))
	}
	return strings.Join(parts, "; ")
}

func (e *ValidationError) add(field string, msgs ...string) {
	if len(msgs) == 0 {
		return
	}
	if e.Fields == nil {
		e.Fields = map[string][]string{}
	}
	e.Fields[field] = append(e.Fields[field], msgs...)
}

func (e *ValidationError) orNil() error {
	if e == nil || len(e.Fields) == 0 {
		return nil
	}
	return e
}

// RefusedNameError is a display name or username refused because it could
// impersonate someone or mangle what others see: it holds control,
// bidirectional or zero-width characters (auth.UnsafeNameRune), or it is a
// reserved username and the change is not made by an administrator.
// Fields names each refused field ({"username":["is reserved"]}).
// Transports answer it with 422, apart from the ordinary validation
// errors.
type RefusedNameError struct {
	Fields map[string][]string
}

func (e *RefusedNameError) Error() string {
	return "user: refused name " + fieldList(e.Fields)
}

// RejectedError is a change refused by a BeforeUpdate hook (the
// before_user_update server hook). Reason is the hook's message.
type RejectedError struct {
	Reason string
	Err    error
}

func (e *RejectedError) Error() string { return "user: update rejected: " + e.Reason }
func (e *RejectedError) Unwrap() error { return e.Err }
