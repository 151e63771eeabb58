package rest_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/gamend-go/gamend/auth"
	"github.com/gamend-go/gamend/persistence"
	"github.com/gamend-go/gamend/persistence/users"
	"github.com/gamend-go/gamend/transport/rest/resttest"
)

func TestAdminUsers(t *testing.T) {
	resttest.Dialects(t, resttest.Options{Auth: auth.Options{RequireActivation: true}, MaxPageSize: 50}, func(t *testing.T, e *resttest.Env) {
		admin := e.CreateUser(t, resttest.UserSpec{New: users.New{Email: "admin@example.com", Username: "root-admin"}, Password: "admin-password"})
		player := e.CreateUser(t, resttest.UserSpec{New: users.New{Email: "Player@Example.com", Username: "player-one", DeviceID: "player-device"}, Password: "player-password"})
		pending := e.CreateUser(t, resttest.UserSpec{New: users.New{Username: "pending-user", Provider: "steam", ProviderID: "7656119"}})
		victim := e.CreateUser(t, resttest.UserSpec{New: users.New{Username: "victim"}})
		if !admin.Row.IsAdmin || pending.Row.IsActivated {
			t.Fatal("fixtures: first user must be admin, later ones inactive")
		}
		forbidden := []string{`{"error":"forbidden"}`}
		unknown := persistence.NewID()
		u := "/api/v1/admin/users/"

		e.Run(t, []resttest.Scenario{
			// Access control.
			{Name: "no token", Method: "GET", Path: "/api/v1/admin/users", Status: 401, Want: []string{`{"error":"Authentication required"}`}},
			{Name: "list: non-admin", Method: "GET", Path: "/api/v1/admin/users", Token: player.Token, Status: 403, Want: forbidden},
			{Name: "get: non-admin", Method: "GET", Path: u + player.ID, Token: player.Token, Status: 403, Want: forbidden},
			{Name: "patch: non-admin", Method: "PATCH", Path: u + player.ID, Token: player.Token, Body: `{"is_admin":true}`, Status: 403, Want: forbidden, Events: map[string]int{}},
			{Name: "delete: non-admin", Method: "DELETE", Path: u + admin.ID, Token: player.Token, Status: 403, Want: forbidden, Events: map[string]int{}},
			{Name: "revoke: non-admin", Method: "POST", Path: u + admin.ID + "/revoke_tokens", Token: player.Token, Status: 403, Want: forbidden},
			{Name: "user sessions: non-admin", Method: "DELETE", Path: u + admin.ID + "/sessions", Token: player.Token, Status: 403, Want: forbidden},
			{Name: "sessions: non-admin", Method: "GET", Path: "/api/v1/admin/sessions", Token: player.Token, Status: 403, Want: forbidden},
			{Name: "session delete: non-admin", Method: "DELETE", Path: "/api/v1/admin/sessions/" + unknown, Token: player.Token, Status: 403, Want: forbidden},

			// List and search.
			{Name: "list: newest first", Method: "GET", Path: "/api/v1/admin/users", Token: admin.Token, Status: 200,
				Want: []string{`"data":[{"id":"` + victim.ID + `"`, `"total_count":4`, `"email":"Player@Example.com"`, `"is_admin":true`, `"is_activated":false`,
					`"inserted_at":"`, `"updated_at":"`, `"lobby_id":""`, `"party_id":""`, `"last_seen_at":"1970-01-01T00:00:00Z"`},
				NotWant: append(append([]string{}, secretFragments...), "player-device", "7656119", `"has_password"`)},
			{Name: "list: page", Method: "GET", Path: "/api/v1/admin/users?page=2&page_size=3", Token: admin.Token, Status: 200,
				Want: []string{`"data":[{"id":"` + admin.ID + `"`, `"meta":{"page":2,"page_size":3,"count":1,"total_count":4,"total_pages":2,"has_more":false}`}},
			{Name: "search: e-mail substring", Method: "GET", Path: "/api/v1/admin/users?q=PLAYER%40example", Token: admin.Token, Status: 200,
				Want: []string{`"id":"` + player.ID + `"`, `"total_count":1`}},
			{Name: "search: provider id", Method: "GET", Path: "/api/v1/admin/users?q=765611", Token: admin.Token, Status: 200,
				Want: []string{`"id":"` + pending.ID + `"`, `"total_count":1`}},
			{Name: "search: device id", Method: "GET", Path: "/api/v1/admin/users?q=er-dev", Token: admin.Token, Status: 200, Want: []string{`"total_count":1`}},
			{Name: "search: id", Method: "GET", Path: "/api/v1/admin/users?q=" + victim.ID, Token: admin.Token, Status: 200,
				Want: []string{`"id":"` + victim.ID + `"`, `"total_count":1`}},
			{Name: "search: wildcard is literal", Method: "GET", Path: "/api/v1/admin/users?q=%25", Token: admin.Token, Status: 200, Want: []string{`"total_count":0`}},
			{Name: "get", Method: "GET", Path: u + player.ID, Token: admin.Token, Status: 200, Want: []string{`{"data":{"id":"` + player.ID + `"`}},
			{Name: "get: unknown", Method: "GET", Path: u + unknown, Token: admin.Token, Status: 404, Want: []string{`{"error":"not_found"}`}},
			{Name: "get: not a uuid", Method: "GET", Path: u + "42", Token: admin.Token, Status: 404, Want: []string{`{"error":"not_found"}`}},

			// PATCH /admin/users/:id
			{Name: "patch: activate", Method: "PATCH", Path: u + pending.ID, Token: admin.Token, Body: `{"is_activated":true}`, Status: 200,
				Want: []string{`{"data":{"id":"` + pending.ID + `"`, `"is_activated":true`}, Events: map[string]int{"updated": 1, "activated": 1}},
			{Name: "patch: activate again is not an activation", Method: "PATCH", Path: u + pending.ID, Token: admin.Token, Body: `{"is_activated":true}`, Status: 200,
				Events: map[string]int{"updated": 1}},
			{Name: "patch: promote + metadata + name", Method: "PATCH", Path: u + player.ID, Token: admin.Token,
				Body: map[string]any{"is_admin": true, "display_name": "Champion", "metadata": map[string]any{"hat": "crown", "level": 9}}, Status: 200,
				Want: []string{`"is_admin":true`, `"display_name":"Champion"`, `"metadata":{"hat":"crown","level":9}`}, Events: map[string]int{"updated": 1}},
			{Name: "patch: metadata replaces the map", Method: "PATCH", Path: u + player.ID, Token: admin.Token, Body: `{"metadata":{"color":"blue"}}`, Status: 200,
				Want: []string{`"metadata":{"color":"blue"}`}, NotWant: []string{"crown"}},
			{Name: "patch: absent fields stay", Method: "PATCH", Path: u + player.ID, Token: admin.Token, Body: `{}`, Status: 200,
				Want: []string{`"is_admin":true`, `"display_name":"Champion"`, `"metadata":{"color":"blue"}`}, Events: map[string]int{}},
			{Name: "patch: no body", Method: "PATCH", Path: u + player.ID, Token: admin.Token, Status: 200, Want: []string{`"display_name":"Champion"`}},
			{Name: "patch: promoted player may use admin routes", Method: "GET", Path: "/api/v1/admin/sessions", Token: player.Token, Status: 200},
			{Name: "patch: demote", Method: "PATCH", Path: u + player.ID, Token: admin.Token, Body: `{"is_admin":false}`, Status: 200, Want: []string{`"is_admin":false`}},
			{Name: "patch: demoted player is refused", Method: "GET", Path: "/api/v1/admin/sessions", Token: player.Token, Status: 403, Want: forbidden},
			{Name: "patch: display name too long", Method: "PATCH", Path: u + player.ID, Token: admin.Token,
				Body: map[string]string{"display_name": strings.Repeat("x", 81)}, Status: 422,
				Want: []string{`{"error":"validation_failed","errors":{"display_name":["should be at most 80 character(s)"]}}`}, Events: map[string]int{}},
			{Name: "patch: metadata too large", Method: "PATCH", Path: u + player.ID, Token: admin.Token,
				Body: map[string]any{"metadata": map[string]string{"k": strings.Repeat("x", 16400)}}, Status: 422,
				Want: []string{`{"error":"validation_failed","errors":{"metadata":["is too large (max 16384 bytes)"]}}`}},
			{Name: "patch: wrong type", Method: "PATCH", Path: u + player.ID, Token: admin.Token, Body: `{"is_admin":"yes"}`, Status: 422,
				Want: []string{`"error":"validation_failed"`, `"is_admin":[`}},
			{Name: "patch: metadata not an object", Method: "PATCH", Path: u + player.ID, Token: admin.Token, Body: `{"metadata":[1]}`, Status: 422,
				Want: []string{`"error":"validation_failed"`, `"metadata":[`}},
			{Name: "patch: unknown user", Method: "PATCH", Path: u + unknown, Token: admin.Token, Body: `{"is_admin":true}`, Status: 404, Want: []string{`{"error":"not_found"}`}},
			{Name: "patch: not a uuid", Method: "PATCH", Path: u + "nope", Token: admin.Token, Body: `{"is_admin":true}`, Status: 404, Want: []string{`{"error":"not_found"}`}},
			{Name: "patch: unchanged after failures", Method: "GET", Path: u + player.ID, Token: admin.Token, Status: 200,
				Want: []string{`"is_admin":false`, `"display_name":"Champion"`, `"metadata":{"color":"blue"}`}},

			// Revoke all tokens (Gamend-Go addition).
			{Name: "revoke tokens", Method: "POST", Path: u + victim.ID + "/revoke_tokens", Token: admin.Token, Status: 200, Want: []string{`{}`}},
			{Name: "revoked token fails", Method: "GET", Path: "/api/v1/me", Token: victim.Token, Status: 401, Want: []string{`{"error":"Failed."}`}},
			{Name: "revoked refresh fails", Method: "POST", Path: "/api/v1/refresh", Body: map[string]string{"refresh_token": victim.RefreshToken}, Status: 401,
				Want: []string{`{"error":"Invalid refresh token"}`}},
			{Name: "new tokens work", Method: "GET", Path: "/api/v1/me", TokenFunc: func() string { return e.SignIn(t, victim.ID).Token }, Status: 200},
			{Name: "revoke: unknown", Method: "POST", Path: u + unknown + "/revoke_tokens", Token: admin.Token, Status: 404, Want: []string{`{"error":"not_found"}`}},
			{Name: "revoke: not a uuid", Method: "POST", Path: u + "x/revoke_tokens", Token: admin.Token, Status: 404},

			// DELETE /admin/users/:id
			{Name: "delete", Method: "DELETE", Path: u + victim.ID, Token: admin.Token, Status: 200, Want: []string{`{}`}, Events: map[string]int{"deleted": 1}},
			{Name: "delete: again", Method: "DELETE", Path: u + victim.ID, Token: admin.Token, Status: 404, Want: []string{`{"error":"not_found"}`}, Events: map[string]int{}},
			{Name: "delete: not a uuid", Method: "DELETE", Path: u + "1", Token: admin.Token, Status: 404, Want: []string{`{"error":"not_found"}`}},
			{Name: "delete: gone from the list", Method: "GET", Path: "/api/v1/admin/users", Token: admin.Token, Status: 200,
				Want: []string{`"total_count":3`}, NotWant: []string{victim.ID}},
		})
	})
}

func TestAdminSessions(t *testing.T) {
	resttest.Dialects(t, resttest.Options{}, func(t *testing.T, e *resttest.Env) {
		ctx := context.Background()
		admin := e.CreateUser(t, resttest.UserSpec{New: users.New{Email: "admin@example.com", Username: "root-admin"}, Password: "admin-password"})
		player := e.CreateUser(t, resttest.UserSpec{New: users.New{Username: "player", DisplayName: "Player"}})
		base := time.Date(2026, 1, 15, 10, 0, 0, 0, time.UTC)
		insert := func(userID, context string, at time.Time, authAt *time.Time) string {
			id := persistence.NewID()
			if _, err := e.DB.Exec(ctx, `INSERT INTO users_tokens (id, user_id, token, context, authenticated_at, inserted_at) VALUES (?, ?, ?, ?, ?, ?)`,
				id, userID, []byte("raw-token-bytes-"+id), context, authAt, at); err != nil {
				t.Fatal(err)
			}
			return id
		}
		authAt := base.Add(30 * time.Second)
		oldest := insert(admin.ID, "session", base, &authAt)
		newest := insert(player.ID, "session", base.Add(2*time.Hour), nil)
		second := insert(player.ID, "session", base.Add(time.Hour), nil)
		magic := insert(player.ID, "login", base.Add(3*time.Hour), nil)
		sessions := "/api/v1/admin/sessions"

		e.Run(t, []resttest.Scenario{
			{Name: "list: newest first, sessions only", Method: "GET", Path: sessions, Token: admin.Token, Status: 200,
				Want: []string{`"data":[{"id":"` + newest + `"`, `"total_count":3`,
					`{"id":"` + newest + `","user_id":"` + player.ID + `","username":"player","display_name":"Player","user_email":"","context":"session","inserted_at":"2026-01-15T12:00:00Z","authenticated_at":null}`,
					`{"id":"` + oldest + `","user_id":"` + admin.ID + `","username":"root-admin","display_name":"","user_email":"admin@example.com","context":"session","inserted_at":"2026-01-15T10:00:00Z","authenticated_at":"2026-01-15T10:00:30Z"}`},
				NotWant: []string{magic, "raw-token-bytes", `"token"`}},
			{Name: "list: paginated", Method: "GET", Path: sessions + "?page=2&page_size=2", Token: admin.Token, Status: 200,
				Want: []string{`"data":[{"id":"` + oldest + `"`, `"meta":{"page":2,"page_size":2,"count":1,"total_count":3,"total_pages":2,"has_more":false}`}},
			{Name: "delete one", Method: "DELETE", Path: sessions + "/" + second, Token: admin.Token, Status: 200, Want: []string{`{}`}},
			{Name: "delete one: again", Method: "DELETE", Path: sessions + "/" + second, Token: admin.Token, Status: 404, Want: []string{`{"error":"not_found"}`}},
			{Name: "delete one: not a session", Method: "DELETE", Path: sessions + "/" + magic, Token: admin.Token, Status: 404, Want: []string{`{"error":"not_found"}`}},
			{Name: "delete one: not a uuid", Method: "DELETE", Path: sessions + "/abc", Token: admin.Token, Status: 404, Want: []string{`{"error":"not_found"}`}},
			{Name: "delete a user's sessions", Method: "DELETE", Path: "/api/v1/admin/users/" + player.ID + "/sessions", Token: admin.Token, Status: 200, Want: []string{`{}`}},
			{Name: "only the admin's session is left", Method: "GET", Path: sessions, Token: admin.Token, Status: 200,
				Want: []string{`"total_count":1`, oldest}, NotWant: []string{newest}},
			{Name: "JWTs stay valid", Method: "GET", Path: "/api/v1/me", Token: player.Token, Status: 200},
			{Name: "delete a user's sessions: idempotent", Method: "DELETE", Path: "/api/v1/admin/users/" + player.ID + "/sessions", Token: admin.Token, Status: 200},
			{Name: "delete a user's sessions: unknown user", Method: "DELETE", Path: "/api/v1/admin/users/" + persistence.NewID() + "/sessions", Token: admin.Token, Status: 200},
			{Name: "delete a user's sessions: not a uuid", Method: "DELETE", Path: "/api/v1/admin/users/zz/sessions", Token: admin.Token, Status: 200},
		})
		var n int
		if err := e.DB.QueryRow(ctx, `SELECT count(*) FROM users_tokens WHERE id = ?`, magic).Scan(&n); err != nil || n != 1 {
			t.Fatalf("the magic-link token was touched: %d %v", n, err)
		}
	})
}
