package main

import (
	"context"
	"strings"
	"testing"

	"github.com/gamend-go/gamend/persistence"
)

// befriend stores an accepted friendship between a and b (the friends
// feature is not there yet; fixtures stand in for it).
func (ta *testApp) befriend(t *testing.T, a, b string) {
	t.Helper()
	now := persistence.Now()
	if _, err := ta.db.Exec(context.Background(), `INSERT INTO friendships (id, requester_id, target_id, status, inserted_at, updated_at)
		VALUES (?, ?, ?, 'accepted', ?, ?)`, persistence.NewID(), a, b, now, now); err != nil {
		t.Fatal(err)
	}
}

type scenario struct {
	name, method, path string
	token              string
	body               any
	status             int
	want, notWant      []string
	check              func(t *testing.T, r apiResponse)
}

func runScenarios(t *testing.T, base string, list []scenario) {
	t.Helper()
	for _, sc := range list {
		r, err := call(context.Background(), sc.method, base+sc.path, sc.token, sc.body)
		if err != nil {
			t.Fatalf("%s: %v", sc.name, err)
		}
		if r.Status != sc.status {
			t.Errorf("%s: status %d, want %d; body %s", sc.name, r.Status, sc.status, r.Raw)
			continue
		}
		for _, w := range sc.want {
			if !strings.Contains(r.Raw, w) {
				t.Errorf("%s: body %s lacks %s", sc.name, r.Raw, w)
			}
		}
		for _, w := range sc.notWant {
			if strings.Contains(r.Raw, w) {
				t.Errorf("%s: body %s must not contain %s", sc.name, r.Raw, w)
			}
		}
		if sc.check != nil {
			sc.check(t, r)
		}
	}
}

func TestNotificationsREST(t *testing.T) {
	forDialects(t, func(t *testing.T, dialect string) {
		ta := newTestApp(t, dialect, "LIMIT_MAX_NOTIFICATIONS_PER_USER=4")
		a, ta1 := ta.deviceUser(t, "notif-a") // first user: admin
		b, tb := ta.deviceUser(t, "notif-b")
		c, tc := ta.deviceUser(t, "notif-c")
		ta.befriend(t, a, b)
		ta.befriend(t, c, b)
		var firstID string
		runScenarios(t, ta.base, []scenario{
			{name: "no token", method: "GET", path: "/api/v1/notifications", status: 401, want: []string{`{"error":"Authentication required"}`}},
			{name: "empty list", method: "GET", path: "/api/v1/notifications", token: tb, status: 200,
				want: []string{`"data":[]`, `"total_pages":1`, `"total_count":0`, `"has_more":false`}},
			{name: "send", method: "POST", path: "/api/v1/notifications", token: ta1, status: 201,
				body:    map[string]any{"user_id": b, "title": "hello", "content": "v1", "metadata": map[string]any{"k": 1}},
				want:    []string{`"sender_id":"` + a, `"recipient_id":"` + b, `"title":"hello"`, `"content":"v1"`, `"metadata":{"k":1}`, `"inserted_at":"`, `"sender_name":""`},
				notWant: []string{`"read"`},
				check:   func(t *testing.T, r apiResponse) { firstID, _ = r.Body["id"].(string) }},
			{name: "resend upserts", method: "POST", path: "/api/v1/notifications", token: ta1, status: 201,
				body: map[string]any{"recipient_id": b, "title": "hello", "content": "v2"},
				check: func(t *testing.T, r apiResponse) {
					if r.Body["id"] != firstID || r.Body["content"] != "v2" {
						t.Errorf("upsert: %s (first id %s)", r.Raw, firstID)
					}
				}},
			{name: "not friends", method: "POST", path: "/api/v1/notifications", token: ta1, status: 400,
				body: map[string]any{"user_id": c, "title": "x"}, want: []string{`{"error":"not_friends"}`}},
			{name: "unknown recipient", method: "POST", path: "/api/v1/notifications", token: ta1, status: 400,
				body: map[string]any{"user_id": "not-a-uuid", "title": "x"}, want: []string{`not_friends`}},
			{name: "self", method: "POST", path: "/api/v1/notifications", token: ta1, status: 400,
				body: map[string]any{"user_id": a, "title": "x"}, want: []string{`{"error":"cannot_notify_self"}`}},
			{name: "missing recipient", method: "POST", path: "/api/v1/notifications", token: ta1, status: 400,
				body: map[string]any{"title": "x"}, want: []string{`{"error":"missing_recipient"}`}},
			{name: "blank title", method: "POST", path: "/api/v1/notifications", token: ta1, status: 422,
				body: map[string]any{"user_id": b, "title": " "}, want: []string{`"error":"validation_failed"`, `"title":["can't be blank"]`}},
			{name: "long title", method: "POST", path: "/api/v1/notifications", token: ta1, status: 422,
				body: map[string]any{"user_id": b, "title": strings.Repeat("t", 256)}, want: []string{`"title":["should be at most 255`}},
			{name: "unknown type", method: "POST", path: "/api/v1/notifications", token: ta1, status: 422,
				body: map[string]any{"user_id": b, "title": "x", "metadata": map[string]any{"type": "bogus"}}, want: []string{`"metadata":[`}},
			{name: "metadata not an object", method: "POST", path: "/api/v1/notifications", token: ta1, status: 422,
				body: map[string]any{"user_id": b, "title": "x", "metadata": "str"}, want: []string{`"metadata":[`}},
			{name: "metadata too large", method: "POST", path: "/api/v1/notifications", token: ta1, status: 422,
				body: map[string]any{"user_id": b, "title": "x", "metadata": map[string]any{"big": strings.Repeat("x", 17000)}}, want: []string{`is too large`}},
			{name: "registered type", method: "POST", path: "/api/v1/notifications", token: ta1, status: 201,
				body: map[string]any{"user_id": b, "title": "typed", "metadata": map[string]any{"type": "friend_request"}}},
			{name: "from c", method: "POST", path: "/api/v1/notifications", token: tc, status: 201,
				body: map[string]any{"user_id": b, "title": "from c"}},
		})
		runScenarios(t, ta.base, []scenario{
			{name: "list oldest first", method: "GET", path: "/api/v1/notifications?page_size=2", token: tb, status: 200,
				check: func(t *testing.T, r apiResponse) {
					data, _ := r.Body["data"].([]any)
					meta, _ := r.Body["meta"].(map[string]any)
					if len(data) != 2 || meta["total_count"] != float64(3) || meta["has_more"] != true {
						t.Fatalf("page: %s", r.Raw)
					}
					if data[0].(map[string]any)["id"] != firstID || data[0].(map[string]any)["content"] != "v2" {
						t.Errorf("order: %s", r.Raw)
					}
				}},
			{name: "mark read", method: "PUT", path: "/api/v1/notifications/" + firstID + "/read", token: tb, status: 200, want: []string{`{}`}},
			{name: "mark read unknown", method: "PUT", path: "/api/v1/notifications/" + persistence.NewID() + "/read", token: tb, status: 404},
			{name: "mark read not mine", method: "PUT", path: "/api/v1/notifications/" + firstID + "/read", token: ta1, status: 404},
			{name: "delete needs ids", method: "DELETE", path: "/api/v1/notifications", token: tb, body: map[string]any{"x": 1}, status: 400,
				want: []string{`{"error":"ids parameter required (array)"}`}},
			{name: "delete skips garbage and others'", method: "DELETE", path: "/api/v1/notifications", token: ta1,
				body: map[string]any{"ids": []any{firstID, "garbage", 5}}, status: 200, want: []string{`{"deleted":0}`}},
			{name: "delete mine", method: "DELETE", path: "/api/v1/notifications", token: tb,
				body: map[string]any{"ids": []any{firstID, "garbage"}}, status: 200, want: []string{`{"deleted":1}`}},
			{name: "admin list", method: "GET", path: "/api/v1/admin/notifications?user_id=" + b, token: ta1, status: 200, want: []string{`"total_count":2`}},
			{name: "admin forbidden", method: "GET", path: "/api/v1/admin/notifications", token: tb, status: 403, want: []string{`{"error":"forbidden"}`}},
			{name: "admin create needs sender", method: "POST", path: "/api/v1/admin/notifications", token: ta1, status: 400,
				body: map[string]any{"recipient_id": c, "title": "x"}, want: []string{`sender_id is required`}},
			{name: "admin create without friendship", method: "POST", path: "/api/v1/admin/notifications", token: ta1, status: 201,
				body: map[string]any{"sender_id": a, "recipient_id": c, "title": "system"}},
		})
		// The recipient limit: c holds 1, b holds 2; fill b to 4, then a new
		// title fails while an upsert of an existing one still works.
		runScenarios(t, ta.base, []scenario{
			{name: "third", method: "POST", path: "/api/v1/notifications", token: ta1, status: 201, body: map[string]any{"user_id": b, "title": "t3"}},
			{name: "fourth", method: "POST", path: "/api/v1/notifications", token: ta1, status: 201, body: map[string]any{"user_id": b, "title": "t4"}},
			{name: "over the limit", method: "POST", path: "/api/v1/notifications", token: ta1, status: 400,
				body: map[string]any{"user_id": b, "title": "t5"}, want: []string{`{"error":"too_many_notifications"}`}},
			{name: "upsert at the limit", method: "POST", path: "/api/v1/notifications", token: ta1, status: 201, body: map[string]any{"user_id": b, "title": "t4", "content": "again"}},
		})
	})
}
