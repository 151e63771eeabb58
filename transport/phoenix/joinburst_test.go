package phoenix_test

import (
	"bytes"
	"errors"
	"fmt"
	"net"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/fasthttp/websocket"

	"github.com/gamend-go/gamend/transport/phoenix"
)

// smallWindowDialer dials with a 4 KiB receive buffer, so the server's
// writes block as soon as the client stops reading.
func smallWindowDialer() *websocket.Dialer {
	nd := &net.Dialer{Control: func(_, _ string, rc syscall.RawConn) error {
		return rc.Control(func(fd uintptr) { syscall.SetsockoptInt(int(fd), syscall.SOL_SOCKET, syscall.SO_RCVBUF, 4096) })
	}}
	return &websocket.Dialer{NetDial: nd.Dial, HandshakeTimeout: 5 * time.Second}
}

// expectBurst reads the n join-burst frames b0..b(n-1) of topic.
func (c *client) expectBurst(topic string, n, size int) {
	c.t.Helper()
	for i := range n {
		f := c.recv()
		if f.Topic != topic || f.Event != fmt.Sprintf("b%d", i) || !bytes.Equal(f.Payload, burstPayload(i, size)) {
			c.t.Fatalf("burst frame %d: %s %s (%d bytes)", i, f.Topic, f.Event, len(f.Payload))
		}
	}
}

// TestJoinBurstDelivered (regression): a Join that replays 50 events of
// ~60 KB (3 MB, more than SoftQueueBytes) used to close the socket with
// 1013 before the join reply was even sent. A client that reads gets the
// reply, the whole burst in order, and live pushes made right after it
// (which the burst must not crowd out of the live queue).
func TestJoinBurstDelivered(t *testing.T) {
	for _, deflate := range []bool{false, true} {
		t.Run(fmt.Sprintf("deflate=%v", deflate), func(t *testing.T) {
			s := startServer(t, phoenix.Config{})
			c, _, err := s.tryDial(t, dialOpts{user: "u1", deflate: deflate})
			if err != nil {
				t.Fatal(err)
			}
			const n, size, live = 50, 60_000, 30
			c.send(fmt.Sprintf(`["1","1","room:burst","phx_join",{"n":%d,"size":%d}]`, n, size))
			c.expect(`["1","1","room:burst","phx_reply",{"status":"ok","response":{"joined":"room:burst","user":"u1"}}]`)
			conn := s.ch.nextJoin(t)
			blob := []byte(`{"live":"` + strings.Repeat("l", size) + `"}`)
			for i := range live { // 1.8 MB more, while the burst is being written
				if err := conn.PushJSON(fmt.Sprintf("live%d", i), blob); err != nil {
					t.Fatalf("live push %d after the burst: %v", i, err)
				}
			}
			c.expectBurst("room:burst", n, size)
			for i := range live {
				if f := c.recv(); f.Event != fmt.Sprintf("live%d", i) {
					t.Fatalf("live frame %d is %q", i, f.Event)
				}
			}
			c.send(`[null,"h","phoenix","heartbeat",{}]`)
			c.expect(`[null,"h","phoenix","phx_reply",{"status":"ok","response":{}}]`)
			if st := s.ep.Stats(); st.SlowConsumerDisconnects != 0 || st.SocketsOpen != 1 || st.ChannelsJoined != 1 {
				t.Fatalf("stats %+v", st)
			}
		})
	}
}

// TestJoinBurstSlowReader: a client that keeps reading, but takes longer
// than WriteTimeout to take the whole burst, is not dropped: WriteTimeout
// bounds a stall, not the time a large batch takes.
func TestJoinBurstSlowReader(t *testing.T) {
	s := startServer(t, phoenix.Config{WriteTimeout: 500 * time.Millisecond})
	c, _, err := s.tryDial(t, dialOpts{user: "u1", dialer: smallWindowDialer()})
	if err != nil {
		t.Fatal(err)
	}
	const n, size = 100, 60_000 // 6 MB, far more than the kernel buffers hold
	c.send(fmt.Sprintf(`["1","1","room:burst","phx_join",{"n":%d,"size":%d}]`, n, size))
	start := time.Now()
	c.recv() // the reply
	for i := range n {
		time.Sleep(15 * time.Millisecond) // a slow link: 1.5 s for the burst
		if f := c.recv(); f.Event != fmt.Sprintf("b%d", i) {
			t.Fatalf("frame %d is %q", i, f.Event)
		}
	}
	if el := time.Since(start); el < time.Second {
		t.Fatalf("burst read in %v: the test did not outlast WriteTimeout", el)
	}
	if st := s.ep.Stats(); st.SlowConsumerDisconnects != 0 || st.SocketsOpen != 1 {
		t.Fatalf("stats %+v", st)
	}
}

// TestJoinBurstNonReaderDisconnected: the bounded-memory guarantee holds
// for a join burst: a client that joins with a big burst and then reads
// nothing is disconnected, live pushes to it fail fast, never block, and
// the socket never holds more than MaxQueueBytes.
func TestJoinBurstNonReaderDisconnected(t *testing.T) {
	const hardCap = 8 << 20
	s := startServer(t, phoenix.Config{WriteTimeout: 500 * time.Millisecond, CloseGrace: 200 * time.Millisecond, MaxQueueBytes: hardCap})
	c, _, err := s.tryDial(t, dialOpts{user: "u1", dialer: smallWindowDialer()})
	if err != nil {
		t.Fatal(err)
	}
	c.send(`["1","1","room:burst","phx_join",{"n":100,"size":60000}]`)
	conn := s.ch.nextJoin(t)
	// From here on the client reads nothing.
	payload := []byte(`{"blob":"` + strings.Repeat("z", 4096) + `"}`)
	pushed := 0
	for ; pushed < 100_000; pushed++ {
		if pushed%16 == 0 {
			time.Sleep(time.Millisecond)
		}
		start := time.Now()
		err = conn.PushJSON("live", payload)
		if d := time.Since(start); d > time.Second {
			t.Fatalf("push blocked for %v", d)
		}
		if err != nil {
			break
		}
	}
	if !errors.Is(err, phoenix.ErrSlowConsumer) && !errors.Is(err, phoenix.ErrClosed) {
		t.Fatalf("after %d pushes: %v", pushed, err)
	}
	if limit := hardCap/len(payload) + 1; pushed > limit {
		t.Fatalf("%d live pushes of %d bytes accepted, more than the queue holds (%d)", pushed, len(payload), limit)
	}
	if peak := s.ep.Stats().PeakSocketQueueBytes; peak > hardCap {
		t.Fatalf("the socket held %d bytes, over its %d cap", peak, hardCap)
	}
	eventually(t, "socket torn down", func() bool { return s.ep.Stats().SocketsOpen == 0 })
	if l := s.ch.nextLeave(t); l.reason != phoenix.LeaveDisconnect {
		t.Fatalf("leave %+v", l)
	}
	if got := s.ep.Stats().SlowConsumerDisconnects; got != 1 {
		t.Fatalf("SlowConsumerDisconnects = %d", got)
	}
}

// TestJoinBurstNonReaderTimesOut: with no live pushes at all, a client
// that never reads its join burst is cut off by WriteTimeout.
func TestJoinBurstNonReaderTimesOut(t *testing.T) {
	s := startServer(t, phoenix.Config{WriteTimeout: 300 * time.Millisecond, CloseGrace: 200 * time.Millisecond})
	c, _, err := s.tryDial(t, dialOpts{user: "u1", dialer: smallWindowDialer()})
	if err != nil {
		t.Fatal(err)
	}
	c.send(`["1","1","room:burst","phx_join",{"n":100,"size":60000}]`)
	conn := s.ch.nextJoin(t)
	eventually(t, "socket torn down", func() bool { return s.ep.Stats().SocketsOpen == 0 })
	if l := s.ch.nextLeave(t); l.reason != phoenix.LeaveDisconnect {
		t.Fatalf("leave %+v", l)
	}
	if err := conn.PushJSON("late", nil); !errors.Is(err, phoenix.ErrClosed) {
		t.Fatalf("push after disconnect: %v", err)
	}
	if got := s.ep.Stats().SlowConsumerDisconnects; got != 1 {
		t.Fatalf("SlowConsumerDisconnects = %d", got)
	}
}

// TestJoinBurstOverLimit: the join burst has its own bound. A Join that
// pushes more than MaxJoinBurstBytes closes the socket with 1013; the
// failing push reports ErrSlowConsumer; Leave runs once. A burst deeper
// than the soft frame limit is not over any limit: it is delivered.
func TestJoinBurstOverLimit(t *testing.T) {
	tests := []struct {
		name string
		cfg  phoenix.Config
		join string
	}{
		{"bytes", phoenix.Config{SoftQueueBytes: 256 << 10, MaxJoinBurstBytes: 1 << 20}, `{"n":50,"size":60000}`},
		{"bytes past the hard cap", phoenix.Config{MaxQueueBytes: 1 << 20}, `{"n":50,"size":60000}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := startServer(t, tt.cfg)
			c := s.dial(t, "u1")
			c.send(`["1","1","room:burst","phx_join",` + tt.join + `]`)
			c.expectClose(phoenix.CloseSlowConsumer)
			s.ch.nextJoin(t)
			if l := s.ch.nextLeave(t); l.reason != phoenix.LeaveDisconnect {
				t.Fatalf("leave %+v", l)
			}
			eventually(t, "socket torn down", func() bool { return s.ep.Stats().SocketsOpen == 0 })
			if st := s.ep.Stats(); st.SlowConsumerDisconnects != 1 || st.ChannelsJoined != 0 {
				t.Fatalf("stats %+v", st)
			}
			if !strings.Contains(s.logs.String(), "join burst over its limit") {
				t.Fatalf("overflow not logged:\n%s", s.logs)
			}
		})
	}
	// Just under the byte limit, and past the soft frame limit, is fine.
	s := startServer(t, phoenix.Config{SoftQueueFrames: 16, SoftQueueBytes: 256 << 10, MaxJoinBurstBytes: 1 << 20})
	c := s.dial(t, "u1")
	c.send(`["1","1","room:burst","phx_join",{"n":40,"size":20000}]`)
	c.recv()
	c.expectBurst("room:burst", 40, 20000)
	if st := s.ep.Stats(); st.SlowConsumerDisconnects != 0 {
		t.Fatalf("stats %+v", st)
	}
}
