package ratelimit

import (
	"testing"
	"time"
)

func TestWindowAllow(t *testing.T) {
	base := time.Unix(1_700_000_000, 0) // a multiple of 10 s
	at := func(ms int) time.Time { return base.Add(time.Duration(ms) * time.Millisecond) }
	type step struct {
		ms   int
		want bool
	}
	tests := []struct {
		name  string
		limit int
		size  time.Duration
		steps []step
	}{
		{"under the limit", 3, 10 * time.Second, []step{{0, true}, {1, true}, {2, true}}},
		{"over the limit", 2, 10 * time.Second, []step{{0, true}, {1, true}, {2, false}, {9999, false}}},
		{"new window resets", 2, 10 * time.Second, []step{{0, true}, {1, true}, {2, false}, {10000, true}, {10001, true}, {10002, false}}},
		{"aligned, not sliding", 2, 10 * time.Second, []step{{9998, true}, {9999, true}, {10000, true}, {10001, true}, {10002, false}}},
		{"rejections are not counted", 1, 10 * time.Second, []step{{0, true}, {1, false}, {2, false}, {10000, true}}},
		{"skipped windows", 1, time.Second, []step{{0, true}, {5500, true}, {5600, false}, {7000, true}}},
		{"zero limit allows", 0, time.Second, []step{{0, true}, {0, true}}},
		{"zero size allows", 1, 0, []step{{0, true}, {0, true}}},
		{"limit one", 1, 10 * time.Second, []step{{0, true}, {0, false}}},
		{"clock going back reopens a window", 1, 10 * time.Second, []step{{10000, true}, {10001, false}, {9000, true}, {9001, false}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var w Window
			for i, s := range tt.steps {
				if got := w.Allow(at(s.ms), tt.limit, tt.size); got != s.want {
					t.Fatalf("step %d (t=%dms): Allow = %v, want %v", i, s.ms, got, s.want)
				}
			}
		})
	}
}

func TestWindowIdle(t *testing.T) {
	base := time.Unix(1_700_000_000, 0)
	size := 10 * time.Second
	var w Window
	if !w.Idle(base, size) {
		t.Fatal("zero window must be idle")
	}
	w.Allow(base, 5, size)
	if w.Idle(base.Add(9*time.Second), size) {
		t.Fatal("window with events is not idle before it ends")
	}
	if !w.Idle(base.Add(10*time.Second), size) {
		t.Fatal("window is idle once it ended")
	}
}

func TestResetIn(t *testing.T) {
	base := time.Unix(1_700_000_000, 0)
	if got := ResetIn(base.Add(2500*time.Millisecond), 10*time.Second); got != 7500*time.Millisecond {
		t.Fatalf("ResetIn = %v", got)
	}
	if got := ResetIn(base, 10*time.Second); got != 10*time.Second {
		t.Fatalf("ResetIn at boundary = %v", got)
	}
}
