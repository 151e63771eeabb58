package phoenix_test

import (
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/gamend-go/gamend/transport/phoenix"
)

// Default soft limits (phoenix.Config): the bursts below go past them.
const (
	defaultSoftFrames = 1024
	defaultSoftBytes  = 2 << 20
)

// TestBurstDelivered: a client that keeps reading gets every frame of a
// burst, in order, even when the burst is far deeper than the soft queue
// limits and far larger than what the connection holds without the
// client reading: the writer is blocked on the client's full receive
// window while the queue is past a soft limit, and still nothing is
// dropped, because the client is making progress when it reads.
func TestBurstDelivered(t *testing.T) {
	tests := []struct {
		name    string
		n, size int
	}{
		{"5000 events, past the soft frame limit", 5000, 200},
		{"3.2 MB, past the soft byte limit", 400, 8 << 10},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if tt.n <= defaultSoftFrames && tt.n*tt.size <= defaultSoftBytes {
				t.Fatal("the burst must exceed a soft limit")
			}
			s := startServerSndbuf(t, phoenix.Config{}, smallSendBuffer)
			c, conn := s.joinedSlowClient(t)
			// The whole burst is pushed at once, before the client reads.
			for i := range tt.n {
				if err := conn.PushJSON(fmt.Sprintf("e%d", i), burstPayload(i, tt.size)); err != nil {
					t.Fatalf("push %d of an instantaneous burst: %v", i, err)
				}
			}
			// It does not fit in the connection: the writer is stuck on
			// the client's window, holding most of the burst.
			eventually(t, "the writer blocked on the unread burst", func() bool {
				return s.ep.WriterBlockedFor("u1") >= 50*time.Millisecond
			})
			if q := s.ep.Stats().QueuedBytes; q < int64(tt.n*tt.size/2) {
				t.Fatalf("only %d of %d burst bytes held by the server: the burst fit without reading", q, tt.n*tt.size)
			}
			for i := range tt.n {
				f := c.recv()
				if f.Event != fmt.Sprintf("e%d", i) || string(f.Payload) != string(burstPayload(i, tt.size)) {
					t.Fatalf("frame %d is %s (%d bytes)", i, f.Event, len(f.Payload))
				}
			}
			c.send(`[null,"h","phoenix","heartbeat",{}]`)
			c.expect(`[null,"h","phoenix","phx_reply",{"status":"ok","response":{}}]`)
			eventually(t, "the queue drained", func() bool { return s.ep.Stats().QueuedBytes == 0 })
			if st := s.ep.Stats(); st.SlowConsumerDisconnects != 0 || st.SocketsOpen != 1 {
				t.Fatalf("stats %+v", st)
			}
		})
	}
}

// flood pushes payload on conn until a push fails (or 100k pushes),
// checking that no push blocks. pace sleeps a millisecond every 16
// pushes, so the writer drains into the kernel buffers first.
func flood(t *testing.T, conn *phoenix.Conn, payload []byte, pace bool) (int, error) {
	t.Helper()
	for pushed := 0; pushed < 100_000; pushed++ {
		if pace && pushed%16 == 0 {
			time.Sleep(time.Millisecond)
		}
		start := time.Now()
		err := conn.PushJSON("flood", payload)
		if d := time.Since(start); d > time.Second {
			t.Fatalf("push blocked for %v", d)
		}
		if err != nil {
			return pushed, err
		}
	}
	t.Fatal("100000 pushes to a client that does not read were all accepted")
	return 0, nil
}

// TestSlowConsumerStalled: a client that stops reading is disconnected
// once its queue is past a soft limit and its writer has made no progress
// for StallTimeout; frames beyond the soft limit were accepted until
// then. The disconnect is counted and logged at Warn with the user id,
// and the server never held more than MaxQueueBytes for it.
func TestSlowConsumerStalled(t *testing.T) {
	const softFrames, hardCap = 64, 4 << 20
	s := startServer(t, phoenix.Config{SoftQueueFrames: softFrames, MaxQueueBytes: hardCap,
		StallTimeout: 200 * time.Millisecond, WriteTimeout: 10 * time.Second, CloseGrace: 200 * time.Millisecond})
	_, conn := s.joinedSlowClient(t)
	// From here on the client reads nothing.
	payload := []byte(`{"blob":"` + strings.Repeat("z", 1024) + `"}`)
	start := time.Now()
	pushed, err := flood(t, conn, payload, true)
	if !errors.Is(err, phoenix.ErrSlowConsumer) {
		t.Fatalf("after %d pushes: %v", pushed, err)
	}
	t.Logf("disconnected after %d pushes of %d bytes in %v", pushed, len(payload), time.Since(start))
	if pushed <= softFrames {
		t.Fatalf("cut off after %d pushes: the soft limit acted as a hard one", pushed)
	}
	if el := time.Since(start); el < 200*time.Millisecond {
		t.Fatalf("cut off after %v, before the writer could have stalled for StallTimeout", el)
	}
	if err := conn.PushJSON("flood", payload); !errors.Is(err, phoenix.ErrClosed) {
		t.Fatalf("push after disconnect: %v", err)
	}
	eventually(t, "socket torn down", func() bool { return s.ep.Stats().SocketsOpen == 0 })
	if l := s.ch.nextLeave(t); l.reason != phoenix.LeaveDisconnect {
		t.Fatalf("leave %+v", l)
	}
	st := s.ep.Stats()
	if st.SlowConsumerDisconnects != 1 || st.PeakSocketQueueBytes > hardCap || st.QueuedBytes != 0 {
		t.Fatalf("stats %+v", st)
	}
	logs := s.logs.String()
	if !strings.Contains(logs, `level=WARN msg="slow consumer disconnected"`) || !strings.Contains(logs, "user_id=u1 reason=stalled") {
		t.Fatalf("slow consumer not logged at Warn with its user id:\n%s", logs)
	}
}

// TestSlowConsumerHardCap: however young the stall, a socket never holds
// more than MaxQueueBytes: a push that would exceed it disconnects the
// socket at once.
func TestSlowConsumerHardCap(t *testing.T) {
	const hardCap = 1 << 20
	s := startServer(t, phoenix.Config{MaxQueueBytes: hardCap, SoftQueueBytes: 64 << 10,
		StallTimeout: time.Minute, WriteTimeout: time.Minute, CloseGrace: 200 * time.Millisecond})
	_, conn := s.joinedSlowClient(t)
	payload := []byte(`{"blob":"` + strings.Repeat("z", 4096) + `"}`)
	start := time.Now()
	pushed, err := flood(t, conn, payload, false)
	if !errors.Is(err, phoenix.ErrSlowConsumer) {
		t.Fatalf("after %d pushes: %v", pushed, err)
	}
	if el := time.Since(start); el > 10*time.Second {
		t.Fatalf("took %v: the cap did not act, a timeout did", el)
	}
	st := s.ep.Stats()
	if st.PeakSocketQueueBytes > hardCap || st.PeakSocketQueueBytes < hardCap-2*int64(len(payload))-1024 {
		t.Fatalf("peak queue %d bytes, want just under the %d cap", st.PeakSocketQueueBytes, hardCap)
	}
	eventually(t, "socket torn down", func() bool { return s.ep.Stats().SocketsOpen == 0 })
	if st := s.ep.Stats(); st.SlowConsumerDisconnects != 1 || st.QueuedBytes != 0 {
		t.Fatalf("stats %+v", st)
	}
	if !strings.Contains(s.logs.String(), "user_id=u1 reason=queue_full") {
		t.Fatalf("cap not logged:\n%s", s.logs)
	}
}

// TestSlowSteadyReaderKept: a client on a slow link that keeps reading
// (here about 200 KB/s) is not taken for a stalled one while pushes keep
// coming with its queue past a soft limit: progress is measured per 16 KiB
// written, not per 64 KiB batch (which this client takes ~300 ms to read,
// more than StallTimeout).
func TestSlowSteadyReaderKept(t *testing.T) {
	const backlog, live, size = 300, 200, 1024
	s := startServerSndbuf(t, phoenix.Config{SoftQueueFrames: 32, StallTimeout: 200 * time.Millisecond}, smallSendBuffer)
	c, conn := s.joinedSlowClient(t)
	for i := range backlog {
		if err := conn.PushJSON(fmt.Sprintf("e%d", i), burstPayload(i, size)); err != nil {
			t.Fatalf("push %d: %v", i, err)
		}
	}
	pushErr := make(chan error, 1)
	go func() { // live pushes while the backlog drains, each checked against the stall rule
		for i := backlog; i < backlog+live; i++ {
			time.Sleep(5 * time.Millisecond)
			if err := conn.PushJSON(fmt.Sprintf("e%d", i), burstPayload(i, size)); err != nil {
				pushErr <- fmt.Errorf("push %d: %w", i, err)
				return
			}
		}
		pushErr <- nil
	}()
	for i := range backlog + live {
		time.Sleep(5 * time.Millisecond) // ~1 KB per 5 ms
		if f := c.recv(); f.Event != fmt.Sprintf("e%d", i) {
			t.Fatalf("frame %d is %q", i, f.Event)
		}
	}
	if err := <-pushErr; err != nil {
		t.Fatal(err)
	}
	if st := s.ep.Stats(); st.SlowConsumerDisconnects != 0 {
		t.Fatalf("a steady reader was disconnected: %+v", st)
	}
}
