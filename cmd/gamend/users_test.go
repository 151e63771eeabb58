package main

import (
	"context"
	"strings"
	"testing"
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
