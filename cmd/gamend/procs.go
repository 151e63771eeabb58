package main

import (
	"log/slog"
	"os"
	"runtime"
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
// ms over eleven alternate runs). A GOMAXPROCS variable wins, and a
// single-CPU host is left alone.
func raiseProcs(min int, log *slog.Logger) {
	_, set := os.LookupEnv("GOMAXPROCS")
	cur := runtime.GOMAXPROCS(0)
	if n := procsFor(cur, min, set); n != cur {
		runtime.GOMAXPROCS(n)
		log.Info("GOMAXPROCS raised for the collector's mark phase", "cpus", cur, "gomaxprocs", n)
	}
}

// procsFor is the GOMAXPROCS to run with: cur (the runtime's choice from
// the CPUs it may use) raised to min when cur is at least 2, unless
// GOMAXPROCS was set explicitly or min is 0.
func procsFor(cur, min int, explicit bool) int {
	if explicit || min <= 0 || cur < 2 || cur >= min {
		return cur
	}
	return min
}
