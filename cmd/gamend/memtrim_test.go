package main

import (
	"os"
	"runtime/debug"
	"testing"
)

func TestSetGCPercent(t *testing.T) {
	prev := debug.SetGCPercent(100)
	t.Cleanup(func() { debug.SetGCPercent(prev) })
	gogc, had := os.LookupEnv("GOGC")
	os.Unsetenv("GOGC")
	t.Cleanup(func() {
		if had {
			os.Setenv("GOGC", gogc)
		}
	})
	for _, tc := range []struct {
		env     string // "" = GOGC unset
		percent int
		want    int
	}{
		{"", 200, 200},
		{"", 0, 100},     // 0: Go's default stays
		{"50", 200, 100}, // GOGC wins (the runtime applied it at start)
	} {
		debug.SetGCPercent(100)
		if tc.env != "" {
			t.Setenv("GOGC", tc.env)
		}
		setGCPercent(tc.percent)
		if got := debug.SetGCPercent(100); got != tc.want {
			t.Errorf("GOGC=%q GC_PERCENT=%d: percent %d, want %d", tc.env, tc.percent, got, tc.want)
		}
		os.Unsetenv("GOGC")
	}
}
