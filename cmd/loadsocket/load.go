package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/url"
	"os"
	"runtime/debug"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/fasthttp/websocket"
)

// sock is one client socket.
type sock struct {
	ws      *websocket.Conn
	userID  string
	topic   string
	joinRef string
	wmu     sync.Mutex
	nextRef atomic.Uint64
	pmu     sync.Mutex
	pending map[string]time.Time // ref -> sent at
	closed  atomic.Bool
}

func (s *sock) send(joinRef, ref, topic, event, payload string) error {
	jr := "null"
	if joinRef != "" {
		jr = strconv.Quote(joinRef)
	}
	msg := fmt.Sprintf(`[%s,%q,%q,%q,%s]`, jr, ref, topic, event, payload)
	s.wmu.Lock()
	defer s.wmu.Unlock()
	s.ws.SetWriteDeadline(time.Now().Add(10 * time.Second))
	// Like browsers' and Node ws's clients, compress only messages worth
	// it (ws's default threshold is 1 KiB) when deflate was negotiated.
	s.ws.EnableWriteCompression(len(msg) >= 1024)
	return s.ws.WriteMessage(websocket.TextMessage, []byte(msg))
}

// probe sends a heartbeat (kind "h") or the probe push (kind "p").
func (s *sock) probe(kind string, o options) error {
	ref := kind + strconv.FormatUint(s.nextRef.Add(1), 10)
	s.pmu.Lock()
	s.pending[ref] = time.Now()
	s.pmu.Unlock()
	if kind == "p" && o.ProbeEvent != "" {
		return s.send(s.joinRef, ref, s.topic, o.ProbeEvent, o.ProbePayload)
	}
	return s.send("", ref, "phoenix", "heartbeat", "{}")
}

type wire struct {
	ref, topic, event string
	payload           json.RawMessage
}

func decode(data []byte) (wire, error) {
	var parts []json.RawMessage
	if err := json.Unmarshal(data, &parts); err != nil || len(parts) != 5 {
		return wire{}, fmt.Errorf("bad frame %.100s", data)
	}
	var w wire
	json.Unmarshal(parts[1], &w.ref)
	json.Unmarshal(parts[2], &w.topic)
	json.Unmarshal(parts[3], &w.event)
	w.payload = parts[4]
	return w, nil
}

type replyBody struct {
	Status   string `json:"status"`
	Response struct {
		Reason string `json:"reason"`
		Error  string `json:"error"`
	} `json:"response"`
}

// load runs the whole experiment.
func load(ctx context.Context, o options, creds []credential, progress io.Writer) *report {
	rep := newReport(o.N)
	socks := make([]*sock, o.N)
	dialer := &websocket.Dialer{HandshakeTimeout: o.Timeout, EnableCompression: o.Deflate, ReadBufferSize: 2048, WriteBufferSize: 1024}

	var next atomic.Int64
	var wg sync.WaitGroup
	start := time.Now()
	for range min(o.Concurrency, o.N) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for ctx.Err() == nil {
				i := int(next.Add(1)) - 1
				if i >= o.N {
					return
				}
				socks[i] = connect(o, dialer, creds[i%len(creds)], i, rep)
			}
		}()
	}
	wg.Wait()
	rep.Ramp = time.Since(start)
	fmt.Fprintf(progress, "loadsocket: %d/%d sockets joined in %v; holding for %v\n", rep.Joined.Load(), o.N, rep.Ramp.Round(time.Millisecond), o.Duration)

	live := make([]*sock, 0, len(socks))
	for _, s := range socks {
		if s != nil {
			live = append(live, s)
			go readLoop(s, rep)
		}
	}
	if o.NotifyRate > 0 && len(live) > 0 {
		if _, set := os.LookupEnv("GOGC"); !set && o.PushGCPercent > 0 {
			// Not during the ramp: a larger heap then only means more
			// fresh pages to fault in.
			debug.SetGCPercent(o.PushGCPercent)
		}
		n := newNotifier(o)
		if err := n.warm(ctx); err != nil {
			rep.fail("notify warm-up: " + classify(err))
		}
		select {
		case <-ctx.Done():
		case <-time.After(o.Settle):
		}
		nctx, cancel := context.WithTimeout(ctx, o.Duration)
		done := make(chan struct{})
		go func() { n.run(nctx, live, rep); close(done) }()
		hold(ctx, o, live, rep)
		cancel()
		<-done // every request in flight has been answered
		rep.NotifySent = n.sent.Load()
		time.Sleep(500 * time.Millisecond) // let the last pushes arrive
	} else {
		hold(ctx, o, live, rep)
	}
	for _, s := range live {
		s.closed.Store(true)
		s.wmu.Lock()
		s.ws.WriteControl(websocket.CloseMessage, websocket.FormatCloseMessage(websocket.CloseNormalClosure, ""), time.Now().Add(time.Second))
		s.wmu.Unlock()
		s.ws.Close()
	}
	return rep
}

func connect(o options, d *websocket.Dialer, cred credential, i int, rep *report) *sock {
	q := url.Values{"vsn": {"2.0.0"}, "token": {cred.token}}
	target := o.URL + "?" + q.Encode()
	t0 := time.Now()
	ws, res, err := d.Dial(target, nil)
	if err != nil {
		reason := classify(err)
		if res != nil {
			reason = "HTTP " + strconv.Itoa(res.StatusCode)
		}
		rep.fail("connect: " + reason)
		return nil
	}
	rep.add(&rep.dial, time.Since(t0))
	rep.Connected.Add(1)

	topic := strings.NewReplacer("{user}", cred.userID, "{i}", strconv.Itoa(i)).Replace(o.Topic)
	s := &sock{ws: ws, userID: cred.userID, topic: topic, joinRef: "1", pending: map[string]time.Time{}}
	t1 := time.Now()
	if err := s.send("1", "1", topic, "phx_join", "{}"); err != nil {
		rep.fail("join send: " + classify(err))
		ws.Close()
		return nil
	}
	ws.SetReadDeadline(time.Now().Add(o.Timeout))
	for {
		_, data, err := ws.ReadMessage()
		if err != nil {
			rep.fail("join: " + classify(err))
			ws.Close()
			return nil
		}
		w, err := decode(data)
		if err != nil || w.ref != "1" || w.event != "phx_reply" {
			continue // a push made during the join, or noise
		}
		var rb replyBody
		json.Unmarshal(w.payload, &rb)
		if rb.Status != "ok" {
			rep.fail("join refused: " + rb.Response.Reason + rb.Response.Error)
			ws.Close()
			return nil
		}
		break
	}
	ws.SetReadDeadline(time.Time{})
	rep.add(&rep.join, time.Since(t1))
	rep.Joined.Add(1)
	return s
}

// frames holds read buffers: a frame is handled before the next is read,
// so the 10,000 readers share a few buffers instead of allocating one per
// frame (the load client's own collections would show up as latency).
var frames = sync.Pool{New: func() any { b := make([]byte, 0, 2048); return &b }}

// readFrame reads the next message into a pooled buffer; the caller puts
// the buffer back once it is done with the frame.
func readFrame(ws *websocket.Conn) (*[]byte, error) {
	_, r, err := ws.NextReader()
	if err != nil {
		return nil, err
	}
	buf := frames.Get().(*[]byte)
	b := (*buf)[:0]
	for {
		if len(b) == cap(b) {
			b = append(b, 0)[:len(b)]
		}
		n, err := r.Read(b[len(b):cap(b)])
		b = b[:len(b)+n]
		if err == io.EOF {
			*buf = b
			return buf, nil
		}
		if err != nil {
			*buf = b
			frames.Put(buf)
			return nil, err
		}
	}
}

func readLoop(s *sock, rep *report) {
	for {
		buf, err := readFrame(s.ws)
		if err != nil {
			if !s.closed.Load() {
				rep.fail("disconnected: " + classify(err))
			}
			s.closed.Store(true)
			return
		}
		rep.FramesIn.Add(1)
		handleFrame(s, *buf, rep)
		frames.Put(buf)
	}
}

// handleFrame records what one frame measures; data is not kept.
func handleFrame(s *sock, data []byte, rep *report) {
	// Pushes are the bulk of the traffic: recognise them without a full
	// JSON decode (the load client shares the machine with the server).
	if bytes.Contains(data, []byte(`"notification_created"`)) {
		if d, sent, ok := pushLatency(data, time.Now()); ok {
			rep.addPush(sent, d)
		}
		return
	}
	w, err := decode(data)
	if err != nil || w.event != "phx_reply" {
		return
	}
	s.pmu.Lock()
	sent, ok := s.pending[w.ref]
	delete(s.pending, w.ref)
	s.pmu.Unlock()
	if !ok {
		return
	}
	if w.ref[0] == 'p' {
		rep.add(&rep.probe, time.Since(sent))
	} else {
		rep.add(&rep.heartbeat, time.Since(sent))
	}
}

// hold heartbeats every socket once per interval (spread over ticks, as
// many clients would be) and sends probes at the requested rate.
func hold(ctx context.Context, o options, socks []*sock, rep *report) {
	if len(socks) == 0 {
		return
	}
	const tick = 50 * time.Millisecond
	t := time.NewTicker(tick)
	defer t.Stop()
	end := time.After(o.Duration)
	slots := 1
	if o.Heartbeat > 0 {
		slots = max(1, int(o.Heartbeat/tick))
	}
	probeDebt, probeNext := 0.0, 0
	for n := 0; ; n++ {
		select {
		case <-ctx.Done():
			return
		case <-end:
			return
		case <-t.C:
		}
		if o.Heartbeat > 0 {
			for i := n % slots; i < len(socks); i += slots {
				if s := socks[i]; !s.closed.Load() {
					if err := s.probe("h", o); err != nil {
						rep.fail("heartbeat send: " + classify(err))
					}
				}
			}
		}
		probeDebt += o.ProbeRate * tick.Seconds()
		for ; probeDebt >= 1; probeDebt-- {
			s := socks[probeNext%len(socks)]
			probeNext++
			if !s.closed.Load() {
				s.probe("p", o)
			}
		}
	}
}

func classify(err error) string {
	var ce *websocket.CloseError
	var op *net.OpError
	var ne net.Error
	switch {
	case errors.As(err, &ce):
		return "close " + strconv.Itoa(ce.Code)
	case errors.As(err, &ne) && ne.Timeout():
		return "timeout"
	case errors.As(err, &op):
		return op.Op + ": " + op.Err.Error()
	case errors.Is(err, websocket.ErrBadHandshake):
		return "bad handshake"
	}
	return err.Error()
}
