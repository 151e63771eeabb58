package views

import "time"

// TimeLayout is the contract's timestamp format: ISO-8601 UTC, second
// precision, Z suffix ("2026-01-15T10:30:00Z").
const TimeLayout = "2006-01-02T15:04:05Z"

// Epoch is what last_seen_at says for a user never seen.
const Epoch = "1970-01-01T00:00:00Z"

// Time formats t in the contract's format (fractions are dropped). It is
// on every pushed notification, so it writes the digits itself instead of
// interpreting TimeLayout (the same output for years 0–9999).
func Time(t time.Time) string {
	t = t.UTC()
	year, month, day := t.Date()
	if year < 0 || year > 9999 {
		return t.Truncate(time.Second).Format(TimeLayout)
	}
	hour, min, sec := t.Clock()
	var b [20]byte
	put := func(i, v, n int) {
		for j := i + n - 1; j >= i; j-- {
			b[j] = byte('0' + v%10)
			v /= 10
		}
	}
	put(0, year, 4)
	b[4] = '-'
	put(5, int(month), 2)
	b[7] = '-'
	put(8, day, 2)
	b[10] = 'T'
	put(11, hour, 2)
	b[13] = ':'
	put(14, min, 2)
	b[16] = ':'
	put(17, sec, 2)
	b[19] = 'Z'
	return string(b[:])
}

// TimeOr formats t, or returns fallback when t is nil.
func TimeOr(t *time.Time, fallback string) string {
	if t == nil {
		return fallback
	}
	return Time(*t)
}

// TimePtr formats t, or returns nil (JSON null) when t is nil; for the
// few nullable timestamps (authenticated_at, unlocked_at).
func TimePtr(t *time.Time) *string {
	if t == nil {
		return nil
	}
	s := Time(*t)
	return &s
}

// Map returns m, or an empty map when m is nil, so JSON says {} not null.
func Map(m map[string]any) map[string]any {
	if m == nil {
		return map[string]any{}
	}
	return m
}
