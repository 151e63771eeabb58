package views

import "time"

// TimeLayout is the contract's timestamp format: ISO-8601 UTC, second
// precision, Z suffix ("2026-01-15T10:30:00Z").
const TimeLayout = "2006-01-02T15:04:05Z"

// Epoch is what last_seen_at says for a user never seen.
const Epoch = "1970-01-01T00:00:00Z"

// Time formats t in the contract's format (fractions are dropped).
func Time(t time.Time) string {
	return t.UTC().Truncate(time.Second).Format(TimeLayout)
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
