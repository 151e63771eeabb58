package main

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/gamend-go/gamend/actors/notifications"
	"github.com/gamend-go/gamend/actors/user"
	"github.com/gamend-go/gamend/persistence"
)

// joinUser dials with token (extra query text appended), joins user:{id}
// and waits until everything the join pushed has arrived: the heartbeat
// sent after the join is answered after the join burst.
func (ta *testApp) joinUser(t *testing.T, id, token, extra string) *wsClient {
	t.Helper()
	ws, _, err := ta.dial(t, token, extra)
	if err != nil {
		t.Fatal(err)
	}
	if rep := ws.join("user:" + id); rep["status"] != "ok" {
		t.Fatalf("join: %v", rep)
	}
	ws.sync()
	return ws
}

// sync sends a heartbeat and waits for its reply: every frame the server
// queued for this socket before it read the heartbeat has arrived.
func (c *wsClient) sync() {
	c.t.Helper()
	ref := c.send(nil, "phoenix", "heartbeat", map[string]any{})
	c.waitFor(func(f wsFrame) bool { return f.Topic == "phoenix" && f.Ref != nil && *f.Ref == ref })
}

// frames returns a copy of the frames received so far.
func (c *wsClient) received() []wsFrame {
	c.mu.Lock()
	defer c.mu.Unlock()
	return append([]wsFrame(nil), c.frames...)
}

// TestJoinReplaysLatestNotifications: joining user:{id} replays exactly
// the 50 most recent of the user's 60 notifications, oldest first, after
// updated and friend_updated (API.md §5.3).
func TestJoinReplaysLatestNotifications(t *testing.T) {
	forDialects(t, func(t *testing.T, dialect string) {
		ta := newTestApp(t, dialect)
		admin, _ := ta.deviceUser(t, "replay-admin")
		id, tok := ta.deviceUser(t, "replay")
		for i := range 60 {
			if _, err := ta.notifications.Create(context.Background(), notifications.Create{SenderID: admin, RecipientID: id, Title: fmt.Sprintf("n%02d", i)}); err != nil {
				t.Fatal(err)
			}
		}
		ws := ta.joinUser(t, id, tok, "")
		var order []string
		for _, f := range ws.received() {
			if f.Topic == "user:"+id && f.Event != "phx_reply" {
				order = append(order, f.Event)
			}
		}
		if len(order) != 52 || order[0] != "updated" || order[1] != "friend_updated" {
			t.Fatalf("join pushed %d frames: %v", len(order), order)
		}
		var titles []string
		for _, f := range ws.received() {
			if f.Event == "notification_created" {
				titles = append(titles, f.Payload["title"].(string))
			}
		}
		for i, title := range titles {
			if want := fmt.Sprintf("n%02d", i+10); title != want {
				t.Fatalf("notification %d is %s, want %s (all: %v)", i, title, want, titles)
			}
		}
	})
}

// TestProfileChangeReachesEverySocket: a profile change made over REST
// pushes updated to every socket the user has joined user:{id} on, once
// each.
func TestProfileChangeReachesEverySocket(t *testing.T) {
	forDialects(t, func(t *testing.T, dialect string) {
		ta := newTestApp(t, dialect)
		id, tok := ta.deviceUser(t, "multi")
		socks := []*wsClient{ta.joinUser(t, id, tok, ""), ta.joinUser(t, id, tok, ""), ta.joinUser(t, id, tok, "")}
		r, _ := call(context.Background(), "PATCH", ta.base+"/api/v1/me/display_name", tok, map[string]any{"display_name": "Everywhere"})
		if r.Status != 200 {
			t.Fatalf("display name: %d %s", r.Status, r.Raw)
		}
		renamed := func(f wsFrame) bool { return f.Event == "updated" && f.Payload["display_name"] == "Everywhere" }
		for i, ws := range socks {
			ws.waitFor(renamed)
			ws.sync()
			if n := ws.count(renamed); n != 1 {
				t.Fatalf("socket %d got updated %d times", i, n)
			}
		}
	})
}

// TestDocsEventNamesFriends: a socket connected with event_names=docs
// gets friend_online/friend_offline {user_id, is_online} when a friend's
// presence changes (and on join for friends already online), never
// friend_updated, and nothing for a friend's mere profile change: the
// product docs have no such event on the user channel.
func TestDocsEventNamesFriends(t *testing.T) {
	ta := newTestApp(t, "sqlite", "PRESENCE_GRACE_MS=100")
	alice, aliceTok := ta.deviceUser(t, "docs-alice")
	bob, bobTok := ta.deviceUser(t, "docs-bob")
	carol, carolTok := ta.deviceUser(t, "docs-carol")
	ta.befriend(t, alice, bob)
	ta.befriend(t, alice, carol)
	ta.joinUser(t, carol, carolTok, "")

	docs := ta.joinUser(t, alice, aliceTok, "&event_names=docs")
	isPresence := func(ev, who string, online bool) func(wsFrame) bool {
		return func(f wsFrame) bool {
			return f.Event == ev && f.Payload["user_id"] == who && f.Payload["is_online"] == online && len(f.Payload) == 2
		}
	}
	// On join: carol is online, bob is not.
	docs.waitFor(isPresence("friend_online", carol, true))
	if docs.count(func(f wsFrame) bool { return f.Payload["user_id"] == bob }) != 0 {
		t.Fatal("an offline friend was announced on join")
	}

	bobWS := ta.joinUser(t, bob, bobTok, "")
	docs.waitFor(isPresence("friend_online", bob, true))
	r, _ := call(context.Background(), "PATCH", ta.base+"/api/v1/me/display_name", bobTok, map[string]any{"display_name": "Bobby"})
	if r.Status != 200 {
		t.Fatalf("display name: %d %s", r.Status, r.Raw)
	}
	bobWS.waitFor(func(f wsFrame) bool { return f.Event == "updated" && f.Payload["display_name"] == "Bobby" })
	bobWS.push("3", "user:"+bob, "phx_leave", map[string]any{})
	docs.waitFor(isPresence("friend_offline", bob, false))
	// Alice's events about bob come from her actor in order: had the
	// profile change been sent, it would be between online and offline.
	var about []string
	for _, f := range docs.received() {
		if f.Payload["user_id"] == bob {
			about = append(about, f.Event)
		}
	}
	if len(about) != 2 || about[0] != "friend_online" || about[1] != "friend_offline" {
		t.Fatalf("events about bob: %v", about)
	}
	if docs.count(event("user:"+alice, "friend_updated")) != 0 {
		t.Fatal("docs socket got friend_updated")
	}
}

// TestRealtimeDebounce: with REALTIME_DEBOUNCE_MS the changes of one
// subject within the window reach the socket as one push of the latest
// state: the user's own updated, and a friend's friend_updated entry.
func TestRealtimeDebounce(t *testing.T) {
	const window = 2 * time.Second
	ta := newTestApp(t, "sqlite", fmt.Sprintf("REALTIME_DEBOUNCE_MS=%d", window.Milliseconds()))
	alice, aliceTok := ta.deviceUser(t, "deb-alice")
	bob, bobTok := ta.deviceUser(t, "deb-bob")
	ta.befriend(t, alice, bob)
	bobWS := ta.joinUser(t, bob, bobTok, "")
	aliceWS := ta.joinUser(t, alice, aliceTok, "")
	// bob's view of alice coming online is itself debounced.
	bobWS.waitFor(func(f wsFrame) bool { e := friendEntryOf(f, alice); return e != nil && e["is_online"] == true })

	start := time.Now()
	for _, name := range []string{"A1", "A2", "A3"} {
		r, _ := call(context.Background(), "PATCH", ta.base+"/api/v1/me/display_name", aliceTok, map[string]any{"display_name": name})
		if r.Status != 200 {
			t.Fatalf("display name: %d %s", r.Status, r.Raw)
		}
	}
	if el := time.Since(start); el >= window {
		t.Fatalf("three changes took %v, longer than the %v window: the test cannot tell coalescing apart", el, window)
	}
	aliceWS.waitFor(func(f wsFrame) bool { return f.Event == "updated" && f.Payload["display_name"] == "A3" })
	bobWS.waitFor(func(f wsFrame) bool { e := friendEntryOf(f, alice); return e != nil && e["display_name"] == "A3" })
	if el := time.Since(start); el < window/2 {
		t.Fatalf("pushed after %v: not held for the window", el)
	}
	for _, name := range []string{"A1", "A2"} {
		if aliceWS.count(func(f wsFrame) bool { return f.Event == "updated" && f.Payload["display_name"] == name }) != 0 {
			t.Fatalf("intermediate state %s pushed to alice", name)
		}
		if bobWS.count(func(f wsFrame) bool { e := friendEntryOf(f, alice); return e != nil && e["display_name"] == name }) != 0 {
			t.Fatalf("intermediate state %s pushed to bob", name)
		}
	}
}

// TestPresenceSweeperAnnounces: the sweeper marks users offline whose
// node died (stale last_seen_at, no actor), and their friends' sockets
// get friend_updated with is_online false; the presence hooks get the
// offline change.
func TestPresenceSweeperAnnounces(t *testing.T) {
	forDialects(t, func(t *testing.T, dialect string) {
		ta := newTestApp(t, dialect)
		ghost, _ := ta.deviceUser(t, "sweep-ghost")
		friend, friendTok := ta.deviceUser(t, "sweep-friend")
		ta.befriend(t, ghost, friend)
		var mu sync.Mutex
		var offline []string
		ta.presence.AddHook(func(_ context.Context, ch user.PresenceChange) {
			if ch.Change == user.WentOffline {
				mu.Lock()
				offline = append(offline, ch.User.ID)
				mu.Unlock()
			}
		})
		old := persistence.Now().Add(-10 * time.Minute)
		if _, err := ta.db.Exec(context.Background(), `UPDATE users SET is_online = ?, last_seen_at = ? WHERE id = ?`, true, old, ghost); err != nil {
			t.Fatal(err)
		}
		ws := ta.joinUser(t, friend, friendTok, "")
		if e := friendEntryOf(ws.waitFor(event("user:"+friend, "friend_updated")), ghost); e == nil || e["is_online"] != true {
			t.Fatalf("join snapshot: ghost %v", e)
		}
		n, err := ta.sweeper.Sweep(context.Background())
		if err != nil || n != 1 || ta.isOnline(t, ghost) {
			t.Fatalf("sweep: n=%d err=%v online=%v", n, err, ta.isOnline(t, ghost))
		}
		ws.waitFor(func(f wsFrame) bool { e := friendEntryOf(f, ghost); return e != nil && e["is_online"] == false })
		mu.Lock()
		defer mu.Unlock()
		if len(offline) != 1 || offline[0] != ghost {
			t.Fatalf("offline hooks: %v", offline)
		}
	})
}

// TestDeletedUserGoesOfflineForFriends: deleting an online account tells
// its connected friends that the user went offline before the friendship
// rows disappear with the account (API.md §4.3 "marks offline").
func TestDeletedUserGoesOfflineForFriends(t *testing.T) {
	ta := newTestApp(t, "sqlite", "PRESENCE_GRACE_MS=60000")
	alice, aliceTok := ta.deviceUser(t, "delete-alice")
	bob, bobTok := ta.deviceUser(t, "delete-bob")
	ta.befriend(t, alice, bob)
	bobWS := ta.joinUser(t, bob, bobTok, "")
	ta.joinUser(t, alice, aliceTok, "")
	bobWS.waitFor(func(f wsFrame) bool { e := friendEntryOf(f, alice); return e != nil && e["is_online"] == true })

	r, err := call(context.Background(), "DELETE", ta.base+"/api/v1/me", aliceTok, nil)
	if err != nil || r.Status != 200 {
		t.Fatalf("delete: %v %d %s", err, r.Status, r.Raw)
	}
	// The grace period is a minute: only the delete can have sent this.
	bobWS.waitFor(func(f wsFrame) bool { e := friendEntryOf(f, alice); return e != nil && e["is_online"] == false })
}
