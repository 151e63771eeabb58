package main

import (
	"flag"
	"fmt"
	"os"
	"runtime"
	"strings"
	"testing"
)

func TestProcsFor(t *testing.T) {
	for _, tc := range []struct {
		cur, cpus, min int
		keep           bool
		want           int
	}{
		{2, 2, 4, false, 4},  // two CPUs: raised
		{3, 3, 4, false, 4},  // three: raised
		{4, 4, 4, false, 4},  // already there
		{8, 8, 4, false, 8},  // never lowered
		{1, 1, 4, false, 1},  // one CPU: left alone
		{2, 16, 4, false, 2}, // Go chose 2 for a CPU quota on a larger host: left alone
		{2, 2, 4, true, 2},   // GOMAXPROCS set, or a quota: kept
		{2, 2, 0, false, 2},  // MIN_GOMAXPROCS=0: off
		{2, 2, -1, false, 2}, // negative: off
	} {
		if got := procsFor(tc.cur, tc.cpus, tc.min, tc.keep); got != tc.want {
			t.Errorf("procsFor(%d, %d, %d, %v) = %d, want %d", tc.cur, tc.cpus, tc.min, tc.keep, got, tc.want)
		}
	}
}

func TestQuotaSet(t *testing.T) {
	for _, tc := range []struct {
		file string
		v1   bool
		want bool
	}{
		{"max 100000\n", false, false},
		{"150000 100000\n", false, true},
		{"200000 100000", false, true},
		{"", false, false},
		{"-1\n", true, false},
		{"150000\n", true, true},
		{"junk", true, false},
	} {
		if got := quotaSet(tc.file, tc.v1); got != tc.want {
			t.Errorf("quotaSet(%q, v1=%v) = %v, want %v", tc.file, tc.v1, got, tc.want)
		}
	}
}

// TestServerRaisesGOMAXPROCS starts the binary: on a host with 2 or 3
// CPUs (and no CPU quota) it raises GOMAXPROCS to MIN_GOMAXPROCS and says
// so; a GOMAXPROCS variable or MIN_GOMAXPROCS=0 leaves the runtime's
// choice alone.
func TestServerRaisesGOMAXPROCS(t *testing.T) {
	cpus := runtime.NumCPU()
	cur := runtime.GOMAXPROCS(0) // the runtime's choice, which the server makes too
	v, had := os.LookupEnv("GOMAXPROCS")
	if f := flag.Lookup("test.cpu"); had || (f != nil && f.Value.String() != "") {
		cur = cpus // this process's was set, not chosen: assume Go would pick every CPU
	}
	if had { // the shell's must not reach the server
		os.Unsetenv("GOMAXPROCS")
		t.Cleanup(func() { os.Setenv("GOMAXPROCS", v) })
	}
	const line = "GOMAXPROCS raised"
	raised := func(min int) int { // what the server should announce, 0 = nothing
		if n := procsFor(cur, cpus, min, cpuQuota()); n != cur {
			return n
		}
		return 0
	}
	for _, tc := range []struct {
		env  []string
		want int // GOMAXPROCS announced, 0 = no announcement
	}{
		{nil, raised(4)},
		{[]string{"MIN_GOMAXPROCS=6"}, raised(6)},
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
