package main

import (
	"fmt"
	"os"
	"runtime"
	"strings"
	"testing"
)

func TestProcsFor(t *testing.T) {
	for _, tc := range []struct {
		cur, min int
		explicit bool
		want     int
	}{
		{2, 4, false, 4},  // two CPUs: raised
		{3, 4, false, 4},  // three: raised
		{4, 4, false, 4},  // already there
		{8, 4, false, 8},  // never lowered
		{1, 4, false, 1},  // one CPU: left alone
		{2, 4, true, 2},   // GOMAXPROCS set: it wins
		{2, 0, false, 2},  // MIN_GOMAXPROCS=0: off
		{2, -1, false, 2}, // negative: off
	} {
		if got := procsFor(tc.cur, tc.min, tc.explicit); got != tc.want {
			t.Errorf("procsFor(%d, %d, %v) = %d, want %d", tc.cur, tc.min, tc.explicit, got, tc.want)
		}
	}
}

// TestServerRaisesGOMAXPROCS starts the binary: on a host with 2 or 3
// CPUs it raises GOMAXPROCS to MIN_GOMAXPROCS and says so; a GOMAXPROCS
// variable or MIN_GOMAXPROCS=0 leaves the runtime's choice alone.
func TestServerRaisesGOMAXPROCS(t *testing.T) {
	if v, had := os.LookupEnv("GOMAXPROCS"); had { // the shell's must not reach the server
		os.Unsetenv("GOMAXPROCS")
		t.Cleanup(func() { os.Setenv("GOMAXPROCS", v) })
	}
	const line = "GOMAXPROCS raised"
	cpus := runtime.NumCPU()
	for _, tc := range []struct {
		env  []string
		want int // GOMAXPROCS announced, 0 = no announcement
	}{
		{nil, map[bool]int{true: 4}[procsFor(cpus, 4, false) != cpus]},
		{[]string{"MIN_GOMAXPROCS=6"}, map[bool]int{true: 6}[procsFor(cpus, 6, false) != cpus]},
		{[]string{"MIN_GOMAXPROCS=0"}, 0},
		{[]string{"GOMAXPROCS=2"}, 0},
	} {
		srv := startBinary(t, append([]string{"LOG_LEVEL=info"}, tc.env...))
		_ = srv.cmd.Process.Kill()
		_ = srv.cmd.Wait() // the output is complete once it has exited
		logs := srv.logs.String()
		switch {
		case tc.want == 0 && strings.Contains(logs, line):
			t.Errorf("%v: raised GOMAXPROCS on %d CPUs:\n%s", tc.env, cpus, logs)
		case tc.want != 0 && !strings.Contains(logs, fmt.Sprintf("gomaxprocs=%d", tc.want)):
			t.Errorf("%v: want GOMAXPROCS raised to %d on %d CPUs:\n%s", tc.env, tc.want, cpus, logs)
		}
	}
}
