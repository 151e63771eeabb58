package main

import (
	"context"
	"errors"
	"io"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	authmail "github.com/gamend-go/gamend/auth/mail"
	"github.com/gamend-go/gamend/persistence"
	"github.com/gamend-go/gamend/persistence/users"
)

// TestUsersWiring runs the /me, /users and admin user routes on the whole
// in-process server, as cmd/gamend wires them (config limits, auth and the
// profile service sharing the store).
func TestUsersWiring(t *testing.T) {
	forDialects(t, func(t *testing.T, dialect string) {
		ta := newTestApp(t, dialect, "LIMIT_MAX_DISPLAY_NAME=5")
		_, adminToken := ta.deviceUser(t, "wiring-admin")
		me, token := ta.deviceUser(t, "wiring-player")
		runScenarios(t, ta.base, []scenario{
			{name: "me", method: "GET", path: "/api/v1/me", token: token, status: 200,
				want: []string{`"id":"` + me + `"`, `"email":""`, `"device":true`, `"has_password":false`}},
			{name: "display name limit from config", method: "PATCH", path: "/api/v1/me/display_name", token: token, body: map[string]string{"display_name": "toolong"},
				status: 400, want: []string{`{"error":"invalid_data","errors":{"display_name":["should be at most 5 character(s)"]}}`}},
			{name: "display name", method: "PATCH", path: "/api/v1/me/display_name", token: token, body: map[string]string{"display_name": "Rex"},
				status: 200, want: []string{`"display_name":"Rex"`}},
			{name: "search", method: "GET", path: "/api/v1/users?q=re", status: 200, want: []string{`"id":"` + me + `"`, `"total_count":1`}},
			{name: "password (through auth)", method: "PATCH", path: "/api/v1/me/password", token: token, body: map[string]string{"password": "wiring-password"}, status: 200},
			{name: "old token revoked", method: "GET", path: "/api/v1/me", token: token, status: 401, want: []string{`{"error":"Failed."}`}},
			{name: "admin list", method: "GET", path: "/api/v1/admin/users", token: adminToken, status: 200, want: []string{`"total_count":2`}},
			{name: "admin delete", method: "DELETE", path: "/api/v1/admin/users/" + me, token: adminToken, status: 200, want: []string{`{}`}},
			{name: "deleted", method: "GET", path: "/api/v1/users/" + me, status: 404, want: []string{`{"error":"not_found"}`}},
		})
	})
}

func TestUsersGateFromConfig(t *testing.T) {
	ta := newTestApp(t, "sqlite", "LIST_USERS_ENABLED=no")
	for _, path := range []string{"/api/v1/users?q=a", "/api/v1/users/0198c0de-0002-7000-8000-000000000002"} {
		r, err := call(context.Background(), "GET", ta.base+path, "", nil)
		if err != nil || r.Status != 404 || strings.TrimSpace(r.Raw) != "Not Found" {
			t.Fatalf("%s: %v %d %q", path, err, r.Status, r.Raw)
		}
	}
}

var mailRowRE = regexp.MustCompile(`<td>([^<]+)</td><td><a href="/dev/mailbox/(\d+)">([^<]+)</a>`)

// mailboxMessage waits (up to 5 s: mail is handed over in the background)
// for an e-mail to `to` with subject on the development mailbox page and
// returns the message page.
func (ta *testApp) mailboxMessage(t *testing.T, to, subject string) string {
	t.Helper()
	get := func(path string) string {
		res, err := http.Get(ta.base + path)
		if err != nil {
			t.Fatal(err)
		}
		defer res.Body.Close()
		b, _ := io.ReadAll(res.Body)
		if res.StatusCode != 200 {
			t.Fatalf("GET %s: %d %s", path, res.StatusCode, b)
		}
		return string(b)
	}
	deadline := time.Now().Add(5 * time.Second)
	for {
		list := get("/dev/mailbox")
		for _, m := range mailRowRE.FindAllStringSubmatch(list, -1) {
			if m[1] == to && m[3] == subject {
				return get("/dev/mailbox/" + m[2])
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("no mail %q to %s in the mailbox:\n%s", subject, to, list)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// mailCount counts the e-mails to `to` with subject on the mailbox page,
// once the mail queue has delivered what was queued so far.
func (ta *testApp) mailCount(t *testing.T, to, subject string) int {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := ta.mail.Flush(ctx); err != nil {
		t.Fatalf("mail queue not drained: %v", err)
	}
	r, err := call(context.Background(), "GET", ta.base+"/dev/mailbox", "", nil)
	if err != nil || r.Status != 200 {
		t.Fatalf("mailbox: %v %d", err, r.Status)
	}
	n := 0
	for _, m := range mailRowRE.FindAllStringSubmatch(r.Raw, -1) {
		if m[1] == to && m[3] == subject {
			n++
		}
	}
	return n
}

// TestActivationMail: with REQUIRE_ACCOUNT_ACTIVATION, an administrator
// activating an account through PATCH /api/v1/admin/users/:id e-mails its
// owner (API.md §4.15); without SMTP the mail is in /dev/mailbox. Accounts
// without an e-mail address get none.
func TestActivationMail(t *testing.T) {
	forDialects(t, func(t *testing.T, dialect string) {
		ta := newTestApp(t, dialect, "REQUIRE_ACCOUNT_ACTIVATION=true")
		ctx := context.Background()
		_, adminToken := ta.deviceUser(t, "activation-admin") // the first account: an active admin
		pending := "pending@example.com"
		r, err := call(ctx, "POST", ta.base+"/api/v1/register", "", map[string]string{"email": pending, "password": "pending-password"})
		if err != nil || r.Status != 403 || r.Body["error"] != "account_not_activated" {
			t.Fatalf("register: %v %d %s", err, r.Status, r.Raw)
		}
		r, err = call(ctx, "POST", ta.base+"/api/v1/login/device", "", map[string]string{"device_id": "pending-device"})
		if err != nil || r.Status != 403 {
			t.Fatalf("device sign-up: %v %d %s", err, r.Status, r.Raw)
		}
		idOf := func(q string) string {
			r, err := call(ctx, "GET", ta.base+"/api/v1/admin/users?q="+url.QueryEscape(q), adminToken, nil)
			data, _ := r.Body["data"].([]any)
			if err != nil || r.Status != 200 || len(data) != 1 {
				t.Fatalf("admin search %s: %v %d %s", q, err, r.Status, r.Raw)
			}
			return data[0].(map[string]any)["id"].(string)
		}
		pendingID, deviceID := idOf(pending), idOf("pending-device")
		if n := ta.mailCount(t, pending, "Your account is active"); n != 0 {
			t.Fatalf("%d activation mails before the activation", n)
		}

		runScenarios(t, ta.base, []scenario{
			{name: "activate the device account", method: "PATCH", path: "/api/v1/admin/users/" + deviceID, token: adminToken,
				body: map[string]bool{"is_activated": true}, status: 200, want: []string{`"is_activated":true`}},
			{name: "activate the e-mail account", method: "PATCH", path: "/api/v1/admin/users/" + pendingID, token: adminToken,
				body: map[string]bool{"is_activated": true}, status: 200, want: []string{`"is_activated":true`, `"email":"` + pending + `"`}},
		})
		msg := ta.mailboxMessage(t, pending, "Your account is active")
		if !strings.Contains(msg, "An administrator activated your account") || !strings.Contains(msg, "/users/log-in") {
			t.Fatalf("activation mail:\n%s", msg)
		}
		runScenarios(t, ta.base, []scenario{
			{name: "the activated account logs in", method: "POST", path: "/api/v1/login", body: map[string]string{"email": pending, "password": "pending-password"},
				status: 200, want: []string{`"user_id":"` + pendingID + `"`}},
			{name: "the device account logs in", method: "POST", path: "/api/v1/login/device", body: map[string]string{"device_id": "pending-device"},
				status: 200, want: []string{`"user_id":"` + deviceID + `"`}},
		})
		if n := ta.mailCount(t, pending, "Your account is active"); n != 1 {
			t.Fatalf("%d activation mails, want 1", n)
		}
		// Every mail of the mailbox went to an address: the device account
		// (no e-mail) got none.
		for _, m := range mailRowRE.FindAllStringSubmatch(mustGet(t, ta.base+"/dev/mailbox"), -1) {
			if m[3] == "Your account is active" && m[1] != pending {
				t.Fatalf("activation mail to %q", m[1])
			}
		}
	})
}

func mustGet(t *testing.T, u string) string {
	t.Helper()
	r, err := call(context.Background(), "GET", u, "", nil)
	if err != nil || r.Status != 200 {
		t.Fatalf("GET %s: %v %d", u, err, r.Status)
	}
	return r.Raw
}

// TestDeviceLoginDisabledByConfig: DEVICE_AUTH_ENABLED=false refuses
// device sign-in with the §4.2 body and creates no account.
func TestDeviceLoginDisabledByConfig(t *testing.T) {
	ta := newTestApp(t, "sqlite", "DEVICE_AUTH_ENABLED=false")
	runScenarios(t, ta.base, []scenario{
		{name: "device login", method: "POST", path: "/api/v1/login/device", body: map[string]string{"device_id": "some-device"},
			status: 403, want: []string{`{"error":"device-based authentication is disabled"}`}},
	})
	var n int
	if err := ta.db.QueryRow(context.Background(), `SELECT count(*) FROM users`).Scan(&n); err != nil || n != 0 {
		t.Fatalf("%d accounts (%v)", n, err)
	}
}

// TestDeleteMeRemovesFriendDMs: DELETE /me deletes, in the deleting
// transaction, every friend DM the user sent or received and other users'
// read cursors on conversations with the user (API.md §4.3); other
// conversations stay. A deletion that fails later in the transaction
// leaves everything in place.
func TestDeleteMeRemovesFriendDMs(t *testing.T) {
	forDialects(t, func(t *testing.T, dialect string) {
		ta := newTestApp(t, dialect)
		ctx := context.Background()
		ta.deviceUser(t, "dm-admin")
		gone, goneToken := ta.deviceUser(t, "dm-gone")
		friend, _ := ta.deviceUser(t, "dm-friend")
		bystander, _ := ta.deviceUser(t, "dm-bystander")
		keeper, keeperToken := ta.deviceUser(t, "dm-keeper")
		group := persistence.NewID()

		msg := func(sender, chatType, ref, content string) string {
			t.Helper()
			id, now := persistence.NewID(), persistence.Now()
			if _, err := ta.db.Exec(ctx, `INSERT INTO chat_messages (id, content, metadata, sender_id, chat_type, chat_ref_id, inserted_at, updated_at)
				VALUES (?, ?, '{}', ?, ?, ?, ?, ?)`, id, content, sender, chatType, ref, now, now); err != nil {
				t.Fatal(err)
			}
			return id
		}
		cursor := func(user, chatType, ref, last string) string {
			t.Helper()
			id, now := persistence.NewID(), persistence.Now()
			if _, err := ta.db.Exec(ctx, `INSERT INTO chat_read_cursors (id, user_id, chat_type, chat_ref_id, last_read_message_id, inserted_at, updated_at)
				VALUES (?, ?, ?, ?, ?, ?, ?)`, id, user, chatType, ref, last, now, now); err != nil {
				t.Fatal(err)
			}
			return id
		}
		exists := func(table, id string) bool {
			t.Helper()
			var n int
			if err := ta.db.QueryRow(ctx, `SELECT count(*) FROM `+table+` WHERE id = ?`, id).Scan(&n); err != nil {
				t.Fatal(err)
			}
			return n == 1
		}

		sent := msg(gone, "friend", friend, "to my friend")
		received := msg(friend, "friend", gone, "to the leaving user")
		otherDM := msg(friend, "friend", bystander, "between the others")
		groupMsg := msg(friend, "group", group, "in a group")
		goneGroupMsg := msg(gone, "group", group, "the leaving user in a group")
		friendCursor := cursor(friend, "friend", gone, received)
		otherCursor := cursor(friend, "friend", bystander, otherDM)
		groupCursor := cursor(friend, "group", group, groupMsg)
		keeperSent := msg(keeper, "friend", friend, "from the keeper")
		keeperReceived := msg(friend, "friend", keeper, "to the keeper")

		// A clean-up step after ours fails for the keeper: nothing of the
		// keeper's deletion is written.
		ta.users.DeleteInTx(func(_ context.Context, _ *persistence.Tx, u *users.Row) error {
			if u.ID == keeper {
				return errors.New("refused in the transaction")
			}
			return nil
		})

		runScenarios(t, ta.base, []scenario{
			{name: "delete", method: "DELETE", path: "/api/v1/me", token: goneToken, status: 200, want: []string{`{}`}},
			{name: "gone", method: "GET", path: "/api/v1/users/" + gone, status: 404},
			{name: "failing delete", method: "DELETE", path: "/api/v1/me", token: keeperToken, status: 400, want: []string{`{"error":"Failed to delete account"}`}},
			{name: "the keeper stays", method: "GET", path: "/api/v1/me", token: keeperToken, status: 200},
		})
		for _, c := range []struct {
			table, id, what string
			want            bool
		}{
			{"chat_messages", sent, "DM the user sent", false},
			{"chat_messages", received, "DM the user received", false},
			{"chat_read_cursors", friendCursor, "friend's cursor on the DM with the user", false},
			{"chat_messages", goneGroupMsg, "the user's group message (cascade)", false},
			{"chat_messages", otherDM, "DM between others", true},
			{"chat_messages", groupMsg, "group message", true},
			{"chat_read_cursors", otherCursor, "cursor on another DM", true},
			{"chat_read_cursors", groupCursor, "group cursor", true},
			{"chat_messages", keeperSent, "DM of a failed deletion (sent)", true},
			{"chat_messages", keeperReceived, "DM of a failed deletion (received)", true},
		} {
			if got := exists(c.table, c.id); got != c.want {
				t.Errorf("%s: present %v, want %v", c.what, got, c.want)
			}
		}
	})
}

// TestMailQueueLifecycle: the server's e-mails go through its mail queue
// (a.mail), which shutdown stops: afterwards it takes no more mail.
func TestMailQueueLifecycle(t *testing.T) {
	forDialects(t, func(t *testing.T, dialect string) {
		var ta *testApp
		t.Cleanup(func() { // runs after the app's own cleanup (shutdown)
			if err := ta.mail.Send(context.Background(), authmail.Message{To: "late@example.com"}); !errors.Is(err, authmail.ErrQueueClosed) {
				t.Errorf("send after shutdown: %v, want ErrQueueClosed", err)
			}
		})
		ta = newTestApp(t, dialect)
		const email = "queued@example.com"
		r, err := call(context.Background(), "POST", ta.base+"/api/v1/register", "", map[string]string{"email": email, "password": "queued-password"})
		if err != nil || r.Status != 201 {
			t.Fatalf("register: %v %d %s", err, r.Status, r.Raw)
		}
		if n := ta.mailCount(t, email, "Confirm your account"); n != 1 {
			t.Fatalf("%d confirmation mails", n)
		}
		if st := ta.mail.Stats(); st.Sent != 1 || st.Queued != 1 || st.Pending != 0 {
			t.Fatalf("mail queue stats %+v", st)
		}
	})
}
