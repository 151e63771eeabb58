package rest_test

import (
	"context"
	"errors"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"

	"github.com/gamend-go/gamend/auth"
	"github.com/gamend-go/gamend/persistence/persistencetest"
	"github.com/gamend-go/gamend/persistence/users"
	"github.com/gamend-go/gamend/transport/rest/resttest"
)

// Fragments no user-facing body may ever contain.
var secretFragments = []string{"hashed_password", "$2a$", "token_version", "discord_id", "google_id", "device_id\":\""}

var contractTime = regexp.MustCompile(`^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$`)

func TestMe(t *testing.T) {
	resttest.Dialects(t, resttest.Options{}, func(t *testing.T, e *resttest.Env) {
		e.CreateUser(t, resttest.UserSpec{New: users.New{Email: "admin@example.com", Username: "the-admin"}, Password: "admin-password"})
		dev := e.CreateUser(t, resttest.UserSpec{New: users.New{DeviceID: "device-123"}})
		pw := e.CreateUser(t, resttest.UserSpec{New: users.New{Email: "pw@example.com"}, Password: "old-password"})
		seen := time.Date(2026, 1, 15, 10, 30, 0, 123456000, time.UTC)
		if _, err := e.DB.Exec(context.Background(), `UPDATE users SET last_seen_at = ? WHERE id = ?`, seen, pw.ID); err != nil {
			t.Fatal(err)
		}
		self := func(u *resttest.User) []string { return []string{`"id":"` + u.ID + `"`} }

		e.Run(t, []resttest.Scenario{
			{Name: "get: no token", Method: "GET", Path: "/api/v1/me", Status: 401, Want: []string{`{"error":"Authentication required"}`}},
			{Name: "get: device user", Method: "GET", Path: "/api/v1/me", Token: dev.Token, Status: 200,
				Want: append(self(dev), `"email":""`, `"lobby_id":""`, `"party_id":""`, `"is_online":false`, `"metadata":{}`,
					`"last_seen_at":"1970-01-01T00:00:00Z"`, `"has_password":false`, `"profile_url":""`, `"display_name":""`,
					`"linked_providers":{"google":false,"facebook":false,"discord":false,"apple":false,"steam":false,"device":true}`),
				NotWant: append(secretFragments, "device-123", `"is_admin"`, `"inserted_at"`)},
			{Name: "get: password user", Method: "GET", Path: "/api/v1/me", Token: pw.Token, Status: 200,
				Want:    append(self(pw), `"email":"pw@example.com"`, `"has_password":true`, `"last_seen_at":"2026-01-15T10:30:00Z"`, `"device":false`),
				NotWant: secretFragments},

			// PATCH /me/display_name
			{Name: "display_name: key missing", Method: "PATCH", Path: "/api/v1/me/display_name", Token: dev.Token, Body: `{}`, Status: 400, Events: map[string]int{}},
			{Name: "display_name: no body", Method: "PATCH", Path: "/api/v1/me/display_name", Token: dev.Token, Status: 400},
			{Name: "display_name: wrong type", Method: "PATCH", Path: "/api/v1/me/display_name", Token: dev.Token, Body: `{"display_name":5}`, Status: 400,
				Want: []string{`{"error":"invalid_data","errors":{"display_name":["is invalid"]}}`}},
			{Name: "display_name: too long", Method: "PATCH", Path: "/api/v1/me/display_name", Token: dev.Token,
				Body: map[string]string{"display_name": strings.Repeat("é", 81)}, Status: 400,
				Want: []string{`{"error":"invalid_data","errors":{"display_name":["should be at most 80 character(s)"]}}`}, Events: map[string]int{}},
			{Name: "display_name: max length", Method: "PATCH", Path: "/api/v1/me/display_name", Token: dev.Token,
				Body: map[string]string{"display_name": strings.Repeat("é", 80)}, Status: 200, Events: map[string]int{"updated": 1}},
			{Name: "display_name: stored as given", Method: "PATCH", Path: "/api/v1/me/display_name", Token: dev.Token,
				Body: map[string]string{"display_name": "  Sheep Lord  "}, Status: 200,
				Want: []string{`{"ok":true,"id":"` + dev.ID + `","display_name":"  Sheep Lord  "}`}, Events: map[string]int{"updated": 1}},
			{Name: "display_name: shows in /me", Method: "GET", Path: "/api/v1/me", Token: dev.Token, Status: 200, Want: []string{`"display_name":"  Sheep Lord  "`}},
			{Name: "display_name: empty allowed", Method: "PATCH", Path: "/api/v1/me/display_name", Token: dev.Token,
				Body: `{"display_name":""}`, Status: 200, Want: []string{`"display_name":""`}},
			{Name: "display_name: null reads as empty", Method: "PATCH", Path: "/api/v1/me/display_name", Token: dev.Token,
				Body: `{"display_name":null}`, Status: 200, Want: []string{`"display_name":""`}},

			// PATCH /me/username
			{Name: "username: lower-cased", Method: "PATCH", Path: "/api/v1/me/username", Token: dev.Token,
				Body: map[string]string{"username": "Sheep_Lord"}, Status: 200,
				Want: []string{`{"ok":true,"id":"` + dev.ID + `","username":"sheep_lord"}`}, Events: map[string]int{"updated": 1}},
			{Name: "username: same again", Method: "PATCH", Path: "/api/v1/me/username", Token: dev.Token,
				Body: map[string]string{"username": "sheep_lord"}, Status: 200},
			{Name: "username: taken", Method: "PATCH", Path: "/api/v1/me/username", Token: dev.Token,
				Body: map[string]string{"username": "THE-ADMIN"}, Status: 400,
				Want: []string{`{"error":"invalid_data","errors":{"username":["has already been taken"]}}`}, Events: map[string]int{}},
			{Name: "username: too short", Method: "PATCH", Path: "/api/v1/me/username", Token: dev.Token,
				Body: map[string]string{"username": "ab"}, Status: 400, Want: []string{`{"username":["should be at least 3 character(s)"]}`}},
			{Name: "username: too long", Method: "PATCH", Path: "/api/v1/me/username", Token: dev.Token,
				Body: map[string]string{"username": strings.Repeat("a", 33)}, Status: 400, Want: []string{`"should be at most 32 character(s)"`}},
			{Name: "username: bad format", Method: "PATCH", Path: "/api/v1/me/username", Token: dev.Token,
				Body: map[string]string{"username": "a..b"}, Status: 400,
				Want: []string{`{"username":["only a-z, 0-9 and non-consecutive . _ - separators; must start and end alphanumeric"]}`}},
			{Name: "username: blank", Method: "PATCH", Path: "/api/v1/me/username", Token: dev.Token,
				Body: map[string]string{"username": ""}, Status: 400, Want: []string{`{"username":["can't be blank"]}`}},
			{Name: "username: wrong type", Method: "PATCH", Path: "/api/v1/me/username", Token: dev.Token,
				Body: `{"username":["x"]}`, Status: 400, Want: []string{`{"username":["is invalid"]}`}},
			{Name: "username: key missing", Method: "PATCH", Path: "/api/v1/me/username", Token: dev.Token, Body: `{"name":"x"}`, Status: 400},
			{Name: "username: unchanged after failures", Method: "GET", Path: "/api/v1/me", Token: dev.Token, Status: 200, Want: []string{`"username":"sheep_lord"`}},
			{Name: "username: no token", Method: "PATCH", Path: "/api/v1/me/username", Body: `{"username":"abc"}`, Status: 401,
				Want: []string{`{"error":"Authentication required"}`}},
		})
	})
}

func TestMePassword(t *testing.T) {
	resttest.Dialects(t, resttest.Options{}, func(t *testing.T, e *resttest.Env) {
		e.CreateUser(t, resttest.UserSpec{New: users.New{Email: "admin@example.com"}, Password: "admin-password"})
		dev := e.CreateUser(t, resttest.UserSpec{New: users.New{DeviceID: "device-pw"}})
		pw := e.CreateUser(t, resttest.UserSpec{New: users.New{Email: "pw@example.com"}, Password: "old-password"})
		other := e.SignIn(t, pw.ID) // a second session of the same account
		var newToken string

		e.Run(t, []resttest.Scenario{
			{Name: "wrong current", Method: "PATCH", Path: "/api/v1/me/password", Token: pw.Token,
				Body: map[string]string{"password": "new-password", "current_password": "nope"}, Status: 401,
				Want: []string{`{"error":"invalid_current_password","message":"current_password is required and must match your existing password"}`}, Events: map[string]int{}},
			{Name: "missing current", Method: "PATCH", Path: "/api/v1/me/password", Token: pw.Token,
				Body: map[string]string{"password": "new-password"}, Status: 401, Want: []string{`"error":"invalid_current_password"`}},
			{Name: "too short", Method: "PATCH", Path: "/api/v1/me/password", Token: pw.Token,
				Body: map[string]string{"password": "short", "current_password": "old-password"}, Status: 400,
				Want: []string{`{"error":"invalid_data","errors":{"password":["should be at least 8 character(s)"]}}`}},
			{Name: "over 72 bytes", Method: "PATCH", Path: "/api/v1/me/password", Token: pw.Token,
				Body: map[string]string{"password": strings.Repeat("p", 73), "current_password": "old-password"}, Status: 400,
				Want: []string{`"password":["should be at most 72 byte(s)"]`}},
			{Name: "confirmation mismatch", Method: "PATCH", Path: "/api/v1/me/password", Token: pw.Token,
				Body: map[string]string{"password": "new-password", "password_confirmation": "other-password", "current_password": "old-password"}, Status: 400,
				Want: []string{`{"error":"invalid_data","errors":{"password_confirmation":["does not match password"]}}`}},
			{Name: "password key missing", Method: "PATCH", Path: "/api/v1/me/password", Token: pw.Token,
				Body: map[string]string{"current_password": "old-password"}, Status: 400},
			{Name: "password wrong type", Method: "PATCH", Path: "/api/v1/me/password", Token: pw.Token,
				Body: `{"password":12345678,"current_password":"old-password"}`, Status: 400, Want: []string{`{"password":["is invalid"]}`}},
			{Name: "still valid after failures", Method: "GET", Path: "/api/v1/me", Token: pw.Token, Status: 200},
			{Name: "change", Method: "PATCH", Path: "/api/v1/me/password", Token: pw.Token,
				Body: map[string]string{"password": "new-password", "password_confirmation": "new-password", "current_password": "old-password"}, Status: 200,
				Want: []string{`{"ok":true,"id":"` + pw.ID + `"}`}, Events: map[string]int{"updated": 1}},
			{Name: "caller's token is revoked", Method: "GET", Path: "/api/v1/me", Token: pw.Token, Status: 401, Want: []string{`{"error":"Failed."}`}},
			{Name: "other session's token is revoked", Method: "GET", Path: "/api/v1/me", Token: other.Token, Status: 401, Want: []string{`{"error":"Failed."}`}},
			{Name: "refresh token is revoked", Method: "POST", Path: "/api/v1/refresh", Body: map[string]string{"refresh_token": pw.RefreshToken}, Status: 401,
				Want: []string{`{"error":"Invalid refresh token"}`}},
			{Name: "old password refused", Method: "POST", Path: "/api/v1/login", Body: map[string]string{"email": "pw@example.com", "password": "old-password"}, Status: 401},
			{Name: "new password works", Method: "POST", Path: "/api/v1/login", Body: map[string]string{"email": "pw@example.com", "password": "new-password"}, Status: 200,
				After: func(t *testing.T, e *resttest.Env, r resttest.Response) {
					newToken, _ = r.Data()["access_token"].(string)
				}},
			{Name: "token from the new password works", Method: "GET", Path: "/api/v1/me", TokenFunc: func() string { return newToken }, Status: 200,
				Want: []string{`"has_password":true`, `"id":"` + pw.ID + `"`}},
			{Name: "no password yet: set without current", Method: "PATCH", Path: "/api/v1/me/password", Token: dev.Token,
				Body: map[string]string{"password": "first-password"}, Status: 200, Events: map[string]int{"updated": 1}},
			{Name: "device user has a password now", Method: "GET", Path: "/api/v1/me", TokenFunc: func() string { return e.SignIn(t, dev.ID).Token }, Status: 200,
				Want: []string{`"has_password":true`, `"device":true`}},
		})
		for _, secret := range []string{"old-password", "new-password", "first-password", "$2a$"} {
			if strings.Contains(e.Logs.String(), secret) {
				t.Errorf("server log contains %q", secret)
			}
		}
	})
}

func TestMeDeviceAndProviders(t *testing.T) {
	resttest.Dialects(t, resttest.Options{}, func(t *testing.T, e *resttest.Env) {
		e.CreateUser(t, resttest.UserSpec{New: users.New{Email: "admin@example.com"}, Password: "admin-password"})
		devOnly := e.CreateUser(t, resttest.UserSpec{New: users.New{DeviceID: "only-device"}})
		pw := e.CreateUser(t, resttest.UserSpec{New: users.New{Email: "pw@example.com"}, Password: "a-password"})
		discordOnly := e.CreateUser(t, resttest.UserSpec{New: users.New{Provider: "discord", ProviderID: "d-1", ProfileURL: "https://cdn.discordapp.com/avatars/d-1/a.png"}})
		two := e.CreateUser(t, resttest.UserSpec{New: users.New{Provider: "discord", ProviderID: "d-2", ProfileURL: "https://cdn.discordapp.com/avatars/d-2/a.png"}})
		if _, err := e.DB.Exec(context.Background(), `UPDATE users SET google_id = 'g-2' WHERE id = ?`, two.ID); err != nil {
			t.Fatal(err)
		}

		e.Run(t, []resttest.Scenario{
			// POST /me/device
			{Name: "link: missing", Method: "POST", Path: "/api/v1/me/device", Token: pw.Token, Body: `{}`, Status: 400, Want: []string{`{"error":"device_id is required"}`}},
			{Name: "link: no body", Method: "POST", Path: "/api/v1/me/device", Token: pw.Token, Status: 400, Want: []string{`{"error":"device_id is required"}`}},
			{Name: "link: empty", Method: "POST", Path: "/api/v1/me/device", Token: pw.Token, Body: `{"device_id":""}`, Status: 400, Want: []string{`{"error":"device_id is required"}`}},
			{Name: "link: not a string", Method: "POST", Path: "/api/v1/me/device", Token: pw.Token, Body: `{"device_id":7}`, Status: 400, Want: []string{`{"error":"device_id is required"}`}},
			{Name: "link: taken", Method: "POST", Path: "/api/v1/me/device", Token: pw.Token, Body: `{"device_id":"only-device"}`, Status: 400,
				Want: []string{`{"details":{"device_id":["has already been taken"]},"error":"Failed to link device_id"}`}, Events: map[string]int{}},
			{Name: "link: too long", Method: "POST", Path: "/api/v1/me/device", Token: pw.Token, Body: map[string]string{"device_id": strings.Repeat("d", 257)}, Status: 400,
				Want: []string{`"error":"Failed to link device_id"`, `"device_id":["should be at most 256 character(s)"]`}},
			{Name: "link: ok", Method: "POST", Path: "/api/v1/me/device", Token: pw.Token, Body: `{"device_id":"pw-device"}`, Status: 200, Want: []string{`{}`},
				Events: map[string]int{"updated": 1}},
			{Name: "link: shows in /me", Method: "GET", Path: "/api/v1/me", Token: pw.Token, Status: 200, Want: []string{`"device":true`}, NotWant: []string{"pw-device"}},
			{Name: "link: device logs in to the same account", Method: "POST", Path: "/api/v1/login/device", Body: `{"device_id":"pw-device"}`, Status: 200,
				Want: []string{`"user_id":"` + pw.ID + `"`}},

			// DELETE /me/device
			{Name: "unlink device: last method", Method: "DELETE", Path: "/api/v1/me/device", Token: devOnly.Token, Status: 400,
				Want: []string{`{"error":"Cannot unlink device_id when it's your last authentication method"}`}, Events: map[string]int{}},
			{Name: "unlink device: ok with a password", Method: "DELETE", Path: "/api/v1/me/device", Token: pw.Token, Status: 200, Want: []string{`{}`},
				Events: map[string]int{"updated": 1}},
			{Name: "unlink device: none linked", Method: "DELETE", Path: "/api/v1/me/device", Token: pw.Token, Status: 200, Want: []string{`{}`}},
			{Name: "unlink device: ok with a provider", Method: "DELETE", Path: "/api/v1/me/device", Token: two.Token, Status: 200},

			// DELETE /me/providers/:provider
			{Name: "provider: unknown", Method: "DELETE", Path: "/api/v1/me/providers/myspace", Token: two.Token, Status: 400, Want: []string{`{"error":"Unknown provider"}`}},
			{Name: "provider: device is not a provider", Method: "DELETE", Path: "/api/v1/me/providers/device", Token: two.Token, Status: 400, Want: []string{`{"error":"Unknown provider"}`}},
			{Name: "provider: last one", Method: "DELETE", Path: "/api/v1/me/providers/discord", Token: discordOnly.Token, Status: 400,
				Want: []string{`{"error":"Cannot unlink the last linked provider"}`}},
			{Name: "provider: not linked", Method: "DELETE", Path: "/api/v1/me/providers/steam", Token: discordOnly.Token, Status: 200, Want: []string{`{}`}},
			{Name: "provider: unlink discord", Method: "DELETE", Path: "/api/v1/me/providers/discord", Token: two.Token, Status: 200, Want: []string{`{}`},
				Events: map[string]int{"updated": 1}},
			{Name: "provider: discord avatar cleared", Method: "GET", Path: "/api/v1/me", Token: two.Token, Status: 200,
				Want: []string{`"profile_url":""`, `"discord":false`, `"google":true`}},
			{Name: "provider: google is now the last", Method: "DELETE", Path: "/api/v1/me/providers/google", Token: two.Token, Status: 400,
				Want: []string{`{"error":"Cannot unlink the last linked provider"}`}},
		})
	})
}

func TestMeDelete(t *testing.T) {
	resttest.Dialects(t, resttest.Options{}, func(t *testing.T, e *resttest.Env) {
		e.CreateUser(t, resttest.UserSpec{New: users.New{Email: "admin@example.com"}, Password: "admin-password"})
		gone := e.CreateUser(t, resttest.UserSpec{New: users.New{DeviceID: "gone-device"}})
		stays := e.CreateUser(t, resttest.UserSpec{New: users.New{DeviceID: "stays-device"}})
		e.Profiles.BeforeDelete(func(_ context.Context, u *users.Row) error {
			if u.ID == stays.ID {
				return errors.New("in a ranked match")
			}
			return nil
		})
		e.Run(t, []resttest.Scenario{
			{Name: "no token", Method: "DELETE", Path: "/api/v1/me", Status: 401, Want: []string{`{"error":"Authentication required"}`}},
			{Name: "delete", Method: "DELETE", Path: "/api/v1/me", Token: gone.Token, Status: 200, Want: []string{`{}`}, Events: map[string]int{"deleted": 1}},
			{Name: "token of a deleted user", Method: "GET", Path: "/api/v1/me", Token: gone.Token, Status: 401, Want: []string{`{"error":"Failed."}`}},
			{Name: "refresh of a deleted user", Method: "POST", Path: "/api/v1/refresh", Body: map[string]string{"refresh_token": gone.RefreshToken}, Status: 401,
				Want: []string{`{"error":"Invalid refresh token"}`}},
			{Name: "gone from the public lookup", Method: "GET", Path: "/api/v1/users/" + gone.ID, Status: 404, Want: []string{`{"error":"not_found"}`}},
			{Name: "device id is free: new account", Method: "POST", Path: "/api/v1/login/device", Body: `{"device_id":"gone-device"}`, Status: 200,
				NotWant: []string{gone.ID}},
			{Name: "refused by a before-delete hook", Method: "DELETE", Path: "/api/v1/me", Token: stays.Token, Status: 400,
				Want: []string{`{"error":"Failed to delete account"}`}, Events: map[string]int{}},
			{Name: "still there", Method: "GET", Path: "/api/v1/me", Token: stays.Token, Status: 200},
		})
	})
}

// TestBearerAuth checks API.md §1.4 over HTTP on a bearer route.
func TestBearerAuth(t *testing.T) {
	resttest.Dialects(t, resttest.Options{}, func(t *testing.T, e *resttest.Env) {
		e.CreateUser(t, resttest.UserSpec{New: users.New{Email: "admin@example.com"}, Password: "admin-password"})
		u := e.CreateUser(t, resttest.UserSpec{New: users.New{DeviceID: "bearer-device"}})
		stale := e.CreateUser(t, resttest.UserSpec{New: users.New{DeviceID: "stale-device"}})
		deleted := e.CreateUser(t, resttest.UserSpec{New: users.New{DeviceID: "deleted-device"}})
		if err := e.Auth.RevokeAllTokens(context.Background(), stale.ID); err != nil {
			t.Fatal(err)
		}
		if err := e.Profiles.Delete(context.Background(), deleted.ID); err != nil {
			t.Fatal(err)
		}
		now := time.Now()
		sign := func(key string, m jwt.SigningMethod, c jwt.MapClaims) string {
			s, err := jwt.NewWithClaims(m, c).SignedString([]byte(key))
			if err != nil {
				t.Fatal(err)
			}
			return s
		}
		claims := func(sub string, exp, nbf time.Time) jwt.MapClaims {
			return jwt.MapClaims{"iss": auth.Issuer, "aud": auth.Audience, "sub": sub, "typ": "access", "tv": 0,
				"iat": nbf.Unix(), "nbf": nbf.Unix(), "exp": exp.Unix(), "jti": "t"}
		}
		valid := claims(u.ID, now.Add(time.Minute), now.Add(-time.Second))
		authz := func(v string) []string { return []string{"Authorization", v} }
		invalid := []string{`{"error":"Invalid authentication token"}`}
		failed := []string{`{"error":"Failed."}`}

		e.Run(t, []resttest.Scenario{
			{Name: "no header", Method: "GET", Path: "/api/v1/me", Status: 401, Want: []string{`{"error":"Authentication required"}`}},
			{Name: "malformed", Method: "GET", Path: "/api/v1/me", Token: "not-a-jwt", Status: 401, Want: invalid},
			{Name: "scheme only", Method: "GET", Path: "/api/v1/me", Headers: authz("Bearer"), Status: 401, Want: invalid},
			{Name: "bad signature", Method: "GET", Path: "/api/v1/me", Token: sign("other-secret", jwt.SigningMethodHS512, valid), Status: 401, Want: invalid},
			{Name: "HS256", Method: "GET", Path: "/api/v1/me", Token: sign(resttest.Secret, jwt.SigningMethodHS256, valid), Status: 401, Want: invalid},
			{Name: "expired", Method: "GET", Path: "/api/v1/me", Status: 401, Want: invalid,
				Token: sign(resttest.Secret, jwt.SigningMethodHS512, claims(u.ID, now.Add(-time.Minute), now.Add(-time.Hour)))},
			{Name: "not yet valid", Method: "GET", Path: "/api/v1/me", Status: 401, Want: invalid,
				Token: sign(resttest.Secret, jwt.SigningMethodHS512, claims(u.ID, now.Add(time.Hour), now.Add(30*time.Minute)))},
			{Name: "refresh token as bearer", Method: "GET", Path: "/api/v1/me", Token: u.RefreshToken, Status: 401, Want: invalid},
			{Name: "deleted user", Method: "GET", Path: "/api/v1/me", Token: deleted.Token, Status: 401, Want: failed},
			{Name: "stale token version", Method: "GET", Path: "/api/v1/me", Token: stale.Token, Status: 401, Want: failed},
			{Name: "sub not a uuid", Method: "GET", Path: "/api/v1/me", Status: 401, Want: failed,
				Token: sign(resttest.Secret, jwt.SigningMethodHS512, claims("42", now.Add(time.Minute), now.Add(-time.Second)))},
			{Name: "crafted valid token", Method: "GET", Path: "/api/v1/me", Token: sign(resttest.Secret, jwt.SigningMethodHS512, valid), Status: 200},
			{Name: "Bearer", Method: "GET", Path: "/api/v1/me", Headers: authz("Bearer " + u.Token), Status: 200, Want: []string{`"id":"` + u.ID + `"`}},
			{Name: "bearer lower-case", Method: "GET", Path: "/api/v1/me", Headers: authz("bearer " + u.Token), Status: 200},
			{Name: "BEARER upper-case", Method: "GET", Path: "/api/v1/me", Headers: authz("BEARER " + u.Token), Status: 200},
			{Name: "bearer: with colon", Method: "GET", Path: "/api/v1/me", Headers: authz("bearer: " + u.Token), Status: 200},
			{Name: "Bearer:no space", Method: "GET", Path: "/api/v1/me", Headers: authz("Bearer:" + u.Token), Status: 200},
			{Name: "Bearer with extra spaces", Method: "GET", Path: "/api/v1/me", Headers: authz("Bearer   " + u.Token + "  "), Status: 200},
			{Name: "stale token on an admin route", Method: "GET", Path: "/api/v1/admin/users", Token: stale.Token, Status: 401, Want: failed},
			{Name: "no header on an admin route", Method: "GET", Path: "/api/v1/admin/users", Status: 401, Want: []string{`{"error":"Authentication required"}`}},
		})
		if strings.Contains(e.Logs.String(), u.Token) {
			t.Error("a bearer token reached the log")
		}
	})
}

// TestMeBadBodies sends bodies that are not JSON objects to every /me
// route: each answer is a JSON 4xx, never a 500, and nothing changes.
func TestMeBadBodies(t *testing.T) {
	e := resttest.New(t, persistencetest.SQLite(t), resttest.Options{})
	u := e.CreateUser(t, resttest.UserSpec{New: users.New{DeviceID: "bad-bodies"}, Password: "a-password"})
	routes := [][2]string{{"PATCH", "/api/v1/me/password"}, {"PATCH", "/api/v1/me/display_name"}, {"PATCH", "/api/v1/me/username"}, {"POST", "/api/v1/me/device"}}
	for _, rt := range routes {
		for _, body := range []string{`{"display_name":`, `not json`, `[]`, `"str"`, `42`, `null`, `{"username":{"nested":true}}`, "\xff\xfe"} {
			r := e.Do(t, rt[0], rt[1], body, u.Token)
			if r.Status < 400 || r.Status >= 500 || !strings.HasPrefix(r.Header.Get("Content-Type"), "application/json") {
				t.Errorf("%s %s %q: %d %q %s", rt[0], rt[1], body, r.Status, r.Header.Get("Content-Type"), r.Body)
			}
		}
	}
	if e.Events()["updated"] != 0 {
		t.Errorf("a bad body changed the user: %v", e.Events())
	}
}

// TestSelfUserTimestamps checks the second-precision Z format of /me.
func TestSelfUserTimestamps(t *testing.T) {
	resttest.Dialects(t, resttest.Options{}, func(t *testing.T, e *resttest.Env) {
		u := e.CreateUser(t, resttest.UserSpec{New: users.New{DeviceID: "ts"}})
		at := time.Date(2026, 3, 4, 5, 6, 7, 890000000, time.FixedZone("X", 2*3600))
		if _, err := e.DB.Exec(context.Background(), `UPDATE users SET last_seen_at = ? WHERE id = ?`, at, u.ID); err != nil {
			t.Fatal(err)
		}
		r := e.Do(t, "GET", "/api/v1/me", nil, u.Token)
		got, _ := r.JSON["last_seen_at"].(string)
		if got != "2026-03-04T03:06:07Z" || !contractTime.MatchString(got) {
			t.Fatalf("last_seen_at %q (body %s)", got, r.Body)
		}
	})
}
