package rest_test

import (
	"context"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/gamend-go/gamend/persistence"
	"github.com/gamend-go/gamend/persistence/users"
	"github.com/gamend-go/gamend/transport/rest/resttest"
)

func TestUsers(t *testing.T) {
	resttest.Dialects(t, resttest.Options{MaxPageSize: 3}, func(t *testing.T, e *resttest.Env) {
		ctx := context.Background()
		e.CreateUser(t, resttest.UserSpec{New: users.New{Email: "admin@example.com", Username: "root-admin"}, Password: "admin-password"})
		alice := e.CreateUser(t, resttest.UserSpec{New: users.New{Email: "alice@example.com", Username: "alice", DisplayName: "Alice",
			Provider: "discord", ProviderID: "discord-secret-id", DeviceID: "alice-device"}, Password: "alice-password"})
		e.CreateUser(t, resttest.UserSpec{New: users.New{Username: "alfred", DisplayName: "Batman's butler"}})
		e.CreateUser(t, resttest.UserSpec{New: users.New{Username: "alina"}})
		e.CreateUser(t, resttest.UserSpec{New: users.New{Username: "albert", DisplayName: "ALbert"}})
		pct := e.CreateUser(t, resttest.UserSpec{New: users.New{Username: "pct-user", DisplayName: "100%real"}})
		e.CreateUser(t, resttest.UserSpec{New: users.New{Username: "pct-other", DisplayName: "100Xreal"}})
		lobby := persistence.NewID()
		now := persistence.Now()
		if _, err := e.DB.Exec(ctx, `INSERT INTO lobbies (id, title, inserted_at, updated_at) VALUES (?, 'room', ?, ?)`, lobby, now, now); err != nil {
			t.Fatal(err)
		}
		if _, err := e.DB.Exec(ctx, `UPDATE users SET lobby_id = ?, is_online = ? WHERE id = ?`, lobby, true, alice.ID); err != nil {
			t.Fatal(err)
		}
		private := append(append([]string{}, secretFragments...), "alice@example.com", "discord-secret-id", "alice-device", `"email"`, `"linked_providers"`, `"has_password"`)

		e.Run(t, []resttest.Scenario{
			{Name: "search: no q", Method: "GET", Path: "/api/v1/users", Status: 200,
				Want: []string{`{"data":[],"meta":{"page":1,"page_size":3,"count":0,"total_count":0,"total_pages":0,"has_more":false}}`}},
			{Name: "search: blank q", Method: "GET", Path: "/api/v1/users?q=%20%20", Status: 200, Want: []string{`"data":[]`, `"total_count":0`}},
			{Name: "search: prefix, first page", Method: "GET", Path: "/api/v1/users?q=AL", Status: 200,
				Want: []string{`"username":"albert"`, `"username":"alfred"`, `"username":"alice"`,
					`"meta":{"page":1,"page_size":3,"count":3,"total_count":4,"total_pages":2,"has_more":true}`},
				NotWant: append(private, `"username":"alina"`)},
			{Name: "search: second page", Method: "GET", Path: "/api/v1/users?q=al&page=2&page_size=3", Status: 200,
				Want: []string{`"username":"alina"`, `"meta":{"page":2,"page_size":3,"count":1,"total_count":4,"total_pages":2,"has_more":false}`}},
			{Name: "search: page size clamped", Method: "GET", Path: "/api/v1/users?q=al&page_size=1000", Status: 200, Want: []string{`"page_size":3`}},
			{Name: "search: bad paging falls back", Method: "GET", Path: "/api/v1/users?q=al&page=x&page_size=-4", Status: 200,
				Want: []string{`"page":1,"page_size":1,`}},
			{Name: "search: UserPublic shape", Method: "GET", Path: "/api/v1/users?q=alice", Status: 200,
				Want: []string{`"id":"` + alice.ID + `"`, `"display_name":"Alice"`, `"lobby_id":"` + lobby + `"`, `"party_id":""`, `"is_online":true`,
					`"is_activated":true`, `"profile_url":""`, `"metadata":{}`, `"last_seen_at":"1970-01-01T00:00:00Z"`},
				NotWant: private},
			{Name: "search: by display name", Method: "GET", Path: "/api/v1/users?q=batman", Status: 200, Want: []string{`"username":"alfred"`, `"total_count":1`}},
			{Name: "search: prefix only", Method: "GET", Path: "/api/v1/users?q=butler", Status: 200, Want: []string{`"total_count":0`}},
			{Name: "search: % is literal", Method: "GET", Path: "/api/v1/users?q=100%25", Status: 200,
				Want: []string{`"username":"pct-user"`, `"total_count":1`}, NotWant: []string{"pct-other"}},
			{Name: "search: _ is literal", Method: "GET", Path: "/api/v1/users?q=pct_", Status: 200, Want: []string{`"total_count":0`}},
			{Name: "search: e-mail is never searched", Method: "GET", Path: "/api/v1/users?q=alice%40example", Status: 200, Want: []string{`"total_count":0`}},
			{Name: "search: provider ids are never searched", Method: "GET", Path: "/api/v1/users?q=discord-secret", Status: 200, Want: []string{`"total_count":0`}},
			{Name: "search: by id", Method: "GET", Path: "/api/v1/users?q=" + pct.ID, Status: 200,
				Want: []string{`"data":[{"id":"` + pct.ID + `"`, `"total_count":1`}},
			{Name: "search: by upper-case id", Method: "GET", Path: "/api/v1/users?q=" + strings.ToUpper(pct.ID), Status: 200,
				Want: []string{`"id":"` + pct.ID + `"`, `"total_count":1`}},
			{Name: "search: unknown id", Method: "GET", Path: "/api/v1/users?q=" + persistence.NewID(), Status: 200, Want: []string{`"data":[]`}},

			{Name: "show", Method: "GET", Path: "/api/v1/users/" + alice.ID, Status: 200,
				Want:    []string{`{"id":"` + alice.ID + `"`, `"username":"alice"`, `"lobby_id":"` + lobby + `"`, `"party_id":""`},
				NotWant: append(private, `"data"`)},
			{Name: "show: upper-case id", Method: "GET", Path: "/api/v1/users/" + strings.ToUpper(alice.ID), Status: 200, Want: []string{`"username":"alice"`}},
			{Name: "show: not a uuid", Method: "GET", Path: "/api/v1/users/42", Status: 400, Want: []string{`{"error":"invalid_id"}`}},
			{Name: "show: unknown", Method: "GET", Path: "/api/v1/users/" + persistence.NewID(), Status: 404, Want: []string{`{"error":"not_found"}`}},
			{Name: "show: token ignored, bad token too", Method: "GET", Path: "/api/v1/users/" + alice.ID, Token: "garbage", Status: 200},
		})
	})
}

func TestUsersGate(t *testing.T) {
	var on atomic.Bool
	resttest.Dialects(t, resttest.Options{ListUsers: on.Load}, func(t *testing.T, e *resttest.Env) {
		u := e.CreateUser(t, resttest.UserSpec{New: users.New{Username: "gated"}})
		off := func(t *testing.T, e *resttest.Env) { on.Store(false) }
		e.Run(t, []resttest.Scenario{
			{Name: "search off", Method: "GET", Path: "/api/v1/users?q=ga", Before: off, Status: 404, ContentType: "text/plain", Want: []string{"Not Found"}, NotWant: []string{"{"}},
			{Name: "show off", Method: "GET", Path: "/api/v1/users/" + u.ID, Before: off, Status: 404, ContentType: "text/plain", Want: []string{"Not Found"}},
			{Name: "show off, bad id", Method: "GET", Path: "/api/v1/users/42", Before: off, Status: 404, ContentType: "text/plain"},
			{Name: "read per request: on", Method: "GET", Path: "/api/v1/users?q=ga", Before: func(*testing.T, *resttest.Env) { on.Store(true) },
				Status: 200, Want: []string{`"username":"gated"`}},
			{Name: "/me is not gated", Method: "GET", Path: "/api/v1/me", Before: off, Token: u.Token, Status: 200},
		})
	})
}
