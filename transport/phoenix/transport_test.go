package phoenix_test

import (
	"bufio"
	"fmt"
	"io"
	"net"
	"net/http"
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

// TestSessionLeavesHijackHandler: a session normally leaves fasthttp's
// hijack handler at once, so fasthttp pools the upgrade's request context
// (Stats.Detached). A client that sends a frame in the same write as its
// upgrade request leaves those bytes in fasthttp's read buffer: that
// session stays on the handler and still reads them. Either way the
// server closes the TCP connection when the socket ends.
func TestSessionLeavesHijackHandler(t *testing.T) {
	s := startServer(t, phoenix.Config{})
	c := s.dial(t, "u1")
	if got := s.ep.Stats().Detached; got != 1 {
		t.Fatalf("Detached = %d after a plain upgrade, want 1", got)
	}
	c.send(`[null,"1","phoenix","heartbeat",{}]`)
	c.expect(`[null,"1","phoenix","phx_reply",{"status":"ok","response":{}}]`)
	s.ep.DisconnectUser("u1")
	c.expectClose(phoenix.CloseNormal)
	expectEOF(t, c.ws.NetConn())

	// The upgrade request and a heartbeat frame in one write.
	nc, err := net.Dial("tcp", strings.TrimPrefix(strings.TrimSuffix(s.url, "/socket/websocket"), "ws://"))
	if err != nil {
		t.Fatal(err)
	}
	defer nc.Close()
	req := "GET /socket/websocket?vsn=2.0.0&token=tok-u2 HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n" +
		"Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n"
	payload := []byte(`[null,"7","phoenix","heartbeat",{}]`)
	mask := [4]byte{9, 8, 7, 6}
	raw := append([]byte(req), 0x80|websocket.TextMessage, 0x80|byte(len(payload)))
	raw = append(raw, mask[:]...)
	for i, b := range payload {
		raw = append(raw, b^mask[i%4])
	}
	if _, err := nc.Write(raw); err != nil {
		t.Fatal(err)
	}
	nc.SetReadDeadline(time.Now().Add(5 * time.Second))
	br := bufio.NewReader(nc)
	resp, err := http.ReadResponse(br, nil)
	if err != nil || resp.StatusCode != http.StatusSwitchingProtocols {
		t.Fatalf("upgrade: %v %v", resp, err)
	}
	want := `[null,"7","phoenix","phx_reply",{"status":"ok","response":{}}]`
	if got := readServerFrame(t, br); got != want {
		t.Fatalf("reply to the early frame: %q, want %q", got, want)
	}
	if got := s.ep.Stats().Detached; got != 1 {
		t.Fatalf("Detached = %d, want 1: a session with bytes in fasthttp's buffer must stay on the handler", got)
	}
	s.ep.DisconnectUser("u2")
	if got := readServerFrame(t, br); got != "close" {
		t.Fatalf("got %q, want a close frame", got)
	}
	expectEOF(t, readerConn{br, nc})
}

// readServerFrame reads one unmasked server frame of under 126 bytes from
// br: its text, or "close" for a close frame.
func readServerFrame(t *testing.T, br *bufio.Reader) string {
	t.Helper()
	var h [2]byte
	if _, err := io.ReadFull(br, h[:]); err != nil {
		t.Fatalf("frame header: %v", err)
	}
	if h[1]&0x80 != 0 || h[1]&0x7f >= 126 {
		t.Fatalf("unexpected frame header % x", h)
	}
	body := make([]byte, h[1]&0x7f)
	if _, err := io.ReadFull(br, body); err != nil {
		t.Fatalf("frame body: %v", err)
	}
	if h[0]&0x0f == websocket.CloseMessage {
		return "close"
	}
	return string(body)
}

type readerConn struct {
	r io.Reader
	net.Conn
}

func (c readerConn) Read(p []byte) (int, error) { return c.r.Read(p) }

// expectEOF waits for the server to close the TCP connection.
func expectEOF(t *testing.T, nc net.Conn) {
	t.Helper()
	nc.SetReadDeadline(time.Now().Add(5 * time.Second))
	if _, err := io.Copy(io.Discard, nc); err != nil {
		t.Fatalf("connection not closed by the server: %v", err)
	}
}
