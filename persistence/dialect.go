package persistence

import (
	"strconv"
	"strings"
	"sync"
)

// Dialect is what differs between the SQL databases Gamend-Go runs on. The
// sqlite and postgres subpackages implement it.
type Dialect interface {
	// Name is "sqlite" or "postgres"; it is also the migrations folder.
	Name() string
	// Placeholder returns the n-th (1-based) bind parameter marker.
	Placeholder(n int) string
	// JSONField returns an SQL expression reading the top-level key of the
	// JSON column col as text (the key is passed as a bind parameter "?").
	JSONField(col string) string
	// UniqueViolation reports whether err is a unique-constraint violation
	// and, when the driver says, which constraint or columns were violated.
	UniqueViolation(err error) (detail string, ok bool)
	// ForeignKeyViolation reports whether err is a foreign-key violation.
	ForeignKeyViolation(err error) bool
	// Retryable reports whether err is transient (lock contention,
	// serialization failure) so a whole transaction may be retried.
	Retryable(err error) bool
}

// rebinder turns `?` placeholders into the dialect's markers, caching the
// result per query text. Queries must not contain `?` inside string literals.
type rebinder struct {
	d     Dialect
	ident bool
	cache sync.Map // string -> string
}

func newRebinder(d Dialect) *rebinder {
	return &rebinder{d: d, ident: d.Placeholder(1) == "?"}
}

func (r *rebinder) rebind(q string) string {
	if r.ident {
		return q
	}
	if v, ok := r.cache.Load(q); ok {
		return v.(string)
	}
	out := Rebind(r.d, q)
	r.cache.Store(q, out)
	return out
}

// Rebind rewrites every `?` in q into the dialect's placeholder syntax.
func Rebind(d Dialect, q string) string {
	if strings.IndexByte(q, '?') < 0 {
		return q
	}
	var b strings.Builder
	b.Grow(len(q) + 8)
	n := 0
	for i := 0; i < len(q); i++ {
		if q[i] == '?' {
			n++
			b.WriteString(d.Placeholder(n))
			continue
		}
		b.WriteByte(q[i])
	}
	return b.String()
}

// DollarPlaceholder is the PostgreSQL-style `$n` marker.
func DollarPlaceholder(n int) string { return "$" + strconv.Itoa(n) }
