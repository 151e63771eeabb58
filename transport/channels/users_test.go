package channels

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/fasthttp/websocket"
	"github.com/gofiber/fiber/v2"

	"github.com/gamend-go/gamend/actors/notifications"
	"github.com/gamend-go/gamend/actors/registry"
	"github.com/gamend-go/gamend/actors/user"
	"github.com/gamend-go/gamend/hooks"
	"github.com/gamend-go/gamend/persistence"
	"github.com/gamend-go/gamend/persistence/persistencetest"
	"github.com/gamend-go/gamend/persistence/writebehind"
	"github.com/gamend-go/gamend/transport/phoenix"
)

// harness is the user channel on a real socket endpoint, user actors and
// the notification service over a fresh database. Tokens are
// "tok-<user id>".
type harness struct {
	db       *persistence.DB
	users    *Users
	presence *user.Presence
	notifs   *notifications.Service
	url      string
}

func newHarness(t *testing.T, tg persistencetest.Target) *harness {
	t.Helper()
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	q := writebehind.New(tg.DB, writebehind.Options{})
	reg := registry.New(registry.Config{Store: q, RequestTimeout: 5 * time.Second, Logger: log})
	u := NewUsers(reg, tg.DB, log)
	p := user.NewPresence(user.PresenceOptions{Deliverer: u, Resync: u.Resync, Grace: 50 * time.Millisecond})
	p.Attach(reg)
	reg.Register(p.Kind())
	u.RegisterNode()
	if err := reg.Start(); err != nil {
		t.Fatal(err)
	}
	n := notifications.New(q, notifications.Limits{})
	n.SetPusher(p)
	u.SetNotifications(n)
	app := fiber.New(fiber.Config{DisableStartupMessage: true})
	auth := phoenix.AuthenticatorFunc(func(_ context.Context, tok string) (string, error) {
		if id, ok := strings.CutPrefix(tok, "tok-"); ok {
			return id, nil
		}
		return "", errors.New("bad token")
	})
	ep := phoenix.Mount(app, phoenix.Config{Logger: log}, auth, phoenix.NewRouter().Handle("user:*", u))
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	go app.Listener(ln)
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		ep.Shutdown(ctx)
		app.ShutdownWithContext(ctx)
		reg.Stop(ctx)
		q.Close(ctx)
	})
	return &harness{db: tg.DB, users: u, presence: p, notifs: n, url: "ws://" + ln.Addr().String() + "/socket/websocket"}
}

func (h *harness) newUser(t *testing.T, name string) string {
	t.Helper()
	id, now := persistence.NewID(), persistence.Now()
	if _, err := h.db.Exec(context.Background(), `INSERT INTO users (id, username, inserted_at, updated_at) VALUES (?, ?, ?, ?)`, id, name, now, now); err != nil {
		t.Fatal(err)
	}
	return id
}

type frameT struct {
	Ref     *string
	Topic   string
	Event   string
	Payload map[string]any
}

type sock struct {
	t  *testing.T
	ws *websocket.Conn
}

func (h *harness) dial(t *testing.T, userID string) *sock {
	t.Helper()
	ws, _, err := websocket.DefaultDialer.Dial(h.url+"?vsn=2.0.0&token=tok-"+userID, nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ws.Close() })
	return &sock{t: t, ws: ws}
}

func (s *sock) send(raw string) {
	s.t.Helper()
	if err := s.ws.WriteMessage(websocket.TextMessage, []byte(raw)); err != nil {
		s.t.Fatal(err)
	}
}

func (s *sock) recv() frameT {
	s.t.Helper()
	s.ws.SetReadDeadline(time.Now().Add(5 * time.Second))
	_, b, err := s.ws.ReadMessage()
	if err != nil {
		s.t.Fatalf("recv: %v", err)
	}
	var arr []json.RawMessage
	if err := json.Unmarshal(b, &arr); err != nil || len(arr) != 5 {
		s.t.Fatalf("bad frame %s", b)
	}
	var f frameT
	json.Unmarshal(arr[1], &f.Ref)
	json.Unmarshal(arr[2], &f.Topic)
	json.Unmarshal(arr[3], &f.Event)
	json.Unmarshal(arr[4], &f.Payload)
	return f
}

// waitHeld waits until j holds an event matching pred.
func waitHeld(t *testing.T, j *joined, pred func(user.Event) bool) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for {
		j.mu.Lock()
		for _, ev := range j.held {
			if pred(ev) {
				j.mu.Unlock()
				return
			}
		}
		j.mu.Unlock()
		if time.Now().After(deadline) {
			t.Fatal("the event was not held")
		}
		time.Sleep(2 * time.Millisecond)
	}
}

// TestJoinHoldsLiveEvents: events the user actor delivers while a join is
// still pushing its snapshot are held and applied after it, in order: a
// notification created between the Subscribe and the replay query is
// sent once (in the replay), an upsert of it after the replay is sent
// after the replay, and a profile change during the join is not
// overtaken by the join's older updated.
func TestJoinHoldsLiveEvents(t *testing.T) {
	persistencetest.Dialects(t, func(t *testing.T, tg persistencetest.Target) {
		h := newHarness(t, tg)
		ctx := context.Background()
		alice, bob := h.newUser(t, "alice"), h.newUser(t, "bob")
		for _, title := range []string{"n1", "n2", "n3"} {
			if _, err := h.notifs.Create(ctx, notifications.Create{SenderID: bob, RecipientID: alice, Title: title}); err != nil {
				t.Fatal(err)
			}
		}
		var lateID string
		h.users.joinSeam = func(stage string, j *joined) {
			switch stage {
			case "before_replay":
				n, err := h.notifs.Create(ctx, notifications.Create{SenderID: bob, RecipientID: alice, Title: "late", Content: "v1"})
				if err != nil {
					t.Error(err)
					return
				}
				lateID = n.ID
				waitHeld(t, j, func(ev user.Event) bool { return ev.Notification != nil && ev.Notification.ID == lateID })
				if _, err := h.db.Exec(ctx, `UPDATE users SET display_name = 'Alice' WHERE id = ?`, alice); err != nil {
					t.Error(err)
				}
				h.presence.ProfileChanged(alice)
				waitHeld(t, j, func(ev user.Event) bool { return ev.Self != nil && ev.Self.DisplayName == "Alice" })
			case "after_replay":
				if _, err := h.notifs.Create(ctx, notifications.Create{SenderID: bob, RecipientID: alice, Title: "late", Content: "v2"}); err != nil {
					t.Error(err)
					return
				}
				waitHeld(t, j, func(ev user.Event) bool { return ev.Notification != nil && ev.Notification.Content == "v2" })
			}
		}
		s := h.dial(t, alice)
		topic := "user:" + alice
		s.send(`["1","1","` + topic + `","phx_join",{}]`)
		s.send(`[null,"hb","phoenix","heartbeat",{}]`) // answered after everything the join pushed
		var got []string
		for {
			f := s.recv()
			if f.Topic == "phoenix" {
				break
			}
			desc := f.Event
			switch f.Event {
			case "updated":
				desc += ":" + f.Payload["display_name"].(string)
			case "notification_created":
				desc += ":" + f.Payload["title"].(string) + "/" + f.Payload["content"].(string)
			}
			got = append(got, desc)
		}
		want := []string{"phx_reply", "updated:", "friend_updated",
			"notification_created:n1/", "notification_created:n2/", "notification_created:n3/", "notification_created:late/v1",
			"updated:Alice", "notification_created:late/v2"}
		if strings.Join(got, " ") != strings.Join(want, " ") {
			t.Fatalf("frames\n got %v\nwant %v", got, want)
		}
		// Live events flow directly again.
		h.users.joinSeam = nil
		if _, err := h.notifs.Create(ctx, notifications.Create{SenderID: bob, RecipientID: alice, Title: "after"}); err != nil {
			t.Fatal(err)
		}
		if f := s.recv(); f.Event != "notification_created" || f.Payload["title"] != "after" {
			t.Fatalf("live notification: %+v", f)
		}
	})
}

// fakeHooks answers "game"."add" with the sum of its arguments, "game"
// ."boom" with an exception, "game"."slow" when released, and anything
// else not_implemented.
type fakeHooks struct {
	hooks.None
	release chan struct{}
	callers chan string
}

func (f *fakeHooks) Call(ctx context.Context, userID, plugin, fn string, args json.RawMessage) (json.RawMessage, error) {
	f.callers <- userID + " " + plugin + "." + fn + " " + string(args)
	switch {
	case plugin == "game" && fn == "add":
		var xs []int
		if err := json.Unmarshal(args, &xs); err != nil {
			return nil, &hooks.Error{Code: "function_clause", Details: "add expects numbers"}
		}
		sum := 0
		for _, x := range xs {
			sum += x
		}
		return json.RawMessage(strconv.Itoa(sum)), nil
	case plugin == "game" && fn == "slow":
		select {
		case <-f.release:
			return json.RawMessage(`"done"`), nil
		case <-ctx.Done():
			return nil, ctx.Err()
		}
	}
	return nil, hooks.ErrNotImplemented
}

// TestCallHook: call_hook pushes go to the hooks package with the
// socket's user as caller and normalised args; results come back as
// {"data":…}, failures as {"error":reason} (+ details / limits), always
// with _request_id; a slow call does not hold up the socket.
func TestCallHook(t *testing.T) {
	h := newHarness(t, persistencetest.SQLite(t))
	fh := &fakeHooks{release: make(chan struct{}), callers: make(chan string, 10)}
	h.users.SetHooks(fh, 3, 64)
	alice := h.newUser(t, "alice")
	s := h.dial(t, alice)
	topic := "user:" + alice
	s.send(`["1","1","` + topic + `","phx_join",{}]`)
	for f := s.recv(); f.Event != "phx_reply"; f = s.recv() {
	}
	push := func(ref, payload string) map[string]any {
		t.Helper()
		s.send(`["1","` + ref + `","` + topic + `","call_hook",` + payload + `]`)
		for {
			f := s.recv()
			if f.Event == "phx_reply" && f.Ref != nil && *f.Ref == ref {
				return f.Payload
			}
		}
	}
	tests := []struct {
		payload, status, want string
	}{
		{`{"plugin":"game","fn":"add","args":[1,2,3],"_request_id":"a"}`, "ok", `{"_request_id":"a","data":6}`},
		{`{"plugin":"game","fn":"add","args":5,"_request_id":2}`, "ok", `{"_request_id":2,"data":5}`},
		{`{"plugin":"game","fn":"add","args":["x"]}`, "error", `{"details":"add expects numbers","error":"function_clause"}`},
		{`{"plugin":"game","fn":"nope","_request_id":"n"}`, "error", `{"_request_id":"n","error":"not_implemented"}`},
		{`{"plugin":"game","_request_id":"i"}`, "error", `{"_request_id":"i","error":"invalid_request"}`},
		{`{"plugin":7,"fn":"add"}`, "error", `{"error":"invalid_request"}`},
		{`{"plugin":"game","fn":"add","args":[1,2,3,4]}`, "error", `{"error":"too_many_args","max":3}`},
		{`{"plugin":"game","fn":"add","args":["` + strings.Repeat("x", 80) + `"]}`, "error", `{"error":"args_too_large","max_bytes":64}`},
	}
	for i, tt := range tests {
		rep := push(strconv.Itoa(10+i), tt.payload)
		got, _ := json.Marshal(rep["response"])
		if rep["status"] != tt.status || string(got) != tt.want {
			t.Errorf("%s: %v %s, want %s %s", tt.payload, rep["status"], got, tt.status, tt.want)
		}
	}
	if c := <-fh.callers; c != alice+" game.add [1,2,3]" {
		t.Fatalf("first call reached the hooks as %q", c)
	}
	// A slow call: the socket keeps answering heartbeats meanwhile.
	s.send(`["1","slow","` + topic + `","call_hook",{"plugin":"game","fn":"slow"}]`)
	s.send(`[null,"hb","phoenix","heartbeat",{}]`)
	if f := s.recv(); f.Topic != "phoenix" || f.Ref == nil || *f.Ref != "hb" {
		t.Fatalf("heartbeat held up by a slow hook: %+v", f)
	}
	close(fh.release)
	if f := s.recv(); f.Ref == nil || *f.Ref != "slow" || f.Payload["response"].(map[string]any)["data"] != "done" {
		t.Fatalf("slow reply: %+v", f)
	}
}
