package main

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/gamend-go/gamend/actors/notifications"
)

// expectRefused dials with token and header and wants the upgrade refused
// with status and {"error":reason}: no socket at all.
func expectRefused(t *testing.T, base, token string, header http.Header, status int, reason string) {
	t.Helper()
	ws, resp, err := dialSocket(t, base, token, "", header)
	if err == nil {
		ws.conn.Close()
		t.Fatalf("upgrade accepted, want %d %s", status, reason)
	}
	if resp == nil || resp.StatusCode != status {
		t.Fatalf("upgrade refused with %v (%v), want %d", resp, err, status)
	}
	b, _ := io.ReadAll(resp.Body)
	var body map[string]any
	if json.Unmarshal(b, &body) != nil || body["error"] != reason {
		t.Fatalf("refusal body %s, want error %s", b, reason)
	}
}

// expectUpgraded dials and wants a live socket (101) that answers a
// heartbeat.
func expectUpgraded(t *testing.T, base, token string, header http.Header) *wsClient {
	t.Helper()
	ws, resp, err := dialSocket(t, base, token, "", header)
	if err != nil {
		t.Fatalf("upgrade refused: %v %v", resp, err)
	}
	if resp.StatusCode != http.StatusSwitchingProtocols {
		t.Fatalf("upgrade status %d", resp.StatusCode)
	}
	ref := ws.send(nil, "phoenix", "heartbeat", map[string]any{})
	ws.waitFor(func(f wsFrame) bool { return f.Event == "phx_reply" && f.Ref != nil && *f.Ref == ref })
	return ws
}

// TestSocketRefusesEndedTokens: the upgrade checks its token as strictly
// as a bearer check: a refresh token (API.md §13 #16), an access token
// revoked by an administrator, and one issued before a password change
// are all refused with 403 before any socket exists.
func TestSocketRefusesEndedTokens(t *testing.T) {
	forDialects(t, func(t *testing.T, dialect string) {
		ta := newTestApp(t, dialect)
		_, adminTok := ta.deviceUser(t, "ended-admin")

		r, err := call(context.Background(), "POST", ta.base+"/api/v1/login/device", "", map[string]string{"device_id": "ended-refresh"})
		if err != nil || r.Status != 200 {
			t.Fatalf("login: %v %d", err, r.Status)
		}
		refresh, access := dataField(r, "refresh_token"), dataField(r, "access_token")
		if refresh == "" || refresh == access {
			t.Fatalf("login gave no separate refresh token: %s", r.Raw)
		}
		expectRefused(t, ta.base, refresh, nil, http.StatusForbidden, "invalid_token")
		expectUpgraded(t, ta.base, access, nil)

		revoked, revokedTok := ta.deviceUser(t, "ended-revoked")
		expectUpgraded(t, ta.base, revokedTok, nil)
		r, _ = call(context.Background(), "POST", ta.base+"/api/v1/admin/users/"+revoked+"/revoke_tokens", adminTok, nil)
		if r.Status != 200 {
			t.Fatalf("revoke: %d %s", r.Status, r.Raw)
		}
		expectRefused(t, ta.base, revokedTok, nil, http.StatusForbidden, "invalid_token")

		_, pwTok := ta.deviceUser(t, "ended-password")
		expectUpgraded(t, ta.base, pwTok, nil)
		r, _ = call(context.Background(), "PATCH", ta.base+"/api/v1/me/password", pwTok, map[string]any{"password": "a-new-password"})
		if r.Status != 200 {
			t.Fatalf("password: %d %s", r.Status, r.Raw)
		}
		expectRefused(t, ta.base, pwTok, nil, http.StatusForbidden, "invalid_token")
		if got := ta.socket.Stats().Rejected; got != 3 {
			t.Fatalf("Rejected = %d, want 3", got)
		}
	})
}

// TestSocketOrigin: the Origin rule as the app wires it (API.md §5.1).
// Without PHX_ALLOWED_ORIGINS a browser origin must be on PHX_HOST (any
// scheme or port); with it, the list decides, and PHX_HOST alone no
// longer passes. Native clients send no Origin and always pass.
func TestSocketOrigin(t *testing.T) {
	tests := []struct {
		name    string
		env     []string
		allowed []string
		refused []string
	}{
		{"PHX_HOST", []string{"PHX_HOST=play.example.com"},
			[]string{"https://play.example.com", "http://play.example.com:4000", "https://PLAY.example.com"},
			[]string{"https://evil.example.com", "https://play.example.com.evil.net", "null"}},
		{"PHX_ALLOWED_ORIGINS", []string{"PHX_HOST=play.example.com", "PHX_ALLOWED_ORIGINS=https://a.example.com,//b.example.com"},
			[]string{"https://a.example.com", "http://b.example.com", "https://b.example.com:8443"},
			[]string{"https://play.example.com", "http://a.example.com", "https://c.example.com"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ta := newTestApp(t, "sqlite", tt.env...)
			_, tok := ta.deviceUser(t, "origin")
			for _, o := range tt.allowed {
				expectUpgraded(t, ta.base, tok, http.Header{"Origin": {o}})
			}
			for _, o := range tt.refused {
				expectRefused(t, ta.base, tok, http.Header{"Origin": {o}}, http.StatusForbidden, "origin_not_allowed")
			}
			expectUpgraded(t, ta.base, tok, nil) // no Origin: a native client
		})
	}
}

// budgetWindow is a window no test outlasts: the windows are aligned to
// the epoch, so a short one could reset in the middle of a test.
const budgetWindow = "RATE_LIMIT_WS_WINDOW=86400000"

// pushUntilLimited pushes an unknown event on the user topic of each
// socket in turn; the first pushes pushes must be answered unknown_event,
// the next one rate_limited (with _request_id) followed by phx_close.
func pushUntilLimited(t *testing.T, socks []*wsClient, topic string, pushes int) {
	t.Helper()
	for i := 0; i <= pushes; i++ {
		ws := socks[i%len(socks)]
		rep := ws.push("1", topic, "dance", map[string]any{"_request_id": i})
		resp, _ := rep["response"].(map[string]any)
		want := "unknown_event"
		if i == pushes {
			want = "rate_limited"
		}
		if rep["status"] != "error" || resp["error"] != want || resp["_request_id"] != float64(i) {
			t.Fatalf("push %d (socket %d): %v, want %s", i+1, i%len(socks), rep, want)
		}
		if i == pushes {
			ws.waitFor(func(f wsFrame) bool { return f.Topic == topic && f.Event == "phx_close" })
		}
	}
}

// isJoinRateLimited reports whether a join reply is the over-budget
// refusal.
func isJoinRateLimited(rep map[string]any) bool {
	resp, _ := rep["response"].(map[string]any)
	return rep["status"] == "error" && resp["reason"] == "rate_limited" && resp["error"] == "rate_limited"
}

// TestSocketPushBudget: RATE_LIMIT_WS_LIMIT/_WINDOW budget the pushes
// and joins of a user over all their sockets on the real user:{id}
// channel: over budget, a push gets a rate_limited reply and the channel
// closes, a join is refused with rate_limited; the sockets live on.
func TestSocketPushBudget(t *testing.T) {
	ta := newTestApp(t, "sqlite", "RATE_LIMIT_WS_LIMIT=5", budgetWindow)
	id, tok := ta.deviceUser(t, "budget")
	topic := "user:" + id
	var socks []*wsClient
	for range 2 {
		ws, _, err := ta.dial(t, tok, "")
		if err != nil {
			t.Fatal(err)
		}
		if rep := ws.join(topic); rep["status"] != "ok" {
			t.Fatalf("join: %v", rep)
		}
		socks = append(socks, ws)
	}
	pushUntilLimited(t, socks, topic, 3) // 2 joins + 3 pushes = 5
	// The other socket's budget is spent too.
	rep := socks[0].push("1", topic, "dance", map[string]any{})
	if rep["response"].(map[string]any)["error"] != "rate_limited" {
		t.Fatalf("second socket: %v", rep)
	}
	// So is the join budget, which is the same one.
	if rep := socks[1].join(topic); !isJoinRateLimited(rep) {
		t.Fatalf("rejoin over budget: %v", rep)
	}
	if ta.socket.Stats().RateLimited != 3 {
		t.Fatalf("stats %+v", ta.socket.Stats())
	}
	for _, ws := range socks {
		ws.sync()
	}
}

// TestJoinsChargedToSocketBudget (regression): joining user:{id} replays
// the user's 50 latest notifications, and joins used to be free, so one
// socket joining over and over received megabytes for a few bytes sent.
// Joins are charged to RATE_LIMIT_WS_*: past the budget a join gets the
// rate_limited refusal and no replay, so what a socket receives over any
// number of joins is bounded by the budget.
func TestJoinsChargedToSocketBudget(t *testing.T) {
	forDialects(t, func(t *testing.T, dialect string) {
		const limit, joins = 3, 20
		ta := newTestApp(t, dialect, fmt.Sprintf("RATE_LIMIT_WS_LIMIT=%d", limit), budgetWindow)
		admin, _ := ta.deviceUser(t, "flood-admin")
		id, tok := ta.deviceUser(t, "flood")
		for i := range 50 {
			if _, err := ta.notifications.Create(context.Background(), notifications.Create{SenderID: admin, RecipientID: id,
				Title: fmt.Sprintf("n%02d", i), Content: strings.Repeat("b", 500)}); err != nil {
				t.Fatal(err)
			}
		}
		topic := "user:" + id
		ws, _, err := ta.dial(t, tok, "")
		if err != nil {
			t.Fatal(err)
		}
		replayed := event(topic, "notification_created")
		var oneReplay int
		for i := range joins {
			before := ws.bytesReceived()
			rep := ws.join(topic)
			ws.sync()
			switch {
			case i < limit && rep["status"] != "ok":
				t.Fatalf("join %d: %v", i+1, rep)
			case i >= limit && !isJoinRateLimited(rep):
				t.Fatalf("join %d over budget: %v", i+1, rep)
			}
			if i == 0 {
				oneReplay = ws.bytesReceived() - before
			}
		}
		if n := ws.count(replayed); n != limit*50 {
			t.Fatalf("%d notifications replayed over %d joins, want %d", n, joins, limit*50)
		}
		// Each refused join costs its reply (and the heartbeat's).
		if got, bound := ws.bytesReceived(), limit*oneReplay+(joins-limit)*300; got > bound {
			t.Fatalf("received %d bytes over %d joins, want at most %d (one replay is %d)", got, joins, bound, oneReplay)
		}
		if got := ta.socket.Stats().RateLimited; got != joins-limit {
			t.Fatalf("RateLimited = %d, want %d", got, joins-limit)
		}
	})
}

// TestSocketPushBudgetSharedInRedis: with RATE_LIMIT_BACKEND=redis the
// push budget is one count per user across nodes: two servers on one
// database and one Redis, a socket of the same user on each, and the
// pushes of both add up (per node, each would have allowed the limit).
func TestSocketPushBudgetSharedInRedis(t *testing.T) {
	if c, err := net.DialTimeout("tcp", "127.0.0.1:6379", time.Second); err != nil {
		t.Skip("redis not reachable on 127.0.0.1:6379: shared push budget test skipped")
	} else {
		c.Close()
	}
	b := make([]byte, 6)
	_, _ = rand.Read(b)
	dir := t.TempDir()
	env := []string{"RATE_LIMIT_BACKEND=redis", "RATE_LIMIT_REDIS_URL=redis://127.0.0.1:6379/0",
		"RATE_LIMIT_REDIS_PREFIX=test-" + hex.EncodeToString(b) + ":", "RATE_LIMIT_WS_LIMIT=6", budgetWindow,
		// One database and one signing secret: a token of either node
		// works on both.
		"GAMEND_DATA_DIR=" + dir, "SQLITE_DATABASE_PATH=" + filepath.Join(dir, "shared.db")}
	n1 := newTestApp(t, "sqlite", env...)
	n2 := newTestApp(t, "sqlite", env...)
	id, tok := n1.deviceUser(t, "shared-budget")
	topic := "user:" + id
	var socks []*wsClient
	for _, base := range []string{n1.base, n2.base} {
		ws, _, err := dialSocket(t, base, tok, "", nil)
		if err != nil {
			t.Fatal(err)
		}
		if rep := ws.join(topic); rep["status"] != "ok" {
			t.Fatalf("join on %s: %v", base, rep)
		}
		socks = append(socks, ws)
	}
	pushUntilLimited(t, socks, topic, 4) // 2 joins + 4 pushes = 6
	if n1.socket.Stats().RateLimited+n2.socket.Stats().RateLimited != 1 {
		t.Fatalf("rate limited: node 1 %d, node 2 %d", n1.socket.Stats().RateLimited, n2.socket.Stats().RateLimited)
	}
}
