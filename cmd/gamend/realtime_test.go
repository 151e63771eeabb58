package main

import (
	"context"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gamend-go/gamend/actors/user"
)

func TestUserChannel(t *testing.T) {
	forDialects(t, func(t *testing.T, dialect string) {
		ta := newTestApp(t, dialect, "PRESENCE_GRACE_MS=200")
		admin, adminTok := ta.deviceUser(t, "rt-admin")
		alice, aliceTok := ta.deviceUser(t, "rt-alice")
		bob, bobTok := ta.deviceUser(t, "rt-bob")
		ta.befriend(t, alice, bob)
		// A notification waiting before alice connects is replayed on join.
		r, _ := call(context.Background(), "POST", ta.base+"/api/v1/admin/notifications", adminTok,
			map[string]any{"sender_id": admin, "recipient_id": alice, "title": "welcome"})
		if r.Status != 201 {
			t.Fatalf("admin notification: %d %s", r.Status, r.Raw)
		}
		var hookMu sync.Mutex
		var hookCalls []string
		ta.presence.AddHook(func(_ context.Context, ch user.PresenceChange) {
			hookMu.Lock()
			hookCalls = append(hookCalls, ch.User.ID+":"+map[user.Change]string{user.WentOnline: "online", user.WentOffline: "offline", user.ProfileUpdated: "updated"}[ch.Change])
			hookMu.Unlock()
		})

		// Bad tokens are refused at the upgrade.
		if _, resp, err := ta.dial(t, "garbage", ""); err == nil || resp == nil || resp.StatusCode != http.StatusForbidden {
			t.Fatalf("bad token: %v %v", err, resp)
		}
		bobWS, _, err := ta.dial(t, bobTok, "")
		if err != nil {
			t.Fatal(err)
		}
		bobTopic := "user:" + bob
		if rep := bobWS.join(bobTopic); rep["status"] != "ok" {
			t.Fatalf("bob join: %v", rep)
		}
		ws, _, err := ta.dial(t, aliceTok, "")
		if err != nil {
			t.Fatal(err)
		}
		// Joining someone else's topic, or a malformed one, is refused.
		if rep := ws.join("user:" + bob); rep["status"] != "error" || rep["response"].(map[string]any)["reason"] != "unauthorized" {
			t.Fatalf("foreign topic: %v", rep)
		}
		if rep := ws.join("user:not-a-uuid"); rep["response"].(map[string]any)["reason"] != "invalid topic" {
			t.Fatalf("bad topic: %v", rep)
		}
		topic := "user:" + alice
		rep := ws.join(topic)
		if rep["status"] != "ok" {
			t.Fatalf("join: %v", rep)
		}
		joinRef := "3"
		// Right after the join: updated, friend_updated, then notifications.
		up := ws.waitFor(event(topic, "updated"))
		if up.Payload["id"] != alice || up.Payload["is_online"] != true || up.Payload["has_password"] != false ||
			up.Payload["lobby_id"] != "" || up.Payload["linked_providers"].(map[string]any)["device"] != true {
			t.Fatalf("updated payload: %s", up.PayloadRaw)
		}
		if *up.JoinRef != joinRef {
			t.Fatalf("push join_ref %v, want %s", *up.JoinRef, joinRef)
		}
		fu := ws.waitFor(event(topic, "friend_updated"))
		bobEntry := friendEntryOf(fu, bob)
		if bobEntry == nil || bobEntry["user_id"] != bob || bobEntry["is_online"] != true || bobEntry["friendship_id"] == "" {
			t.Fatalf("friend_updated: %s", fu.PayloadRaw)
		}
		nc := ws.waitFor(event(topic, "notification_created"))
		if nc.Payload["title"] != "welcome" {
			t.Fatalf("notification on join: %s", nc.PayloadRaw)
		}
		if !ta.isOnline(t, alice) {
			t.Fatal("alice not online after join")
		}
		// Bob sees alice come online.
		bobWS.waitFor(func(f wsFrame) bool {
			e := friendEntryOf(f, alice)
			return f.Event == "friend_updated" && e != nil && e["is_online"] == true
		})

		// A notification created over REST arrives live.
		r, _ = call(context.Background(), "POST", ta.base+"/api/v1/notifications", bobTok, map[string]any{"user_id": alice, "title": "gg", "content": "wp"})
		if r.Status != 201 {
			t.Fatalf("send: %d %s", r.Status, r.Raw)
		}
		ws.waitFor(func(f wsFrame) bool { return f.Event == "notification_created" && f.Payload["title"] == "gg" })

		// A profile change pushes updated once; an identical one is deduplicated.
		for range 2 {
			r, _ = call(context.Background(), "PATCH", ta.base+"/api/v1/me/display_name", aliceTok, map[string]any{"display_name": "Alice"})
			if r.Status != 200 {
				t.Fatalf("display name: %d %s", r.Status, r.Raw)
			}
		}
		ws.waitFor(func(f wsFrame) bool { return f.Event == "updated" && f.Payload["display_name"] == "Alice" })
		bobWS.waitFor(func(f wsFrame) bool {
			e := friendEntryOf(f, alice)
			return e != nil && e["display_name"] == "Alice"
		})
		ws.sync() // the second PATCH returned after its push (if any) was queued
		if n := ws.count(func(f wsFrame) bool { return f.Event == "updated" && f.Payload["display_name"] == "Alice" }); n != 1 {
			t.Fatalf("updated pushed %d times for one change", n)
		}

		// Client pushes: call_hook answers until scripting exists; unknown
		// events get unknown_event and the channel stays open.
		if rep := ws.push(joinRef, topic, "call_hook", map[string]any{"plugin": "p", "fn": "f", "_request_id": 7}); rep["status"] != "error" ||
			rep["response"].(map[string]any)["error"] != "not_implemented" || rep["response"].(map[string]any)["_request_id"] != float64(7) {
			t.Fatalf("call_hook: %v", rep)
		}
		if rep := ws.push(joinRef, topic, "dance", map[string]any{}); rep["response"].(map[string]any)["error"] != "unknown_event" {
			t.Fatalf("unknown event: %v", rep)
		}
		if rep := ws.push(joinRef, topic, "dance", map[string]any{}); rep["status"] != "error" {
			t.Fatalf("channel closed after unknown event: %v", rep)
		}

		// Leaving the last channel takes alice offline after the grace
		// period; bob is told.
		ws.push(joinRef, topic, "phx_leave", map[string]any{})
		waitUntil(t, "alice offline", func() bool { return !ta.isOnline(t, alice) })
		bobWS.waitFor(func(f wsFrame) bool {
			e := friendEntryOf(f, alice)
			return e != nil && e["is_online"] == false
		})
		waitUntil(t, "alice's actor passivated", func() bool { return !ta.reg.Active(user.Kind, alice) })
		hookMu.Lock()
		calls := strings.Join(hookCalls, ",")
		hookMu.Unlock()
		for _, want := range []string{alice + ":online", alice + ":updated", alice + ":offline"} {
			if !strings.Contains(calls, want) {
				t.Errorf("presence hooks saw %s, want %s", calls, want)
			}
		}
	})
}

func TestDocsEventNames(t *testing.T) {
	ta := newTestApp(t, "sqlite")
	admin, adminTok := ta.deviceUser(t, "docs-admin")
	u, tok := ta.deviceUser(t, "docs-user")
	ws, _, err := ta.dial(t, tok, "&event_names=docs")
	if err != nil {
		t.Fatal(err)
	}
	ws.join("user:" + u)
	ws.waitFor(event("user:"+u, "updated"))
	call(context.Background(), "POST", ta.base+"/api/v1/admin/notifications", adminTok, map[string]any{"sender_id": admin, "recipient_id": u, "title": "hi"})
	ws.waitFor(event("user:"+u, "notification"))
	if ws.count(event("user:"+u, "notification_created")) != 0 {
		t.Fatal("docs-named socket got the upstream event name")
	}
}

// friendEntryOf returns the friend_updated entry for id in f, or nil.
func friendEntryOf(f wsFrame, id string) map[string]any {
	if f.Event != "friend_updated" {
		return nil
	}
	friends, _ := f.Payload["friends"].(map[string]any)
	e, _ := friends[id].(map[string]any)
	return e
}

// TestSocketsClosedWhenAccessEnds: deleting the account, changing the
// password and revoking tokens close the user's live sockets.
func TestSocketsClosedWhenAccessEnds(t *testing.T) {
	ta := newTestApp(t, "sqlite")
	_, adminTok := ta.deviceUser(t, "close-admin")
	cases := []struct {
		name string
		end  func(t *testing.T, id, tok string)
	}{
		{"password change", func(t *testing.T, id, tok string) {
			r, _ := call(context.Background(), "PATCH", ta.base+"/api/v1/me/password", tok, map[string]any{"password": "a-new-password"})
			if r.Status != 200 {
				t.Fatalf("password: %d %s", r.Status, r.Raw)
			}
		}},
		{"account deletion", func(t *testing.T, id, tok string) {
			r, _ := call(context.Background(), "DELETE", ta.base+"/api/v1/me", tok, nil)
			if r.Status != 200 {
				t.Fatalf("delete: %d %s", r.Status, r.Raw)
			}
		}},
		{"admin revokes tokens", func(t *testing.T, id, tok string) {
			r, _ := call(context.Background(), "POST", ta.base+"/api/v1/admin/users/"+id+"/revoke_tokens", adminTok, nil)
			if r.Status != 200 {
				t.Fatalf("revoke: %d %s", r.Status, r.Raw)
			}
		}},
	}
	for i, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			id, tok := ta.deviceUser(t, "close-"+string(rune('a'+i)))
			ws, _, err := ta.dial(t, tok, "")
			if err != nil {
				t.Fatal(err)
			}
			ws.join("user:" + id)
			ws.waitFor(event("user:"+id, "updated"))
			tc.end(t, id, tok)
			select {
			case <-ws.closed:
			case <-time.After(5 * time.Second):
				t.Fatal("socket still open")
			}
		})
	}
}
