package users

import (
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
)

// Redacted is what a PasswordHash prints as when it is set.
const Redacted = "[REDACTED]"

// PasswordHash is a stored password hash (bcrypt), "" when the account has
// none. Code that checks a password converts it with string(h); nothing
// else can print it: JSON (encoding/json, and so the cross-node registry
// codec and slog's JSON handler), text marshalling, every fmt verb and slog
// print Redacted for a set hash and "" for none. Fields of this type also
// carry `json:"-"`, so they are left out of JSON altogether.
type PasswordHash string

// String returns Redacted, or "" when no hash is set.
func (h PasswordHash) String() string {
	if h == "" {
		return ""
	}
	return Redacted
}

// GoString is String, for %#v.
func (h PasswordHash) GoString() string { return fmt.Sprintf("%q", h.String()) }

// Format prints String for every verb (%v, %+v, %s, %q, %x, …).
func (h PasswordHash) Format(f fmt.State, verb rune) {
	if verb == 'q' || (verb == 'v' && f.Flag('#')) {
		_, _ = io.WriteString(f, h.GoString())
		return
	}
	_, _ = io.WriteString(f, h.String())
}

// LogValue implements slog.LogValuer.
func (h PasswordHash) LogValue() slog.Value { return slog.StringValue(h.String()) }

// MarshalJSON writes String as a JSON string.
func (h PasswordHash) MarshalJSON() ([]byte, error) { return json.Marshal(h.String()) }

// MarshalText writes String.
func (h PasswordHash) MarshalText() ([]byte, error) { return []byte(h.String()), nil }
