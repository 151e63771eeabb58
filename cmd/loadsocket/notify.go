package main

import (
	"bytes"
	"context"
	"fmt"
	"math"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/valyala/fasthttp"
)

// notifier creates notifications over the REST admin API at a fixed rate,
// each stamped with its send time, so the sockets can measure the push
// latency: REST request → durable write → notification_created on the
// recipient's user channel.
type notifier struct {
	o        options
	adminID  string
	auth     string // the Authorization header, built once
	url      string
	client   *fasthttp.Client
	sent     atomic.Int64
	rejected atomic.Int64
}

// newNotifier uses fasthttp's client: the load generator shares the machine
// with the server, so its own cost per request matters.
func newNotifier(o options) *notifier {
	return &notifier{o: o, adminID: subject(o.AdminToken), auth: "Bearer " + o.AdminToken, url: o.apiBase() + "/api/v1/admin/notifications",
		client: &fasthttp.Client{MaxConnsPerHost: o.NotifyWorkers, ReadTimeout: 10 * time.Second, WriteTimeout: 10 * time.Second}}
}

// warm opens the client's o.NotifyWorkers keep-alive connections with as
// many concurrent health checks, as a service calling the API keeps its
// pool open: the measured sends then do not pay for the TCP set-up.
func (n *notifier) warm(ctx context.Context) error {
	url := n.o.apiBase() + "/api/v1/health"
	errs := make(chan error, n.o.NotifyWorkers)
	for range n.o.NotifyWorkers {
		go func() {
			req, res := fasthttp.AcquireRequest(), fasthttp.AcquireResponse()
			defer fasthttp.ReleaseRequest(req)
			defer fasthttp.ReleaseResponse(res)
			req.SetRequestURI(url)
			err := n.client.Do(req, res)
			if err == nil && res.StatusCode() != fasthttp.StatusOK {
				err = fmt.Errorf("GET /api/v1/health: HTTP %d", res.StatusCode())
			}
			errs <- err
		}()
	}
	var first error
	for range n.o.NotifyWorkers {
		if err := <-errs; err != nil && first == nil {
			first = err
		}
	}
	if first == nil {
		first = ctx.Err()
	}
	return first
}

// run sends notifications to the sockets' users, round-robin, at
// o.NotifyRate per second until ctx ends.
func (n *notifier) run(ctx context.Context, socks []*sock, rep *report) {
	// Sends are scheduled open-loop: each is stamped with its intended send
	// time when scheduled, so time spent queued behind busy workers counts
	// in the measured latency (no coordinated omission).
	jobs := make(chan job, 8192)
	var wg sync.WaitGroup
	for range n.o.NotifyWorkers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for j := range jobs {
				n.send(j, rep)
			}
		}()
	}
	notifyStart.Store(time.Now().UnixNano())
	const tick = 5 * time.Millisecond
	t := time.NewTicker(tick)
	defer t.Stop()
	debt, next := 0.0, 0
	start := time.Now()
loop:
	for {
		select {
		case <-ctx.Done():
			break loop
		case <-t.C:
		}
		// Pace by elapsed time, not ticks, so a late tick catches up.
		due := n.o.NotifyRate*time.Since(start).Seconds() - debt
		for ; due >= 1; due-- {
			s := socks[next%min(len(socks), n.o.NotifyUsers)]
			next++
			debt++
			select {
			case jobs <- job{s: s, at: time.Now()}:
			default:
				rep.fail("notify: send queue full (client cannot keep the rate)")
			}
		}
	}
	close(jobs)
	wg.Wait()
}

type job struct {
	s  *sock
	at time.Time
}

func (n *notifier) send(j job, rep *report) {
	s := j.s
	req, res := fasthttp.AcquireRequest(), fasthttp.AcquireResponse()
	defer fasthttp.ReleaseRequest(req)
	defer fasthttp.ReleaseResponse(res)
	req.SetRequestURI(n.url)
	req.Header.SetMethod(fasthttp.MethodPost)
	req.Header.SetContentType("application/json")
	req.Header.Set("Authorization", n.auth)
	var arr [256]byte // the request copies it: no allocation per send
	body := append(arr[:0], `{"sender_id":"`...)
	body = append(body, n.adminID...)
	body = append(body, `","recipient_id":"`...)
	body = append(body, s.userID...)
	body = append(body, `","title":"loadsocket","content":"`...)
	body = strconv.AppendInt(body, j.at.UnixNano(), 10)
	body = append(body, `"}`...)
	req.AppendBody(body)
	sent := time.Now()
	err := n.client.Do(req, res)
	rep.add(&rep.rest, time.Since(sent))
	if err != nil {
		rep.fail("notify: " + err.Error())
		return
	}
	if res.StatusCode() != fasthttp.StatusCreated {
		n.rejected.Add(1)
		rep.fail(fmt.Sprintf("notify: HTTP %d", res.StatusCode()))
		return
	}
	n.sent.Add(1)
}

// notifyStart is when this run's notifier began (UnixNano; MaxInt64 until
// then): notifications stamped earlier are replays of an earlier run (a
// join pushes the latest 50) and are not latency samples.
var notifyStart atomic.Int64

func init() { notifyStart.Store(math.MaxInt64) }

// pushLatency finds the stamped send time in a raw notification_created
// frame sent by this run: the content of a loadsocket notification is only
// digits.
func pushLatency(frame []byte, now time.Time) (time.Duration, int64, bool) {
	if !bytes.Contains(frame, []byte(`"title":"loadsocket"`)) {
		return 0, 0, false
	}
	const key = `"content":"`
	i := bytes.Index(frame, []byte(key))
	if i < 0 {
		return 0, 0, false
	}
	rest := frame[i+len(key):]
	j := bytes.IndexByte(rest, '"')
	if j < 0 {
		return 0, 0, false
	}
	ns, err := strconv.ParseInt(string(rest[:j]), 10, 64)
	if err != nil || ns < notifyStart.Load() {
		return 0, 0, false
	}
	return now.Sub(time.Unix(0, ns)), ns, true
}
