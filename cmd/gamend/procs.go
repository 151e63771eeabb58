package main

import (
	"log/slog"
	"os"
	"runtime"
	"strconv"
	"strings"
)

// raiseProcs applies MIN_GOMAXPROCS: on a host that gives Go two or three
// CPUs, the runtime runs its garbage collector's mark phase as a
// "fractional" worker that takes each P for several milliseconds at a
// time, and with only two Ps whatever is queued behind it waits (with
// 10,000 sockets a mark phase lasts 200–300 ms, every few seconds under
// load). From four Ps on, the collector gets one dedicated P and the
// operating system interleaves it with the other threads at a finer grain:
// the same CPU share, but requests no longer queue behind it
// (docs/BENCHMARKS.md: push p99 at 5,000/s on two cores, median 65 → 47
// ms over fifteen alternate runs). A GOMAXPROCS variable wins, and a
// single-CPU host or a CPU quota is left alone.
func raiseProcs(min int, log *slog.Logger) {
	_, set := os.LookupEnv("GOMAXPROCS")
	cur := runtime.GOMAXPROCS(0)
	if n := procsFor(cur, runtime.NumCPU(), min, set || cpuQuota()); n != cur {
		runtime.GOMAXPROCS(n)
		log.Info("GOMAXPROCS raised for the collector's mark phase", "cpus", cur, "gomaxprocs", n)
	}
}

// procsFor is the GOMAXPROCS to run with: cur, the runtime's choice,
// raised to min when it is at least 2 and equals cpus, the CPUs the
// process may run on, unless keep (GOMAXPROCS was set explicitly, or a CPU
// quota applies) or min is 0. A choice below cpus also comes from a CPU
// quota. Under a quota, more busy threads would only be throttled.
func procsFor(cur, cpus, min int, keep bool) int {
	if keep || min <= 0 || cur < 2 || cur >= min || cur != cpus {
		return cur
	}
	return min
}

// cpuQuota reports whether a CPU bandwidth limit applies, as a container's
// CPU limit sets it: cgroup v2's cpu.max or v1's cpu.cfs_quota_us where a
// container sees its own cgroup.
func cpuQuota() bool {
	if b, err := os.ReadFile("/sys/fs/cgroup/cpu.max"); err == nil {
		return quotaSet(string(b), false)
	}
	if b, err := os.ReadFile("/sys/fs/cgroup/cpu/cpu.cfs_quota_us"); err == nil {
		return quotaSet(string(b), true)
	}
	return false
}

// quotaSet reads a cgroup quota file: v2's cpu.max is "max 100000" without
// a limit and "150000 100000" with one; v1's cpu.cfs_quota_us is -1 without.
func quotaSet(s string, v1 bool) bool {
	f := strings.Fields(s)
	if len(f) == 0 {
		return false
	}
	if !v1 {
		return f[0] != "max"
	}
	n, err := strconv.ParseInt(f[0], 10, 64)
	return err == nil && n > 0
}
