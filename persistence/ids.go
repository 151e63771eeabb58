package persistence

import (
	"encoding/json"
	"strings"
	"time"

	"github.com/google/uuid"
)

// NewID mints a UUIDv7 string. Ids are time-ordered: within one process they
// are strictly increasing, so ordering by id is ordering by creation.
func NewID() string {
	return uuid.Must(uuid.NewV7()).String()
}

// ValidID reports whether s is a canonical UUID string (any version).
func ValidID(s string) bool {
	if len(s) != 36 {
		return false
	}
	_, err := uuid.Parse(s)
	return err == nil
}

// Now is the current time in UTC at the precision both databases keep.
func Now() time.Time {
	return time.Now().UTC().Truncate(time.Microsecond)
}

// JSON returns v encoded as JSON text for a map/json column; nil maps are
// stored as "{}".
func JSON(v any) (string, error) {
	if v == nil {
		return "{}", nil
	}
	if m, ok := v.(map[string]any); ok && m == nil {
		return "{}", nil
	}
	b, err := json.Marshal(v)
	if err != nil {
		return "", err
	}
	return string(b), nil
}

// EscapeLike escapes the LIKE wildcards % and _ (and the escape character)
// with a backslash; use it with `LIKE ? ESCAPE '\'`.
func EscapeLike(s string) string {
	return likeEscaper.Replace(s)
}

var likeEscaper = strings.NewReplacer(`\`, `\\`, `%`, `\%`, `_`, `\_`)
