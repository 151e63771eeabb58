// Package ratelimit holds the fixed-window counter behind the per-user
// WebSocket push budget (API.md §7): pure state, no clock and no locking.
package ratelimit

import "time"

// Window counts events in fixed windows aligned to multiples of the window
// size since the Unix epoch (as upstream's Hammer ETS backend does), so a
// client may send up to twice the limit across a window boundary. The zero
// value is an empty window. 16 bytes.
type Window struct {
	bucket int64
	count  int64
}

// Allow records one event at now and reports whether it fits within limit
// events per size. Rejected events are not counted. A non-positive limit
// or size allows everything.
func (w *Window) Allow(now time.Time, limit int, size time.Duration) bool {
	if limit <= 0 || size <= 0 {
		return true
	}
	if b := now.UnixNano() / int64(size); b != w.bucket {
		w.bucket, w.count = b, 0
	}
	if w.count >= int64(limit) {
		return false
	}
	w.count++
	return true
}

// Idle reports whether the window holds no events that still count at
// now, so its owner may drop it without loosening the limit.
func (w *Window) Idle(now time.Time, size time.Duration) bool {
	return w.count == 0 || size <= 0 || now.UnixNano()/int64(size) != w.bucket
}

// ResetIn returns how long until the current window ends (at least 1 ns).
func ResetIn(now time.Time, size time.Duration) time.Duration {
	if size <= 0 {
		return time.Nanosecond
	}
	n := now.UnixNano()
	return time.Duration(((n/int64(size))+1)*int64(size) - n)
}
