package main

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/fasthttp/websocket"
)

// wsClient is a minimal Phoenix V2 client for tests: it joins topics,
// pushes, and collects every frame it receives.
type wsClient struct {
	t      *testing.T
	conn   *websocket.Conn
	mu     sync.Mutex
	frames []wsFrame
	bytes  int // message bytes received
	notify chan struct{}
	ref    int
	closed chan struct{}
}

type wsFrame struct {
	JoinRef, Ref *string
	Topic, Event string
	Payload      map[string]any
	PayloadRaw   string
}

func (ta *testApp) dial(t *testing.T, token string, extra string) (*wsClient, *http.Response, error) {
	t.Helper()
	return dialSocket(t, ta.base, token, extra, nil)
}

// dialSocket connects to the socket endpoint of the server at base
// (http://host:port) with token, extra query text and request headers.
func dialSocket(t *testing.T, base, token, extra string, header http.Header) (*wsClient, *http.Response, error) {
	t.Helper()
	url := strings.Replace(base, "http://", "ws://", 1) + "/socket/websocket?vsn=2.0.0&token=" + token + extra
	conn, resp, err := websocket.DefaultDialer.Dial(url, header)
	if err != nil {
		return nil, resp, err
	}
	c := &wsClient{t: t, conn: conn, notify: make(chan struct{}, 1), closed: make(chan struct{})}
	go c.read()
	t.Cleanup(func() { conn.Close() })
	return c, resp, nil
}

func (c *wsClient) read() {
	defer close(c.closed)
	for {
		_, b, err := c.conn.ReadMessage()
		if err != nil {
			return
		}
		var arr []json.RawMessage
		if json.Unmarshal(b, &arr) != nil || len(arr) != 5 {
			continue
		}
		var f wsFrame
		_ = json.Unmarshal(arr[0], &f.JoinRef)
		_ = json.Unmarshal(arr[1], &f.Ref)
		_ = json.Unmarshal(arr[2], &f.Topic)
		_ = json.Unmarshal(arr[3], &f.Event)
		_ = json.Unmarshal(arr[4], &f.Payload)
		f.PayloadRaw = string(arr[4])
		c.mu.Lock()
		c.frames = append(c.frames, f)
		c.bytes += len(b)
		c.mu.Unlock()
		select {
		case c.notify <- struct{}{}:
		default:
		}
	}
}

func (c *wsClient) send(joinRef *string, topic, event string, payload any) string {
	c.ref++
	ref := fmt.Sprint(c.ref)
	if event == "phx_join" {
		joinRef = &ref // V2: a join carries its own ref as join_ref
	}
	b, _ := json.Marshal([]any{joinRef, ref, topic, event, payload})
	if err := c.conn.WriteMessage(websocket.TextMessage, b); err != nil {
		c.t.Fatalf("send %s: %v", event, err)
	}
	return ref
}

// join joins topic and returns the reply payload.
func (c *wsClient) join(topic string) map[string]any {
	c.t.Helper()
	ref := c.send(nil, topic, "phx_join", map[string]any{})
	f := c.waitFor(func(f wsFrame) bool { return f.Event == "phx_reply" && f.Ref != nil && *f.Ref == ref })
	return f.Payload
}

// push sends event on a joined topic (joinRef is the join's ref) and
// returns the reply.
func (c *wsClient) push(joinRef, topic, event string, payload any) map[string]any {
	c.t.Helper()
	ref := c.send(&joinRef, topic, event, payload)
	return c.waitFor(func(f wsFrame) bool { return f.Event == "phx_reply" && f.Ref != nil && *f.Ref == ref }).Payload
}

// waitFor returns the first received frame matching pred (already received
// or arriving within 5 s).
func (c *wsClient) waitFor(pred func(wsFrame) bool) wsFrame {
	c.t.Helper()
	deadline := time.After(5 * time.Second)
	for {
		c.mu.Lock()
		for _, f := range c.frames {
			if pred(f) {
				c.mu.Unlock()
				return f
			}
		}
		c.mu.Unlock()
		select {
		case <-c.notify:
		case <-deadline:
			c.mu.Lock()
			defer c.mu.Unlock()
			var evs []string
			for _, f := range c.frames {
				evs = append(evs, f.Topic+"/"+f.Event+" "+f.PayloadRaw)
			}
			c.t.Fatalf("timed out waiting for a frame; received:\n%s", strings.Join(evs, "\n"))
		}
	}
}

// bytesReceived returns the bytes of the Phoenix frames received so far.
func (c *wsClient) bytesReceived() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.bytes
}

// count returns how many received frames match pred.
func (c *wsClient) count(pred func(wsFrame) bool) int {
	c.mu.Lock()
	defer c.mu.Unlock()
	n := 0
	for _, f := range c.frames {
		if pred(f) {
			n++
		}
	}
	return n
}

func event(topic, name string) func(wsFrame) bool {
	return func(f wsFrame) bool { return f.Topic == topic && f.Event == name }
}

func (ta *testApp) isOnline(t *testing.T, id string) bool {
	t.Helper()
	var on bool
	if err := ta.db.QueryRow(context.Background(), `SELECT is_online FROM users WHERE id = ?`, id).Scan(&on); err != nil {
		t.Fatal(err)
	}
	return on
}

func waitUntil(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting until %s", what)
		}
		time.Sleep(10 * time.Millisecond)
	}
}
