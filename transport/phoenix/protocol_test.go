package phoenix_test

import (
	"strings"
	"testing"
	"time"

	"github.com/gamend-go/gamend/transport/phoenix"
)

func TestHeartbeat(t *testing.T) {
	s := startServer(t, phoenix.Config{})
	c := s.dial(t, "u1")
	c.send(`[null,"9","phoenix","heartbeat",{}]`)
	c.ws.SetReadDeadline(time.Now().Add(5 * time.Second))
	_, data, err := c.ws.ReadMessage()
	if err != nil {
		t.Fatal(err)
	}
	if want := `[null,"9","phoenix","phx_reply",{"status":"ok","response":{}}]`; string(data) != want {
		t.Fatalf("got %s, want %s", data, want)
	}
}

func TestJoin(t *testing.T) {
	s := startServer(t, phoenix.Config{})
	c := s.dial(t, "u1")

	c.send(`["1","1","room:a","phx_join",{"token":"ignored"}]`)
	c.expect(`["1","1","room:a","phx_reply",{"status":"ok","response":{"joined":"room:a","user":"u1"}}]`)
	conn := s.ch.nextJoin(t)
	if conn.UserID() != "u1" || conn.Topic() != "room:a" || conn.JoinRef() != "1" || conn.DocsEventNames() {
		t.Fatalf("conn accessors: %q %q %q %v", conn.UserID(), conn.Topic(), conn.JoinRef(), conn.DocsEventNames())
	}
	if err := conn.Push("updated", map[string]int{"v": 1}); err != nil {
		t.Fatal(err)
	}
	c.expect(`["1",null,"room:a","updated",{"v":1}]`)

	// Refused join: error reply, no channel.
	c.send(`["2","2","room:reject","phx_join",{}]`)
	c.expect(`["2","2","room:reject","phx_reply",{"status":"error","response":{"reason":"not_a_member"}}]`)
	c.send(`["2","3","room:reject","echo",{}]`)
	c.expect(`["2","3","room:reject","phx_reply",{"status":"error","response":{"reason":"unmatched topic"}}]`)

	// Unknown topic pattern.
	c.send(`["4","4","nope:1","phx_join",{}]`)
	c.expect(`["4","4","nope:1","phx_reply",{"status":"error","response":{"reason":"unmatched topic"}}]`)

	// A panicking Join answers like Phoenix and is logged with its stack.
	c.send(`["5","5","room:panic","phx_join",{}]`)
	c.expect(`["5","5","room:panic","phx_reply",{"status":"error","response":{"reason":"join crashed"}}]`)
	if logs := s.logs.String(); !strings.Contains(logs, "join exploded") || !strings.Contains(logs, "goroutine") {
		t.Fatalf("join panic not logged with stack:\n%s", logs)
	}

	// Pushes made during Join follow the reply, in order.
	c.send(`["6","6","room:pushy","phx_join",{}]`)
	c.expect(`["6","6","room:pushy","phx_reply",{"status":"ok","response":{"joined":"room:pushy","user":"u1"}}]`)
	c.expect(`["6",null,"room:pushy","first",{"n":1}]`)
	c.expect(`["6",null,"room:pushy","second",{"n":2}]`)

	if got := s.ep.Stats().ChannelsJoined; got != 2 {
		t.Fatalf("ChannelsJoined = %d, want 2", got)
	}
}

func TestPushToUnjoinedTopic(t *testing.T) {
	s := startServer(t, phoenix.Config{})
	c := s.dial(t, "u1")
	c.send(`["1","5","room:a","echo",{"x":1}]`)
	c.expect(`["1","5","room:a","phx_reply",{"status":"error","response":{"reason":"unmatched topic"}}]`)
}

func TestHandleInReplies(t *testing.T) {
	s := startServer(t, phoenix.Config{})
	c := s.dial(t, "u1")
	c.send(`["1","1","room:a","phx_join",{}]`)
	c.recv()
	s.ch.nextJoin(t)

	c.send(`["1","2","room:a","echo",{"x":[1,2]}]`)
	c.expect(`["1","2","room:a","phx_reply",{"status":"ok","response":{"x":[1,2]}}]`)
	c.send(`["1","3","room:a","error",{}]`)
	c.expect(`["1","3","room:a","phx_reply",{"status":"error","response":{"error":"internal_error"}}]`)
	c.send(`["1","4","room:a","other",{}]`) // error reply, channel stays
	c.expect(`["1","4","room:a","phx_reply",{"status":"error","response":{"error":"unknown_event"}}]`)
	c.send(`["1","5","room:a","later",{}]`)
	c.expect(`["1","5","room:a","phx_reply",{"status":"ok","response":{"late":true}}]`)

	// A ReplyError with Close: error reply, then phx_close, then Leave.
	c.send(`["1","6","room:a","unknown",{}]`)
	c.expect(`["1","6","room:a","phx_reply",{"status":"error","response":{"error":"unknown_event"}}]`)
	c.expect(`["1","1","room:a","phx_close",{}]`)
	if l := s.ch.nextLeave(t); l.reason != phoenix.LeaveClosed {
		t.Fatalf("leave reason %v", l.reason)
	}
}

func TestLeave(t *testing.T) {
	s := startServer(t, phoenix.Config{})
	c := s.dial(t, "u1")
	c.send(`["1","1","room:a","phx_join",{}]`)
	c.recv()
	conn := s.ch.nextJoin(t)

	c.send(`["1","7","room:a","phx_leave",{}]`)
	c.expect(`["1","7","room:a","phx_reply",{"status":"ok","response":{}}]`)
	c.expect(`["1","1","room:a","phx_close",{}]`)
	if l := s.ch.nextLeave(t); l.conn != conn || l.reason != phoenix.LeaveClient {
		t.Fatalf("leave %+v", l)
	}
	if err := conn.Push("late", nil); err != phoenix.ErrClosed || !conn.Closed() {
		t.Fatalf("push after leave: %v", err)
	}
	// Leaving again is answered ok, as Phoenix does.
	c.send(`["1","8","room:a","phx_leave",{}]`)
	c.expect(`["1","8","room:a","phx_reply",{"status":"ok","response":{}}]`)
}

func TestRejoinReplacesChannel(t *testing.T) {
	s := startServer(t, phoenix.Config{})
	c := s.dial(t, "u1")
	c.send(`["1","1","room:a","phx_join",{}]`)
	c.recv()
	old := s.ch.nextJoin(t)

	c.send(`["3","3","room:a","phx_join",{}]`)
	c.expect(`["1","1","room:a","phx_close",{}]`)
	c.expect(`["3","3","room:a","phx_reply",{"status":"ok","response":{"joined":"room:a","user":"u1"}}]`)
	if l := s.ch.nextLeave(t); l.conn != old || l.reason != phoenix.LeaveReplaced {
		t.Fatalf("leave %+v", l)
	}
	fresh := s.ch.nextJoin(t)
	if fresh.JoinRef() != "3" || old.Push("x", nil) != phoenix.ErrClosed {
		t.Fatal("old channel still usable")
	}
	fresh.Push("x", nil)
	c.expect(`["3",null,"room:a","x",{}]`)
	if got := s.ep.Stats().ChannelsJoined; got != 1 {
		t.Fatalf("ChannelsJoined = %d", got)
	}
}

func TestHandleInPanicCrashesOnlyTheChannel(t *testing.T) {
	s := startServer(t, phoenix.Config{})
	c := s.dial(t, "u1")
	c.send(`["1","1","room:a","phx_join",{}]`)
	c.recv()
	c.send(`["2","2","room:b","phx_join",{}]`)
	c.recv()
	s.ch.nextJoin(t)
	s.ch.nextJoin(t)

	c.send(`["1","3","room:a","boom",{}]`)
	c.expect(`["1","1","room:a","phx_error",{}]`)
	if l := s.ch.nextLeave(t); l.reason != phoenix.LeaveCrashed || l.conn.Topic() != "room:a" {
		t.Fatalf("leave %+v", l)
	}
	if logs := s.logs.String(); !strings.Contains(logs, "handle_in exploded") || !strings.Contains(logs, "runtime/debug.Stack") {
		t.Fatalf("panic not logged with stack:\n%s", logs)
	}
	// The socket and the other channel live on.
	c.send(`[null,"4","phoenix","heartbeat",{}]`)
	c.expect(`[null,"4","phoenix","phx_reply",{"status":"ok","response":{}}]`)
	c.send(`["2","5","room:b","echo",{"ok":1}]`)
	c.expect(`["2","5","room:b","phx_reply",{"status":"ok","response":{"ok":1}}]`)
	c.send(`["1","6","room:a","echo",{}]`)
	c.expect(`["1","6","room:a","phx_reply",{"status":"error","response":{"reason":"unmatched topic"}}]`)
	if st := s.ep.Stats(); st.ChannelCrashes != 1 || st.ChannelsJoined != 1 {
		t.Fatalf("stats %+v", st)
	}
}

// TestPushBudget: pushes and joins of a user, over all their sockets,
// share one budget (API.md §7); heartbeats and leaves are free; a
// reconnect does not reset it.
func TestPushBudget(t *testing.T) {
	s := startServer(t, phoenix.Config{PushLimit: 5, PushWindow: time.Hour})
	a := s.dial(t, "u1")
	b := s.dial(t, "u1")
	other := s.dial(t, "u2")
	for _, c := range []*client{a, b, other} {
		c.send(`["1","1","room:a","phx_join",{}]`)
		c.recv()
	}
	// Heartbeats and leaves are free; the two joins of u1 were charged.
	for range 5 {
		a.send(`[null,"h","phoenix","heartbeat",{}]`)
		a.recv()
	}
	a.send(`["9","9","room:none","phx_leave",{}]`)
	a.expect(`["9","9","room:none","phx_reply",{"status":"ok","response":{}}]`)
	a.send(`["1","2","room:a","echo",{}]`)
	a.recv()
	b.send(`["1","2","room:a","echo",{}]`)
	b.recv()
	a.send(`["1","3","room:a","echo",{}]`)
	a.recv()
	// The fourth push of u1 (its sixth charge), on either socket, is over
	// budget.
	b.send(`["1","3","room:a","echo",{}]`)
	b.expect(`["1","3","room:a","phx_reply",{"status":"error","response":{"error":"rate_limited"}}]`)
	b.expect(`["1","1","room:a","phx_close",{}]`)
	// u2 has its own budget.
	other.send(`["1","2","room:a","echo",{"x":1}]`)
	other.expect(`["1","2","room:a","phx_reply",{"status":"ok","response":{"x":1}}]`)
	if got := s.ep.Stats().RateLimited; got != 1 {
		t.Fatalf("RateLimited = %d", got)
	}
	// A reconnect does not reset the budget.
	a.ws.Close()
	b.ws.Close()
	eventually(t, "u1 sockets closed", func() bool { return s.ep.Stats().SocketsOpen == 1 })
	c := s.dial(t, "u1")
	c.send(`["1","1","room:a","phx_join",{}]`)
	c.expect(`["1","1","room:a","phx_reply",{"status":"error","response":{"reason":"rate_limited","error":"rate_limited"}}]`)
}

func TestDocsEventNames(t *testing.T) {
	s := startServer(t, phoenix.Config{})
	c, _, err := s.tryDial(t, dialOpts{user: "u1", query: "event_names=docs"})
	if err != nil {
		t.Fatal(err)
	}
	c.send(`["1","1","room:a","phx_join",{}]`)
	c.recv()
	conn := s.ch.nextJoin(t)
	if !conn.DocsEventNames() || !conn.Socket().DocsEventNames() {
		t.Fatal("event_names=docs not recorded")
	}
}

func TestRouter(t *testing.T) {
	a, b, c := newTestChannel(), newTestChannel(), newTestChannel()
	r := phoenix.NewRouter().Handle("lobby:*", a).Handle("lobbies", b).Handle("lobby:special:*", c)
	tests := []struct {
		topic string
		want  phoenix.Channel
	}{
		{"lobby:1", a}, {"lobbies", b}, {"lobby:special:1", c}, {"lobby:", a}, {"lobbies:x", nil}, {"lobby", nil}, {"", nil},
	}
	for _, tt := range tests {
		got, ok := r.Match(tt.topic)
		if ok != (tt.want != nil) || (ok && got != tt.want) {
			t.Errorf("Match(%q) = %v, %v", tt.topic, got, ok)
		}
	}
}
