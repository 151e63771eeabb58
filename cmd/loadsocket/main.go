// Command loadsocket opens many Phoenix Channels sockets against a
// Gamend-Go (or upstream Gamend) server, joins a topic on each, holds them
// while heartbeating like phoenix.js, and reports the connect+join rate,
// latency percentiles and every failure by kind.
//
//	loadsocket -url ws://localhost:4000/socket/websocket -device-login -n 2000 -c 64 -duration 60s
//
// Token sources (one is required):
//
//	-token T          one access token for every socket (the server's
//	                  LIMIT_MAX_SOCKETS_PER_USER must allow -n sockets)
//	-tokens FILE      one token per line, used round-robin
//	-device-login     sign in -users device users through
//	                  POST /api/v1/login/device (raise the server's
//	                  RATE_LIMIT_HTTP_AUTH_LIMIT first: it is 10/min/IP)
//
// Push latency: with -notify-rate R and -admin-token T, R notifications per
// second are created through POST /api/v1/admin/notifications for the
// sockets' users, each stamped with its send time; the report's "push" line
// is the time from sending the REST request to receiving the matching
// notification_created on the socket (including any time the request
// waited for a free -notify-workers slot); the "rest" line is the REST
// round trip alone. Before the first notification the load client opens
// its -notify-workers REST connections and waits -settle after the last
// join, so the figures are of pushes to joined sockets, not of the ramp.
//
// Probes measure push latency: -probe-rate round trips per second, spread
// over the sockets, either heartbeats (the default) or, with -probe-event,
// a client push on the joined topic answered by phx_reply (each counts
// against the server's per-user push budget, 60 per 10 s).
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"runtime/pprof"
	"strings"
	"syscall"
	"time"
)

func main() {
	os.Exit(run(os.Args[1:]))
}

func run(args []string) int {
	fs := flag.NewFlagSet("loadsocket", flag.ContinueOnError)
	o := options{}
	fs.StringVar(&o.URL, "url", "ws://localhost:4000/socket/websocket", "socket URL (vsn and token are appended)")
	fs.StringVar(&o.API, "api", "", "HTTP base for -device-login (default: derived from -url)")
	fs.StringVar(&o.Token, "token", "", "one access token for every socket")
	fs.StringVar(&o.TokensFile, "tokens", "", "file with one access token per line")
	fs.BoolVar(&o.DeviceLogin, "device-login", false, "create/sign in device users for tokens")
	fs.IntVar(&o.Users, "users", 0, "distinct users for -device-login (default -n)")
	fs.StringVar(&o.DevicePrefix, "device-prefix", "loadsocket", "device id prefix for -device-login")
	fs.IntVar(&o.N, "n", 100, "sockets to open")
	fs.IntVar(&o.Concurrency, "c", 32, "connects in flight")
	fs.DurationVar(&o.Duration, "duration", 30*time.Second, "how long to hold the sockets after the last one joined")
	fs.StringVar(&o.Topic, "topic", "user:{user}", "topic to join; {user} is the token's user id, {i} the socket index")
	fs.BoolVar(&o.Deflate, "deflate", true, "offer permessage-deflate")
	fs.DurationVar(&o.Heartbeat, "heartbeat", 30*time.Second, "heartbeat interval per socket (0 = none)")
	fs.Float64Var(&o.ProbeRate, "probe-rate", 50, "latency probes per second over all sockets (0 = none)")
	fs.StringVar(&o.ProbeEvent, "probe-event", "", "probe with this client push on the joined topic instead of heartbeats")
	fs.StringVar(&o.ProbePayload, "probe-payload", "{}", "JSON payload of -probe-event")
	fs.DurationVar(&o.Timeout, "timeout", 10*time.Second, "dial and join timeout")
	fs.Float64Var(&o.NotifyRate, "notify-rate", 0, "notifications per second created over REST while holding, to measure push latency (needs -admin-token)")
	fs.IntVar(&o.NotifyWorkers, "notify-workers", 64, "concurrent REST requests of -notify-rate")
	fs.DurationVar(&o.Settle, "settle", 2*time.Second, "with -notify-rate: open the -notify-workers REST connections, then wait this long after the last join before the first notification")
	fs.IntVar(&o.NotifyUsers, "notify-users", 0, "send -notify-rate notifications to the first N sockets only (default all)")
	fs.StringVar(&o.AdminToken, "admin-token", "", "an administrator's access token, for -notify-rate")
	cpuProfile := fs.String("cpuprofile", "", "write the load client's own CPU profile to this file")
	memProfile := fs.String("memprofile", "", "write the load client's own allocation profile to this file at the end")
	fs.IntVar(&o.PushGCPercent, "push-gc-percent", 400, "with -notify-rate: the load client's own GOGC once the sockets are joined (a GOGC variable wins; 0 = unchanged); collecting rarely keeps its own mark phases, which stall its readers, out of the measured push latency")
	timeline := fs.String("timeline", "", "write push latency per 250 ms of send time (count, p50, p99, max) to this file")
	saveTokens := fs.String("save-tokens", "", "write the tokens obtained (one per line) to this file and exit (use with -device-login)")
	if err := fs.Parse(args); err != nil {
		return 2
	}
	if err := o.validate(); err != nil {
		fmt.Fprintln(os.Stderr, "loadsocket:", err)
		return 2
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	creds, err := o.credentials(ctx)
	if err != nil {
		fmt.Fprintln(os.Stderr, "loadsocket:", err)
		return 1
	}
	if *saveTokens != "" {
		var b strings.Builder
		for _, c := range creds {
			b.WriteString(c.token)
			b.WriteByte('\n')
		}
		if err := os.WriteFile(*saveTokens, []byte(b.String()), 0o600); err != nil {
			fmt.Fprintln(os.Stderr, "loadsocket:", err)
			return 1
		}
		fmt.Printf("saved %d tokens to %s\n", len(creds), *saveTokens)
		return 0
	}
	if *cpuProfile != "" {
		f, err := os.Create(*cpuProfile)
		if err != nil {
			fmt.Fprintln(os.Stderr, "loadsocket:", err)
			return 1
		}
		defer f.Close()
		if err := pprof.StartCPUProfile(f); err != nil {
			fmt.Fprintln(os.Stderr, "loadsocket:", err)
			return 1
		}
		defer pprof.StopCPUProfile()
	}
	rep := load(ctx, o, creds, os.Stderr)
	if *memProfile != "" {
		if err := writeHeapProfile(*memProfile); err != nil {
			fmt.Fprintln(os.Stderr, "loadsocket:", err)
			return 1
		}
	}
	if *timeline != "" {
		f, err := os.Create(*timeline)
		if err != nil {
			fmt.Fprintln(os.Stderr, "loadsocket:", err)
			return 1
		}
		rep.printTimeline(f, 250*time.Millisecond)
		if err := f.Close(); err != nil {
			fmt.Fprintln(os.Stderr, "loadsocket:", err)
			return 1
		}
	}
	rep.print(os.Stdout) // sorts the samples: after the timeline
	if rep.Joined.Load() < int64(o.N) {
		return 1
	}
	return 0
}

func writeHeapProfile(path string) error {
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	if err := pprof.Lookup("allocs").WriteTo(f, 0); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}
