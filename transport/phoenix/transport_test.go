package phoenix_test

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/fasthttp/websocket"

	"github.com/gamend-go/gamend/transport/phoenix"
)

// paddedHeartbeat is a valid heartbeat frame of exactly n bytes.
func paddedHeartbeat(n int) string {
	head, tail := `[null,"1","phoenix","heartbeat",{"pad":"`, `"}]`
	return head + strings.Repeat("x", n-len(head)-len(tail)) + tail
}

// TestBadFrames: every undecodable message closes the socket with a code
// saying why (see doc.go); the server never panics and keeps serving.
func TestBadFrames(t *testing.T) {
	s := startServer(t, phoenix.Config{})
	tests := []struct {
		name    string
		deflate bool
		binary  bool
		msg     string
		code    int
	}{
		{"invalid JSON", false, false, `[null,"1","phoenix","heartbeat",{]`, phoenix.CloseProtocolError},
		{"not an array", false, false, `{"topic":"phoenix","event":"heartbeat"}`, phoenix.CloseProtocolError},
		{"four elements", false, false, `[null,"1","phoenix","heartbeat"]`, phoenix.CloseProtocolError},
		{"six elements", false, false, `[null,"1","phoenix","heartbeat",{},{}]`, phoenix.CloseProtocolError},
		{"numeric ref", false, false, `[null,1,"phoenix","heartbeat",{}]`, phoenix.CloseProtocolError},
		{"null topic", false, false, `[null,"1",null,"heartbeat",{}]`, phoenix.CloseProtocolError},
		{"empty message", false, false, ``, phoenix.CloseProtocolError},
		{"invalid UTF-8", false, false, "[null,\"1\",\"phoenix\xff\",\"heartbeat\",{}]", phoenix.CloseInvalidPayload},
		{"binary frame", false, true, `[null,"1","phoenix","heartbeat",{}]`, phoenix.CloseUnsupportedData},
		{"one byte too big", false, false, paddedHeartbeat(131073), phoenix.CloseMessageTooBig},
		{"far too big", false, false, paddedHeartbeat(1 << 20), phoenix.CloseMessageTooBig},
		{"deflate bomb", true, false, paddedHeartbeat(4 << 20), phoenix.CloseMessageTooBig},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, _, err := s.tryDial(t, dialOpts{user: "u1", deflate: tt.deflate})
			if err != nil {
				t.Fatal(err)
			}
			c.send(`["1","1","room:a","phx_join",{}]`)
			c.recv()
			mt := websocket.TextMessage
			if tt.binary {
				mt = websocket.BinaryMessage
			}
			if err := c.ws.WriteMessage(mt, []byte(tt.msg)); err != nil {
				t.Fatal(err)
			}
			c.expectClose(tt.code)
			if l := s.ch.nextLeave(t); l.reason != phoenix.LeaveDisconnect {
				t.Fatalf("leave %+v", l)
			}
		})
	}
	eventually(t, "sockets gone", func() bool { return s.ep.Stats().SocketsOpen == 0 })
	st := s.ep.Stats()
	if st.MalformedFrames != 9 || st.OversizedFrames != 3 {
		t.Fatalf("stats %+v", st)
	}
	// The largest allowed message is served, plain and deflated.
	for _, deflate := range []bool{false, true} {
		c, _, err := s.tryDial(t, dialOpts{user: "u1", deflate: deflate})
		if err != nil {
			t.Fatal(err)
		}
		c.send(paddedHeartbeat(131072))
		c.expect(`[null,"1","phoenix","phx_reply",{"status":"ok","response":{}}]`)
	}
}

// TestCorruptDeflate: a compressed frame that does not inflate closes the
// socket with 1007. The frame is written raw: no client library sends one.
func TestCorruptDeflate(t *testing.T) {
	s := startServer(t, phoenix.Config{})
	c, _, err := s.tryDial(t, dialOpts{user: "u1", deflate: true})
	if err != nil {
		t.Fatal(err)
	}
	payload := []byte{0xff, 0xff, 0xff, 0xff, 0xff, 0xff} // reserved block type
	mask := [4]byte{1, 2, 3, 4}
	raw := []byte{0x80 | 0x40 | websocket.TextMessage, 0x80 | byte(len(payload))} // FIN, RSV1, masked
	raw = append(raw, mask[:]...)
	for i, b := range payload {
		raw = append(raw, b^mask[i%4])
	}
	if _, err := c.ws.NetConn().Write(raw); err != nil {
		t.Fatal(err)
	}
	c.expectClose(phoenix.CloseInvalidPayload)
}

func TestIdleTimeout(t *testing.T) {
	s := startServer(t, phoenix.Config{IdleTimeout: 300 * time.Millisecond})
	idle := s.dial(t, "u1")
	busy := s.dial(t, "u2")
	start := time.Now()
	stop := time.Now().Add(900 * time.Millisecond)
	for i := 0; time.Now().Before(stop); i++ {
		busy.send(fmt.Sprintf(`[null,"%d","phoenix","heartbeat",{}]`, i))
		busy.recv()
		time.Sleep(100 * time.Millisecond) // the client's heartbeat interval, not synchronisation
	}
	idle.expectClose(phoenix.CloseIdleTimeout)
	if el := time.Since(start); el < 300*time.Millisecond {
		t.Fatalf("closed after %v", el)
	}
	busy.send(`[null,"x","phoenix","heartbeat",{}]`)
	busy.expect(`[null,"x","phoenix","phx_reply",{"status":"ok","response":{}}]`)
	if got := s.ep.Stats().IdleTimeouts; got != 1 {
		t.Fatalf("IdleTimeouts = %d", got)
	}
}

func TestPermessageDeflate(t *testing.T) {
	s := startServer(t, phoenix.Config{CompressMinBytes: 256})
	d := &websocket.Dialer{EnableCompression: true}
	ws, resp, err := d.Dial(s.dialURL(dialOpts{user: "u1"}), nil)
	if err != nil {
		t.Fatal(err)
	}
	defer ws.Close()
	if ext := resp.Header.Get("Sec-WebSocket-Extensions"); !strings.Contains(ext, "permessage-deflate") {
		t.Fatalf("deflate not negotiated: %q", ext)
	}
	c := &client{t: t, ws: ws}
	c.send(`["1","1","room:a","phx_join",{}]`) // compressed by the client
	c.recv()
	conn := s.ch.nextJoin(t)
	big := `{"text":"` + strings.Repeat("abc", 2000) + `"}`
	conn.PushJSON("small", []byte(`{"a":1}`))
	conn.PushJSON("big", []byte(big))
	conn.PushJSON("small", []byte(`{"a":2}`))
	c.expect(`["1",null,"room:a","small",{"a":1}]`)
	c.expect(`["1",null,"room:a","big",` + big + `]`)
	c.expect(`["1",null,"room:a","small",{"a":2}]`)

	// Clients without the extension still work.
	plain := s.dial(t, "u2")
	plain.send(`["1","1","room:a","phx_join",{}]`)
	plain.recv()
	s.ch.nextJoin(t).PushJSON("big", []byte(big))
	plain.expect(`["1",null,"room:a","big",` + big + `]`)
}

func TestClientClose(t *testing.T) {
	s := startServer(t, phoenix.Config{})
	c := s.dial(t, "u1")
	c.send(`["1","1","room:a","phx_join",{}]`)
	c.recv()
	c.ws.WriteMessage(websocket.CloseMessage, websocket.FormatCloseMessage(websocket.CloseNormalClosure, "bye"))
	c.expectClose(websocket.CloseNormalClosure) // the server echoes it
	if l := s.ch.nextLeave(t); l.reason != phoenix.LeaveDisconnect {
		t.Fatalf("leave %+v", l)
	}
	eventually(t, "socket gone", func() bool { return s.ep.Stats().SocketsOpen == 0 })
}

func TestPingAnswered(t *testing.T) {
	s := startServer(t, phoenix.Config{})
	c := s.dial(t, "u1")
	pong := make(chan string, 1)
	c.ws.SetPongHandler(func(data string) error { pong <- data; return nil })
	c.ws.WriteControl(websocket.PingMessage, []byte("hi"), time.Now().Add(time.Second))
	c.send(`[null,"1","phoenix","heartbeat",{}]`)
	c.recv() // runs the pong handler on the way
	select {
	case got := <-pong:
		if got != "hi" {
			t.Fatalf("pong %q", got)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("no pong")
	}
}
