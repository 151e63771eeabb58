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
	pushSent                                 []int64 // send stamp (UnixNano) of each push sample, in step with push
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

// addPush records a push latency with the send time it was measured from.
func (r *report) addPush(sent int64, d time.Duration) {
	r.mu.Lock()
	r.push = append(r.push, d)
	r.pushSent = append(r.pushSent, sent)
	r.mu.Unlock()
}

// printTimeline writes push latency by window of send time: where in the
// run the slow pushes cluster (to set beside the server's GC and commit
// logs). Call it before print, which sorts the samples.
func (r *report) printTimeline(w io.Writer, window time.Duration) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if len(r.pushSent) == 0 {
		return
	}
	start := slices.Min(r.pushSent)
	buckets := map[int64][]time.Duration{}
	for i, sent := range r.pushSent {
		k := (sent - start) / int64(window)
		buckets[k] = append(buckets[k], r.push[i])
	}
	keys := make([]int64, 0, len(buckets))
	for k := range buckets {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	fmt.Fprintln(w, "window_start count p50_ms p99_ms max_ms")
	for _, k := range keys {
		b := buckets[k]
		slices.Sort(b)
		at := time.Unix(0, start+k*int64(window)).UTC().Format("15:04:05.000")
		fmt.Fprintf(w, "%s %d %.1f %.1f %.1f\n", at, len(b), ms(pct(b, 50)), ms(pct(b, 99)), ms(b[len(b)-1]))
	}
}

func ms(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }

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
