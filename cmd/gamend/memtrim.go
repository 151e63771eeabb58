package main

import (
	"log/slog"
	"os"
	"runtime/debug"
	"runtime/metrics"
	"time"
)

// startIdleTrim returns freed memory to the operating system when the
// server goes quiet after a busy period. Go keeps freed heap around (up to
// about twice the live heap) in case it is needed again; a game server
// spends long stretches idle after a burst (everyone connected, then
// mostly heartbeats), and this gives that memory back. It checks every
// 10 s: if less than 4 MiB was allocated in the last window (idle) and
// more than 64 MiB since the last trim (something happened), it runs
// debug.FreeOSMemory — one garbage collection, a few milliseconds with
// 10,000 sockets. Under load it never runs.
func startIdleTrim(stop <-chan struct{}, log *slog.Logger) {
	sample := []metrics.Sample{{Name: "/gc/heap/allocs:bytes"}}
	read := func() uint64 {
		metrics.Read(sample)
		return sample[0].Value.Uint64()
	}
	go func() {
		t := time.NewTicker(10 * time.Second)
		defer t.Stop()
		last := read()
		lastTrim := last
		for {
			select {
			case <-stop:
				return
			case <-t.C:
			}
			now := read()
			if now-last < 4<<20 && now-lastTrim > 64<<20 {
				start := time.Now()
				debug.FreeOSMemory()
				log.Debug("idle: returned freed memory to the OS", "took", time.Since(start))
				lastTrim = read()
			}
			last = now
		}
	}()
}

// setGCPercent applies GC_PERCENT unless GOGC is set (the runtime read it
// already). Under load the collector's mark phase takes a quarter of the
// CPU and slows allocation for a few hundred milliseconds with 10,000
// sockets; the default, 200, halves how often requests meet it, at the
// price of a larger heap under load (docs/BENCHMARKS.md has both sides).
func setGCPercent(percent int) {
	if _, set := os.LookupEnv("GOGC"); set || percent <= 0 {
		return
	}
	debug.SetGCPercent(percent)
}
