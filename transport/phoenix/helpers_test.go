package phoenix_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/fasthttp/websocket"
	"github.com/gofiber/fiber/v2"

	"github.com/gamend-go/gamend/transport/phoenix"
	"github.com/gamend-go/gamend/transport/phoenix/internal/frame"
)

// fakeAuth accepts tokens "tok-<user id>".
var fakeAuth = phoenix.AuthenticatorFunc(func(_ context.Context, token string) (string, error) {
	if id, ok := strings.CutPrefix(token, "tok-"); ok && id != "" {
		return id, nil
	}
	return "", errors.New("bad token")
})

// logBuffer captures the server's logs for assertions.
type logBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (l *logBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.buf.Write(p)
}

func (l *logBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.buf.String()
}

type server struct {
	ep   *phoenix.Endpoint
	ch   *testChannel
	url  string // ws://127.0.0.1:port/socket/websocket
	base string // http://127.0.0.1:port
	logs *logBuffer

	mu    sync.Mutex
	dials int64 // successful upgrades so far
}

// startServer mounts the endpoint on a fresh fiber app listening on a
// random loopback port, with testChannel on "room:*" and "user:*".
func startServer(t *testing.T, cfg phoenix.Config) *server {
	t.Helper()
	return startServerSndbuf(t, cfg, 0)
}

// smallSendBuffer is the server-side SO_SNDBUF of startServerSndbuf
// tests: with the client's small window (smallWindowDialer) the kernel
// then holds a few tens of KiB of unread frames, whatever its autotuning
// limits, so what the server queues is observable.
const smallSendBuffer = 16 << 10

// startServerSndbuf is startServer with SO_SNDBUF set to sndbuf on every
// accepted connection (0 leaves the kernel's autotuning alone).
func startServerSndbuf(t *testing.T, cfg phoenix.Config, sndbuf int) *server {
	t.Helper()
	logs := &logBuffer{}
	cfg.Logger = slog.New(slog.NewTextHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	ch := newTestChannel()
	router := phoenix.NewRouter().Handle("room:*", ch).Handle("user:*", ch).Handle("lobbies", ch)
	// As the server's app (rest.New): with ReduceMemoryUsage fasthttp
	// hands a hijacked connection over reading from the socket itself.
	app := fiber.New(fiber.Config{DisableStartupMessage: true, ReduceMemoryUsage: true})
	ep := phoenix.Mount(app, cfg, fakeAuth, router)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	if sndbuf > 0 {
		ln = sndbufListener{ln.(*net.TCPListener), sndbuf}
	}
	go app.Listener(ln)
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		if err := ep.Shutdown(ctx); err != nil {
			t.Errorf("endpoint shutdown: %v", err)
		}
		app.ShutdownWithContext(ctx)
		if strings.Contains(logs.String(), "tok-") {
			t.Errorf("a token reached the logs:\n%s", logs)
		}
	})
	addr := ln.Addr().String()
	return &server{ep: ep, ch: ch, url: "ws://" + addr + "/socket/websocket", base: "http://" + addr, logs: logs}
}

// sndbufListener sets SO_SNDBUF on the connections it accepts.
type sndbufListener struct {
	*net.TCPListener
	size int
}

func (l sndbufListener) Accept() (net.Conn, error) {
	c, err := l.AcceptTCP()
	if err != nil {
		return nil, err
	}
	if err := c.SetWriteBuffer(l.size); err != nil {
		c.Close()
		return nil, err
	}
	return c, nil
}

type client struct {
	t  *testing.T
	ws *websocket.Conn
}

type dialOpts struct {
	user     string // token becomes "tok-"+user; "" sends no token
	query    string // extra query, replaces the default vsn when it sets vsn
	header   http.Header
	deflate  bool
	dialer   *websocket.Dialer
	noVsn    bool
	rawToken string
}

func (s *server) dialURL(o dialOpts) string {
	q := []string{}
	if !o.noVsn && !strings.Contains(o.query, "vsn=") {
		q = append(q, "vsn=2.0.0")
	}
	switch {
	case o.rawToken != "":
		q = append(q, "token="+o.rawToken)
	case o.user != "":
		q = append(q, "token=tok-"+o.user)
	}
	if o.query != "" {
		q = append(q, o.query)
	}
	return s.url + "?" + strings.Join(q, "&")
}

// tryDial connects and returns the handshake response status.
func (s *server) tryDial(t *testing.T, o dialOpts) (*client, int, error) {
	t.Helper()
	d := o.dialer
	if d == nil {
		d = &websocket.Dialer{HandshakeTimeout: 5 * time.Second, EnableCompression: o.deflate}
	}
	ws, resp, err := d.Dial(s.dialURL(o), o.header)
	status := 0
	if resp != nil {
		status = resp.StatusCode
		resp.Body.Close()
	}
	if err != nil {
		return nil, status, err
	}
	c := &client{t: t, ws: ws}
	t.Cleanup(func() { ws.Close() })
	// The client sees the 101 before the server has registered the
	// socket; wait for it so counts and caps are deterministic.
	s.mu.Lock()
	s.dials++
	want := s.dials
	s.mu.Unlock()
	eventually(t, "socket registered", func() bool { return s.ep.Stats().SocketsTotal >= want })
	return c, status, nil
}

func (s *server) dial(t *testing.T, user string) *client {
	t.Helper()
	c, _, err := s.tryDial(t, dialOpts{user: user})
	if err != nil {
		t.Fatalf("dial: %v", err)
	}
	return c
}

func (c *client) send(raw string) {
	c.t.Helper()
	if err := c.ws.WriteMessage(websocket.TextMessage, []byte(raw)); err != nil {
		c.t.Fatalf("send: %v", err)
	}
}

// recv reads the next frame (fails the test after 5 s).
func (c *client) recv() frame.Frame {
	c.t.Helper()
	c.ws.SetReadDeadline(time.Now().Add(5 * time.Second))
	mt, data, err := c.ws.ReadMessage()
	if err != nil {
		c.t.Fatalf("recv: %v", err)
	}
	if mt != websocket.TextMessage {
		c.t.Fatalf("recv: message type %d", mt)
	}
	f, err := frame.Decode(data)
	if err != nil {
		c.t.Fatalf("recv: server sent a bad frame %q: %v", data, err)
	}
	f.Payload = bytes.Clone(f.Payload)
	return f
}

// expect reads the next frame and compares it with want, a V2 frame in
// JSON whose payload is compared as JSON.
func (c *client) expect(want string) frame.Frame {
	c.t.Helper()
	got := c.recv()
	w, err := frame.Decode([]byte(want))
	if err != nil {
		c.t.Fatalf("bad expectation %q: %v", want, err)
	}
	if got.JoinRef != w.JoinRef || got.Ref != w.Ref || got.Topic != w.Topic || got.Event != w.Event || !jsonEqual(got.Payload, w.Payload) {
		c.t.Fatalf("got  %s\nwant %s", frame.Encode(got), want)
	}
	return got
}

// expectClose reads until the server's close frame and checks its code.
func (c *client) expectClose(code int) {
	c.t.Helper()
	c.ws.SetReadDeadline(time.Now().Add(5 * time.Second))
	for {
		_, data, err := c.ws.ReadMessage()
		if err == nil {
			continue // frames queued before the close
		}
		var ce *websocket.CloseError
		if !errors.As(err, &ce) {
			c.t.Fatalf("want close %d, got %v", code, err)
		}
		if ce.Code != code {
			c.t.Fatalf("close code %d (%q), want %d", ce.Code, ce.Text, code)
		}
		_ = data
		return
	}
}

func jsonEqual(a, b []byte) bool {
	var x, y any
	if json.Unmarshal(a, &x) != nil || json.Unmarshal(b, &y) != nil {
		return false
	}
	return fmt.Sprint(x) == fmt.Sprint(y)
}

// eventually polls cond until it holds or a 5 s deadline passes.
func eventually(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// leaveEvent records a Leave call.
type leaveEvent struct {
	conn   *phoenix.Conn
	reason phoenix.LeaveReason
}

// testChannel is a scripted Channel. Join: topic "room:reject" refuses,
// "room:panic" panics, "room:pushy" pushes two events during Join, topics
// starting "room:burst" push the join burst their payload asks for
// (burstSpec). HandleIn by event: "echo" replies the payload, "boom"
// panics, "unknown" answers unknown_event and closes, "error" returns a
// plain error, "later" defers the reply, "later_error" defers a plain
// error, "html" replies and "html_error" refuses with text full of <>&.
type testChannel struct {
	joins  chan *phoenix.Conn
	leaves chan leaveEvent
}

func newTestChannel() *testChannel {
	return &testChannel{joins: make(chan *phoenix.Conn, 100), leaves: make(chan leaveEvent, 100)}
}

func (ch *testChannel) Join(_ context.Context, c *phoenix.Conn, payload json.RawMessage) (any, error) {
	switch c.Topic() {
	case "room:reject":
		return nil, phoenix.JoinError("not_a_member")
	case "room:panic":
		panic("join exploded")
	case "room:pushy":
		c.Push("first", map[string]int{"n": 1})
		c.PushJSON("second", []byte(`{"n":2}`))
	}
	if strings.HasPrefix(c.Topic(), "room:burst") {
		var spec burstSpec
		if err := json.Unmarshal(payload, &spec); err != nil {
			return nil, err
		}
		for i := range spec.N {
			if c.PushJSON(fmt.Sprintf("b%d", i), burstPayload(i, spec.Size)) != nil {
				break
			}
		}
	}
	ch.joins <- c
	return map[string]string{"joined": c.Topic(), "user": c.UserID()}, nil
}

func (ch *testChannel) HandleIn(_ context.Context, c *phoenix.Conn, event string, payload json.RawMessage) (any, error) {
	switch event {
	case "echo":
		return payload, nil
	case "boom":
		panic("handle_in exploded")
	case "unknown":
		return nil, phoenix.PushError("unknown_event", true)
	case "error":
		return nil, errors.New("database on fire")
	case "later":
		d := c.Defer()
		go d.Reply(map[string]bool{"late": true}, nil)
		return nil, nil
	case "later_error":
		d := c.Defer()
		go d.Reply(nil, errors.New("hook timed out badly"))
		return nil, nil
	case "html":
		return map[string]string{"html": htmlText}, nil
	case "html_error":
		return nil, &phoenix.ReplyError{Response: map[string]string{"error": htmlText}}
	}
	return nil, phoenix.PushError("unknown_event", false)
}

func (ch *testChannel) Leave(c *phoenix.Conn, reason phoenix.LeaveReason) {
	ch.leaves <- leaveEvent{c, reason}
}

func (ch *testChannel) nextJoin(t *testing.T) *phoenix.Conn {
	t.Helper()
	select {
	case c := <-ch.joins:
		return c
	case <-time.After(5 * time.Second):
		t.Fatal("no join")
		return nil
	}
}

func (ch *testChannel) nextLeave(t *testing.T) leaveEvent {
	t.Helper()
	select {
	case l := <-ch.leaves:
		return l
	case <-time.After(5 * time.Second):
		t.Fatal("no leave")
		return leaveEvent{}
	}
}

// htmlText is what encoding/json would HTML-escape by default.
const htmlText = `<b>Tom & "Jerry"</b> -> <script>`

// burstSpec is the join payload of a "room:burst*" topic: push N events
// of about Size bytes each during Join.
type burstSpec struct {
	N    int `json:"n"`
	Size int `json:"size"`
}

// burstPayload is the i-th join-burst payload, about size bytes long.
func burstPayload(i, size int) []byte {
	head := fmt.Sprintf(`{"i":%d,"blob":"`, i)
	return []byte(head + strings.Repeat("n", max(size-len(head)-2, 0)) + `"}`)
}

// joinedSlowClient dials user u1 with a small receive window (a client
// whose unread frames fill the kernel buffers quickly), joins room:a and
// returns the client and the server side of the channel.
func (s *server) joinedSlowClient(t *testing.T) (*client, *phoenix.Conn) {
	t.Helper()
	c, _, err := s.tryDial(t, dialOpts{user: "u1", dialer: smallWindowDialer()})
	if err != nil {
		t.Fatal(err)
	}
	c.send(`["1","1","room:a","phx_join",{}]`)
	c.recv()
	return c, s.ch.nextJoin(t)
}
