package main

import (
	"fmt"
	"io"
	"slices"
	"sort"
	"sync"
	"sync/atomic"
	"time"
)

// report collects the results; safe for concurrent use.
type report struct {
	Target            int
	Connected, Joined atomic.Int64
	FramesIn          atomic.Int64
	Ramp              time.Duration
	NotifySent        int64

	mu                                       sync.Mutex
	dial, join, heartbeat, probe, push, rest []time.Duration
	failures                                 map[string]int
}

func newReport(target int) *report {
	return &report{Target: target, failures: map[string]int{}}
}

func (r *report) add(set *[]time.Duration, d time.Duration) {
	r.mu.Lock()
	*set = append(*set, d)
	r.mu.Unlock()
}

func (r *report) fail(reason string) {
	r.mu.Lock()
	r.failures[reason]++
	r.mu.Unlock()
}

func (r *report) print(w io.Writer) {
	r.mu.Lock()
	defer r.mu.Unlock()
	rate := 0.0
	if r.Ramp > 0 {
		rate = float64(r.Joined.Load()) / r.Ramp.Seconds()
	}
	fmt.Fprintf(w, "sockets:   %d/%d connected, %d joined in %v (%.0f connect+join/s)\n",
		r.Connected.Load(), r.Target, r.Joined.Load(), r.Ramp.Round(time.Millisecond), rate)
	fmt.Fprintf(w, "frames in: %d\n", r.FramesIn.Load())
	for _, l := range []struct {
		name string
		set  []time.Duration
	}{{"dial", r.dial}, {"join", r.join}, {"heartbeat", r.heartbeat}, {"probe", r.probe}, {"rest", r.rest}, {"push", r.push}} {
		if len(l.set) == 0 {
			continue
		}
		slices.Sort(l.set)
		fmt.Fprintf(w, "%-10s n=%-7d p50=%-10v p90=%-10v p99=%-10v max=%v\n", l.name+":", len(l.set),
			pct(l.set, 50), pct(l.set, 90), pct(l.set, 99), l.set[len(l.set)-1].Round(time.Microsecond))
	}
	if r.NotifySent > 0 {
		fmt.Fprintf(w, "notify:    %d created over REST, %d pushes received\n", r.NotifySent, len(r.push))
	}
	reasons := make([]string, 0, len(r.failures))
	for k := range r.failures {
		reasons = append(reasons, k)
	}
	sort.Strings(reasons)
	for _, k := range reasons {
		fmt.Fprintf(w, "failure:   %6d  %s\n", r.failures[k], k)
	}
}

func pct(sorted []time.Duration, p int) time.Duration {
	i := (len(sorted)*p + 99) / 100
	return sorted[max(0, min(len(sorted)-1, i-1))].Round(time.Microsecond)
}
