package rest_test

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"regexp"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"

	"github.com/gamend-go/gamend/auth"
	"github.com/gamend-go/gamend/persistence/persistencetest"
	"github.com/gamend-go/gamend/persistence/users"
	"github.com/gamend-go/gamend/transport/rest/resttest"
)

// exactly checks that the answer's body is the JSON value want (key order
// and spacing aside).
func exactly(want string) func(t *testing.T, e *resttest.Env, r resttest.Response) {
	return func(t *testing.T, _ *resttest.Env, r resttest.Response) {
		t.Helper()
		if got, exp := canonicalJSON(t, r.Body), canonicalJSON(t, want); got != exp {
			t.Errorf("body %s, want exactly %s", got, exp)
		}
	}
}

func canonicalJSON(t *testing.T, s string) string {
	t.Helper()
	var v any
	if err := json.Unmarshal([]byte(s), &v); err != nil {
		t.Fatalf("not JSON: %q", s)
	}
	b, _ := json.Marshal(v)
	return string(b)
}

// tokenPairShape checks a TokenPair answer (API.md §2.2): the mandatory
// data wrapper and exactly its fields, expires_in 900, working tokens.
func tokenPairShape(userID, username string) func(t *testing.T, e *resttest.Env, r resttest.Response) {
	return func(t *testing.T, e *resttest.Env, r resttest.Response) {
		t.Helper()
		if len(r.JSON) != 1 || r.Data() == nil {
			t.Fatalf("answer %s is not {\"data\":{…}}", r.Body)
		}
		d := r.Data()
		for _, k := range []string{"access_token", "refresh_token", "expires_in", "user_id", "username", "display_name"} {
			if _, ok := d[k]; !ok {
				t.Fatalf("data lacks %s: %s", k, r.Body)
			}
		}
		if len(d) != 6 || d["expires_in"] != float64(900) {
			t.Fatalf("data %s", r.Body)
		}
		if userID != "" && d["user_id"] != userID {
			t.Fatalf("user_id %v, want %s", d["user_id"], userID)
		}
		if username != "" && d["username"] != username {
			t.Fatalf("username %v, want %s", d["username"], username)
		}
		me := e.Do(t, "GET", "/api/v1/me", nil, d["access_token"].(string))
		if me.Status != 200 || me.JSON["id"] != d["user_id"] {
			t.Fatalf("the access token does not work: %d %s", me.Status, me.Body)
		}
		if ref := e.Do(t, "GET", "/api/v1/me", nil, d["refresh_token"].(string)); ref.Status != 401 {
			t.Fatalf("the refresh token works as a bearer token: %d %s", ref.Status, ref.Body)
		}
	}
}

// craftToken signs claims with the server's secret: typ, tv and a lifetime
// around now shifted by the offsets.
func craftToken(t *testing.T, typ, sub string, tv int, issued, expires time.Duration) string {
	t.Helper()
	now := time.Now()
	s, err := jwt.NewWithClaims(jwt.SigningMethodHS512, jwt.MapClaims{
		"iss": auth.Issuer, "aud": auth.Audience, "sub": sub, "typ": typ, "tv": tv, "jti": "crafted",
		"iat": now.Add(issued).Unix(), "nbf": now.Add(issued).Unix() - 1, "exp": now.Add(expires).Unix(),
	}).SignedString([]byte(resttest.Secret))
	if err != nil {
		t.Fatal(err)
	}
	return s
}

const (
	badCredentials = `{"error":"Invalid email or password"}`
	notActivated   = `{"error":"account_not_activated","message":"Your account is pending activation by an administrator."}`
)

// TestLogin covers POST /api/v1/login (API.md §4.2).
func TestLogin(t *testing.T) {
	resttest.Dialects(t, resttest.Options{}, func(t *testing.T, e *resttest.Env) {
		admin := e.CreateUser(t, resttest.UserSpec{New: users.New{Email: "admin@example.com", Username: "the-admin"}, Password: "admin-password"})
		pw := e.CreateUser(t, resttest.UserSpec{New: users.New{Email: "Player@Example.com", Username: "player-one", DisplayName: "Player One"}, Password: "right-password"})
		e.CreateUser(t, resttest.UserSpec{New: users.New{DeviceID: "no-password-device", Email: "device@example.com"}})
		login := func(email, password string) map[string]string {
			return map[string]string{"email": email, "password": password}
		}

		e.Run(t, []resttest.Scenario{
			{Name: "unknown e-mail", Method: "POST", Path: "/api/v1/login", Body: login("nobody@example.com", "right-password"), Status: 401,
				After: exactly(badCredentials)},
			{Name: "wrong password", Method: "POST", Path: "/api/v1/login", Body: login("player@example.com", "wrong-password"), Status: 401,
				After: exactly(badCredentials)},
			{Name: "account without a password", Method: "POST", Path: "/api/v1/login", Body: login("device@example.com", "anything-at-all"), Status: 401,
				After: exactly(badCredentials)},
			{Name: "e-mail missing", Method: "POST", Path: "/api/v1/login", Body: `{"password":"right-password"}`, Status: 400},
			{Name: "password missing", Method: "POST", Path: "/api/v1/login", Body: `{"email":"player@example.com"}`, Status: 400},
			{Name: "no body", Method: "POST", Path: "/api/v1/login", Status: 400},
			{Name: "password not a string", Method: "POST", Path: "/api/v1/login", Body: `{"email":"player@example.com","password":12345678}`, Status: 400},
			{Name: "success (e-mail case-insensitive, device_id ignored)", Method: "POST", Path: "/api/v1/login",
				Body: map[string]string{"email": "PLAYER@example.COM", "password": "right-password", "device_id": "ignored"}, Status: 200,
				Want: []string{`"display_name":"Player One"`}, After: tokenPairShape(pw.ID, "player-one")},
			{Name: "admin", Method: "POST", Path: "/api/v1/login", Body: login("admin@example.com", "admin-password"), Status: 200,
				After: tokenPairShape(admin.ID, "the-admin")},
		})
		for _, secret := range []string{"right-password", "wrong-password", "admin-password"} {
			if strings.Contains(e.Logs.String(), secret) {
				t.Errorf("the server log contains %q", secret)
			}
		}
	})
}

// TestLoginActivation covers REQUIRE_ACCOUNT_ACTIVATION on the password
// and device routes: inactive accounts get 403 account_not_activated (the
// account is still created), administrators always pass.
func TestLoginActivation(t *testing.T) {
	resttest.Dialects(t, resttest.Options{Auth: auth.Options{RequireActivation: true}}, func(t *testing.T, e *resttest.Env) {
		admin := e.CreateUser(t, resttest.UserSpec{New: users.New{Email: "admin@example.com"}, Password: "admin-password"})
		pending := e.CreateUser(t, resttest.UserSpec{New: users.New{Email: "pending@example.com"}, Password: "pending-password"})
		if !admin.Row.IsAdmin || !admin.Row.IsActivated || pending.Row.IsActivated {
			t.Fatal("fixtures: the first account is an active admin, the next one inactive")
		}
		var deviceUser string
		e.Run(t, []resttest.Scenario{
			{Name: "password: inactive", Method: "POST", Path: "/api/v1/login", Body: map[string]string{"email": "pending@example.com", "password": "pending-password"},
				Status: 403, After: exactly(notActivated)},
			{Name: "password: inactive, wrong password is still 401", Method: "POST", Path: "/api/v1/login",
				Body: map[string]string{"email": "pending@example.com", "password": "not-the-password"}, Status: 401, After: exactly(badCredentials)},
			{Name: "device: new account created inactive", Method: "POST", Path: "/api/v1/login/device", Body: `{"device_id":"pending-device"}`,
				Status: 403, After: func(t *testing.T, e *resttest.Env, r resttest.Response) {
					exactly(notActivated)(t, e, r)
					u, err := users.ByDevice(context.Background(), e.DB, "pending-device")
					if err != nil || u.IsActivated || u.IsAdmin {
						t.Fatalf("device account: %+v %v", u, err)
					}
					deviceUser = u.ID
				}},
			{Name: "device: again, same answer", Method: "POST", Path: "/api/v1/login/device", Body: `{"device_id":"pending-device"}`, Status: 403,
				After: exactly(notActivated)},
		})
		// The account id is known only now: the next scenarios use it.
		e.Run(t, []resttest.Scenario{
			{Name: "admin activates the device account", Method: "PATCH", Path: "/api/v1/admin/users/" + deviceUser, Token: admin.Token,
				Body: `{"is_activated":true}`, Status: 200, Events: map[string]int{"updated": 1, "activated": 1}},
			{Name: "device: active now", Method: "POST", Path: "/api/v1/login/device", Body: `{"device_id":"pending-device"}`, Status: 200,
				After: tokenPairShape(deviceUser, "")},
		})
		// An administrator passes even when marked inactive.
		if _, err := e.DB.Exec(context.Background(), `UPDATE users SET is_activated = ? WHERE id = ?`, false, admin.ID); err != nil {
			t.Fatal(err)
		}
		e.Run(t, []resttest.Scenario{
			{Name: "inactive admin logs in", Method: "POST", Path: "/api/v1/login", Body: map[string]string{"email": "admin@example.com", "password": "admin-password"},
				Status: 200, After: tokenPairShape(admin.ID, "")},
			{Name: "inactive admin refreshes", Method: "POST", Path: "/api/v1/refresh", Body: map[string]string{"refresh_token": admin.RefreshToken},
				Status: 200, After: tokenPairShape(admin.ID, "")},
		})
	})
}

// TestDeviceLogin covers POST /api/v1/login/device (API.md §4.2).
func TestDeviceLogin(t *testing.T) {
	var enabled atomic.Bool
	enabled.Store(true)
	opts := resttest.Options{Auth: auth.Options{DeviceAuthEnabled: enabled.Load}}
	resttest.Dialects(t, opts, func(t *testing.T, e *resttest.Env) {
		enabled.Store(true)
		var first, username string
		count := func(t *testing.T) int {
			n, err := users.Count(context.Background(), e.DB)
			if err != nil {
				t.Fatal(err)
			}
			return n
		}
		generated := regexp.MustCompile(`^[a-z]+-\d{4}$`)
		e.Run(t, []resttest.Scenario{
			{Name: "first use creates the account", Method: "POST", Path: "/api/v1/login/device", Body: `{"device_id":"device-abc"}`, Status: 200,
				After: func(t *testing.T, e *resttest.Env, r resttest.Response) {
					tokenPairShape("", "")(t, e, r)
					first, _ = r.Data()["user_id"].(string)
					username, _ = r.Data()["username"].(string)
					if !generated.MatchString(username) || r.Data()["display_name"] != "" {
						t.Fatalf("new device account: username %q display %v (want word-NNNN, empty)", username, r.Data()["display_name"])
					}
					if count(t) != 1 {
						t.Fatalf("%d users", count(t))
					}
				}},
			{Name: "second use reuses it", Method: "POST", Path: "/api/v1/login/device", Body: `{"device_id":"device-abc"}`, Status: 200,
				After: func(t *testing.T, e *resttest.Env, r resttest.Response) {
					tokenPairShape(first, username)(t, e, r)
					if count(t) != 1 {
						t.Fatalf("a second account was created: %d users", count(t))
					}
				}},
			{Name: "256 characters is the limit", Method: "POST", Path: "/api/v1/login/device", Body: map[string]string{"device_id": strings.Repeat("d", 256)}, Status: 200,
				After: tokenPairShape("", "")},
			{Name: "longer than 256", Method: "POST", Path: "/api/v1/login/device", Body: map[string]string{"device_id": strings.Repeat("d", 257)}, Status: 400,
				After: exactly(`{"error":"unable to create device user","details":{"device_id":["should be at most 256 character(s)"]}}`)},
			{Name: "missing", Method: "POST", Path: "/api/v1/login/device", Body: `{}`, Status: 400},
			{Name: "not a string", Method: "POST", Path: "/api/v1/login/device", Body: `{"device_id":42}`, Status: 400,
				After: exactly(`{"error":"unable to create device user","details":{"device_id":["is invalid"]}}`)},
			{Name: "null", Method: "POST", Path: "/api/v1/login/device", Body: `{"device_id":null}`, Status: 400},
			{Name: "disabled by config", Method: "POST", Path: "/api/v1/login/device", Body: `{"device_id":"device-abc"}`, Status: 403,
				Before: func(*testing.T, *resttest.Env) { enabled.Store(false) },
				After: func(t *testing.T, e *resttest.Env, r resttest.Response) {
					exactly(`{"error":"device-based authentication is disabled"}`)(t, e, r)
				}},
			{Name: "disabled: no account is created", Method: "POST", Path: "/api/v1/login/device", Body: `{"device_id":"device-new"}`, Status: 403,
				After: func(t *testing.T, e *resttest.Env, r resttest.Response) {
					exactly(`{"error":"device-based authentication is disabled"}`)(t, e, r)
					if _, err := users.ByDevice(context.Background(), e.DB, "device-new"); err == nil {
						t.Fatal("an account was created while device login is disabled")
					}
				}},
			{Name: "enabled again (read per request)", Method: "POST", Path: "/api/v1/login/device", Body: `{"device_id":"device-abc"}`, Status: 200,
				Before: func(*testing.T, *resttest.Env) { enabled.Store(true) },
				After:  func(t *testing.T, e *resttest.Env, r resttest.Response) { tokenPairShape(first, username)(t, e, r) }},
		})
	})
}

// TestRefresh covers POST /api/v1/refresh (API.md §4.2, §2.2).
func TestRefresh(t *testing.T) {
	resttest.Dialects(t, resttest.Options{}, func(t *testing.T, e *resttest.Env) {
		admin := e.CreateUser(t, resttest.UserSpec{New: users.New{Email: "admin@example.com"}, Password: "admin-password"})
		u := e.CreateUser(t, resttest.UserSpec{New: users.New{Username: "refresher", DisplayName: "Re Fresher", DeviceID: "refresh-device"}})
		revoked := e.CreateUser(t, resttest.UserSpec{New: users.New{DeviceID: "revoked-device"}})
		deleted := e.CreateUser(t, resttest.UserSpec{New: users.New{DeviceID: "deleted-device"}})
		deactivated := e.CreateUser(t, resttest.UserSpec{New: users.New{DeviceID: "deactivated-device"}})
		ctx := context.Background()
		if err := e.Auth.RevokeAllTokens(ctx, revoked.ID); err != nil {
			t.Fatal(err)
		}
		if err := e.Profiles.Delete(ctx, deleted.ID); err != nil {
			t.Fatal(err)
		}
		body := func(tok string) map[string]string { return map[string]string{"refresh_token": tok} }
		invalidOrExpired := exactly(`{"error":"Invalid or expired refresh token"}`)
		invalid := exactly(`{"error":"Invalid refresh token"}`)
		parts := strings.Split(u.RefreshToken, ".")

		e.Run(t, []resttest.Scenario{
			{Name: "missing", Method: "POST", Path: "/api/v1/refresh", Body: `{}`, Status: 400, After: exactly(`{"error":"refresh_token is required"}`)},
			{Name: "empty", Method: "POST", Path: "/api/v1/refresh", Body: body(""), Status: 400, After: exactly(`{"error":"refresh_token is required"}`)},
			{Name: "no body", Method: "POST", Path: "/api/v1/refresh", Status: 400, After: exactly(`{"error":"refresh_token is required"}`)},
			{Name: "null", Method: "POST", Path: "/api/v1/refresh", Body: `{"refresh_token":null}`, Status: 400, After: exactly(`{"error":"refresh_token is required"}`)},
			{Name: "garbage", Method: "POST", Path: "/api/v1/refresh", Body: body("not-a-jwt"), Status: 401, After: invalidOrExpired},
			{Name: "not a string", Method: "POST", Path: "/api/v1/refresh", Body: `{"refresh_token":{"jwt":1}}`, Status: 401, After: invalidOrExpired},
			{Name: "tampered", Method: "POST", Path: "/api/v1/refresh", Status: 401, After: invalidOrExpired,
				Body: body(parts[0] + "." + base64.RawURLEncoding.EncodeToString([]byte(`{"sub":"`+admin.ID+`","typ":"refresh","tv":0,"aud":"game_server","exp":9999999999}`)) + "." + parts[2])},
			{Name: "expired", Method: "POST", Path: "/api/v1/refresh", Status: 401, After: invalidOrExpired,
				Body: body(craftToken(t, auth.TypeRefresh, u.ID, 0, -31*24*time.Hour, -time.Hour))},
			{Name: "not yet valid", Method: "POST", Path: "/api/v1/refresh", Status: 401, After: invalidOrExpired,
				Body: body(craftToken(t, auth.TypeRefresh, u.ID, 0, time.Hour, 30*24*time.Hour))},
			{Name: "access token given as refresh", Method: "POST", Path: "/api/v1/refresh", Body: body(u.Token), Status: 401, After: invalidOrExpired},
			{Name: "crafted valid refresh token", Method: "POST", Path: "/api/v1/refresh", Status: 200,
				Body: body(craftToken(t, auth.TypeRefresh, u.ID, 0, -time.Minute, time.Hour)), After: tokenPairShape(u.ID, "refresher")},
			{Name: "user deleted", Method: "POST", Path: "/api/v1/refresh", Body: body(deleted.RefreshToken), Status: 401, After: invalid},
			{Name: "token_version bumped", Method: "POST", Path: "/api/v1/refresh", Body: body(revoked.RefreshToken), Status: 401, After: invalid},
			{Name: "sub not a user id", Method: "POST", Path: "/api/v1/refresh", Status: 401, After: invalid,
				Body: body(craftToken(t, auth.TypeRefresh, "42", 0, -time.Minute, time.Hour))},
			{Name: "success echoes the same refresh token", Method: "POST", Path: "/api/v1/refresh", Body: body(u.RefreshToken), Status: 200,
				Want: []string{`"display_name":"Re Fresher"`},
				After: func(t *testing.T, e *resttest.Env, r resttest.Response) {
					tokenPairShape(u.ID, "refresher")(t, e, r)
					if r.Data()["refresh_token"] != u.RefreshToken {
						t.Fatalf("refresh_token %v, want the token sent", r.Data()["refresh_token"])
					}
					if r.Data()["access_token"] == u.Token || r.Data()["access_token"] == u.RefreshToken {
						t.Fatal("no new access token")
					}
				}},
			{Name: "the echoed token refreshes again", Method: "POST", Path: "/api/v1/refresh", Body: body(u.RefreshToken), Status: 200,
				After: tokenPairShape(u.ID, "refresher")},
			// §4.2 gives /refresh no 403: a deactivated account's refresh
			// token is an invalid refresh token (auth.Service.Refresh).
			{Name: "admin deactivates an account", Method: "PATCH", Path: "/api/v1/admin/users/" + deactivated.ID, Token: admin.Token,
				Body: `{"is_activated":false}`, Status: 200, Want: []string{`"is_activated":false`}},
			{Name: "inactive account", Method: "POST", Path: "/api/v1/refresh", Body: body(deactivated.RefreshToken), Status: 401, After: invalid},
			{Name: "reactivated", Method: "PATCH", Path: "/api/v1/admin/users/" + deactivated.ID, Token: admin.Token,
				Body: `{"is_activated":true}`, Status: 200},
			{Name: "the same refresh token works again", Method: "POST", Path: "/api/v1/refresh", Body: body(deactivated.RefreshToken), Status: 200,
				After: tokenPairShape(deactivated.ID, "")},
			{Name: "refresh token as bearer on an admin route", Method: "GET", Path: "/api/v1/admin/users", Token: admin.RefreshToken, Status: 401,
				After: exactly(`{"error":"Invalid authentication token"}`)},
		})
	})
}

// TestLogout: DELETE /api/v1/logout answers {} with or without a token
// (tokens are stateless; the client forgets them).
func TestLogout(t *testing.T) {
	resttest.Dialects(t, resttest.Options{}, func(t *testing.T, e *resttest.Env) {
		u := e.CreateUser(t, resttest.UserSpec{New: users.New{DeviceID: "logout-device"}})
		e.Run(t, []resttest.Scenario{
			{Name: "without a token", Method: "DELETE", Path: "/api/v1/logout", Status: 200, After: exactly(`{}`)},
			{Name: "with a token", Method: "DELETE", Path: "/api/v1/logout", Token: u.Token, Status: 200, After: exactly(`{}`)},
			{Name: "with a bad token", Method: "DELETE", Path: "/api/v1/logout", Token: "garbage", Status: 200, After: exactly(`{}`)},
		})
	})
}

// TestFirstAccountIsAdminUnderConcurrentSignUps: two nodes (two servers
// with their own write-behind queues over one database) sign up several
// people at the same moment on an empty database; exactly one of them
// becomes the administrator (API.md §2.3), and with activation required the
// others are inactive. Several rounds, each on an emptied users table.
func TestFirstAccountIsAdminUnderConcurrentSignUps(t *testing.T) {
	persistencetest.Dialects(t, func(t *testing.T, tg persistencetest.Target) {
		opts := resttest.Options{Auth: auth.Options{RequireActivation: true}}
		nodes := []*resttest.Env{resttest.New(t, tg, opts), resttest.New(t, tg, opts)}
		ctx := context.Background()
		const perRound = 8
		for round := range 6 {
			if _, err := tg.DB.Exec(ctx, `DELETE FROM users`); err != nil {
				t.Fatal(err)
			}
			start := make(chan struct{})
			statuses := make([]int, perRound)
			errs := make([]error, perRound)
			var wg sync.WaitGroup
			for i := range perRound {
				wg.Add(1)
				go func() {
					defer wg.Done()
					<-start
					body, _ := json.Marshal(map[string]string{"device_id": fmt.Sprintf("round-%d-device-%d", round, i)})
					if i%2 == 1 { // half of them by e-mail sign-up
						body, _ = json.Marshal(map[string]string{"email": fmt.Sprintf("r%d-p%d@example.com", round, i), "password": "a-password"})
					}
					path := "/api/v1/login/device"
					if i%2 == 1 {
						path = "/api/v1/register"
					}
					res, err := http.Post(nodes[i%2].URL+path, "application/json", bytes.NewReader(body))
					if err != nil {
						errs[i] = err
						return
					}
					_, _ = io.Copy(io.Discard, res.Body)
					res.Body.Close()
					statuses[i] = res.StatusCode
				}()
			}
			close(start)
			wg.Wait()
			for i, err := range errs {
				if err != nil {
					t.Fatalf("round %d sign-up %d: %v", round, i, err)
				}
			}
			var admins, active, total int
			if err := tg.DB.QueryRow(ctx, `SELECT count(*) FROM users WHERE is_admin`).Scan(&admins); err != nil {
				t.Fatal(err)
			}
			if err := tg.DB.QueryRow(ctx, `SELECT count(*) FROM users WHERE is_activated`).Scan(&active); err != nil {
				t.Fatal(err)
			}
			if err := tg.DB.QueryRow(ctx, `SELECT count(*) FROM users`).Scan(&total); err != nil {
				t.Fatal(err)
			}
			ok := 0
			for _, s := range statuses {
				if s == 200 || s == 201 {
					ok++
				} else if s != 403 {
					t.Fatalf("round %d: statuses %v", round, statuses)
				}
			}
			if total != perRound || admins != 1 || active != 1 || ok != 1 {
				t.Fatalf("round %d: %d accounts, %d admins, %d active, %d signed in (statuses %v); want %d, 1, 1, 1",
					round, total, admins, active, ok, statuses, perRound)
			}
		}
	})
}
