package rest_test

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/gamend-go/gamend/auth/oauth"
	"github.com/gamend-go/gamend/auth/oauth/oauthtest"
	"github.com/gamend-go/gamend/transport/rest"
	"github.com/gamend-go/gamend/transport/rest/resttest"
)

// Provider accounts used across the OAuth tests.
func identities() map[string]oauthtest.Identity {
	return map[string]oauthtest.Identity{
		"discord":  {ID: "80351110224678912", Email: "nelly@example.com", Verified: true, Name: "Nelly Furtado", Avatar: "8342729096ea3675442027381ff50dfe"},
		"google":   {ID: "109876543210987654321", Email: "gary@example.com", Verified: true, Name: "Gary Oak", Avatar: "https://lh3.googleusercontent.com/a/gary"},
		"facebook": {ID: "10223344556677", Email: "fiona@example.com", Name: "Fiona Book", Avatar: "https://graph.facebook.com/fiona.jpg"},
		"apple":    {ID: "001234.0a1b2c3d4e5f.1234", Email: "abc123@privaterelay.appleid.com", Verified: true, Name: "Ada Apple"},
		"steam":    {ID: "76561197960287930", Name: "Gabe", Avatar: "https://avatars.steamstatic.com/gabe_full.jpg"},
	}
}

// wantProfile is what the account must hold after a first sign-in.
func wantProfile(p string, who oauthtest.Identity) (display, profileURL, email string) {
	switch p {
	case "discord":
		return who.Name, "https://cdn.discordapp.com/avatars/" + who.ID + "/" + who.Avatar + ".png", who.Email
	case "steam":
		return who.Name, who.Avatar, ""
	case "apple":
		return who.Name, "", who.Email
	}
	return who.Name, who.Avatar, who.Email
}

func TestOAuthPollingSignIn(t *testing.T) {
	oauthDialects(t, oauthEnvOptions{}, func(t *testing.T, e *oauthEnv) {
		for _, p := range oauth.Names {
			t.Run(p, func(t *testing.T) {
				who := identities()[p]
				e.Fake.QueueLogin(p, who)
				id, cb := e.browserFlow(p, "")
				a := e.poll(id)
				if a.Status != 200 || a.JSON["status"] != "completed" || a.JSON["message"] != "" {
					t.Fatalf("poll: %d %s", a.Status, a.Body)
				}
				d := a.data()
				wantKeys(t, d, "access_token", "refresh_token", "expires_in", "user_id")
				if d["expires_in"] != float64(900) {
					t.Fatalf("expires_in %v", d["expires_in"])
				}
				me := e.whoami(d["access_token"].(string))
				if me.Status != 200 || me.JSON["id"] != d["user_id"] {
					t.Fatalf("token does not work on a bearer route: %d %s", me.Status, me.Body)
				}
				display, avatar, email := wantProfile(p, who)
				if me.JSON["display_name"] != display || me.JSON["profile_url"] != avatar || me.JSON["email"] != email {
					t.Fatalf("profile %s, want display %q avatar %q email %q", me.Body, display, avatar, email)
				}
				if prov, _ := me.JSON["providers"].(map[string]any); prov[p] != who.ID {
					t.Fatalf("providers %v, want %s=%s", prov, p, who.ID)
				}
				if slug := strings.ToLower(strings.Fields(who.Name)[0]); !strings.HasPrefix(me.JSON["username"].(string), slug) {
					t.Fatalf("username %v not generated from the display name %q", me.JSON["username"], who.Name)
				}
				if r := e.do(http.MethodGet, "/api/v1/me", d["access_token"].(string), nil); r.Status != 200 {
					t.Fatalf("GET /me: %d %s", r.Status, r.Body)
				}
				// Polling again within the TTL returns the same answer.
				if again := e.poll(id); again.Body != a.Body {
					t.Fatalf("re-poll %s, want %s", again.Body, a.Body)
				}

				// The callback replayed (same state, same code or assertion):
				// refused, and the session keeps its first outcome.
				n := e.countUsers()
				if r := e.follow(cb); r.Status != http.StatusBadRequest || !strings.Contains(r.Body, "expired") {
					t.Fatalf("replayed callback: %d %s", r.Status, r.Body)
				}
				if again := e.poll(id); again.Body != a.Body {
					t.Fatalf("after replay %s, want %s", again.Body, a.Body)
				}

				// Signing in again reaches the same account.
				e.Fake.QueueLogin(p, who)
				id2, _ := e.browserFlow(p, "")
				if got := e.poll(id2).data()["user_id"]; got != d["user_id"] || e.countUsers() != n {
					t.Fatalf("second sign-in: user %v (want %v), users %d (want %d)", got, d["user_id"], e.countUsers(), n)
				}
			})
		}
		wantNoSecretsLogged(t, e)
	})
}

// A code used once cannot be used for another session.
func TestOAuthPollingReplayedCode(t *testing.T) {
	oauthDialects(t, oauthEnvOptions{}, func(t *testing.T, e *oauthEnv) {
		for _, p := range []string{"discord", "google", "facebook", "apple"} {
			t.Run(p, func(t *testing.T) {
				e.Fake.QueueLogin(p, identities()[p])
				id, cb := e.browserFlow(p, "")
				if e.poll(id).JSON["status"] != "completed" {
					t.Fatal("first sign-in failed")
				}
				n := e.countUsers()
				id2, _ := e.start(p, "")
				replay := cb
				if cb.Form != nil {
					replay.Form = url.Values{"code": {cb.Form.Get("code")}, "state": {id2}}
				} else {
					u, _ := url.Parse(cb.URL)
					q := u.Query()
					q.Set("state", id2)
					u.RawQuery = q.Encode()
					replay.URL = u.String()
				}
				if r := e.follow(replay); r.Status != http.StatusFound {
					t.Fatalf("callback: %d %s", r.Status, r.Body)
				}
				a := e.poll(id2)
				if a.JSON["status"] != "error" || a.data()["details"] != "authentication_failed" || e.countUsers() != n {
					t.Fatalf("replayed code: %s (users %d, want %d)", a.Body, e.countUsers(), n)
				}
			})
		}
	})
}

func TestOAuthPollingFailures(t *testing.T) {
	oauthDialects(t, oauthEnvOptions{}, func(t *testing.T, e *oauthEnv) {
		wantFailed := func(t *testing.T, id string) {
			t.Helper()
			a := e.poll(id)
			if a.Status != 200 || a.JSON["status"] != "error" || a.JSON["message"] != "" {
				t.Fatalf("poll: %d %s", a.Status, a.Body)
			}
			wantKeys(t, a.data(), "details")
			if a.data()["details"] != "authentication_failed" {
				t.Fatalf("details %v", a.data()["details"])
			}
		}
		n := e.countUsers()
		for _, p := range oauth.Names {
			t.Run(p+"/denied", func(t *testing.T) {
				e.Fake.QueueDeny(p)
				id, _ := e.browserFlow(p, "")
				wantFailed(t, id)
			})
		}
		failures := []struct{ provider, step, mode string }{
			{"apple", oauthtest.StepKeys, oauthtest.Fail500}, // first Apple call of this env: the JWKS is not cached yet
			{"discord", oauthtest.StepToken, oauthtest.Fail500},
			{"discord", oauthtest.StepProfile, oauthtest.FailBadJSON},
			{"google", oauthtest.StepToken, oauthtest.FailBadJSON},
			{"google", oauthtest.StepProfile, oauthtest.Fail500},
			{"facebook", oauthtest.StepToken, oauthtest.Fail500},
			{"facebook", oauthtest.StepProfile, oauthtest.FailBadJSON},
			{"apple", oauthtest.StepToken, oauthtest.Fail500},
			{"apple", oauthtest.StepToken, oauthtest.FailBadJSON},
			{"steam", oauthtest.StepOpenID, oauthtest.Fail500},
		}
		for _, f := range failures {
			t.Run(f.provider+"/"+f.step+"/"+f.mode, func(t *testing.T) {
				e.Fake.FailNext(f.step, f.mode)
				e.Fake.QueueLogin(f.provider, identities()[f.provider])
				id, _ := e.browserFlow(f.provider, "")
				wantFailed(t, id)
			})
		}
		t.Run("steam/tampered assertion", func(t *testing.T) {
			who := identities()["steam"]
			e.Fake.QueueLogin("steam", who)
			id, authURL := e.start("steam", "")
			cb := e.authorize(authURL)
			forged := strings.ReplaceAll(cb.URL, who.ID, "76561197960265728")
			if r := e.follow(callback{URL: forged}); r.Status != http.StatusFound {
				t.Fatalf("callback: %d %s", r.Status, r.Body)
			}
			wantFailed(t, id)
		})
		if e.countUsers() != n {
			t.Fatalf("failed sign-ins created accounts: %d users, want %d", e.countUsers(), n)
		}
		// Steam profile lookups are best effort: the verified id signs in.
		t.Run("steam/summaries down", func(t *testing.T) {
			e.Fake.FailNext(oauthtest.StepSummaries, oauthtest.Fail500)
			e.Fake.QueueLogin("steam", oauthtest.Identity{ID: "76561197960265999", Name: "Nobody"})
			id, _ := e.browserFlow("steam", "")
			if a := e.poll(id); a.JSON["status"] != "completed" {
				t.Fatalf("poll: %s", a.Body)
			}
		})
		wantNoSecretsLogged(t, e)
	})
}

func TestOAuthPollingBadState(t *testing.T) {
	oauthDialects(t, oauthEnvOptions{}, func(t *testing.T, e *oauthEnv) {
		for _, p := range oauth.Names {
			t.Run(p, func(t *testing.T) {
				id, authURL := e.start(p, "")
				other, _ := e.start(otherProvider(p), "")
				e.Fake.QueueLogin(p, identities()[p])
				cb := e.authorize(authURL)
				for name, state := range map[string]string{"unknown": oauth.NewSessionID(), "empty": "", "other provider's session": other} {
					bad := withState(cb, state)
					if r := e.follow(bad); r.Status != http.StatusBadRequest || !strings.Contains(r.Body, "<html") {
						t.Fatalf("%s state: %d %s", name, r.Status, r.Body)
					}
				}
				for _, s := range []string{id, other} {
					if a := e.poll(s); a.JSON["status"] != "pending" || a.Body != `{"status":"pending","message":"","data":{}}` {
						t.Fatalf("session %s changed by a bad callback: %s", s, a.Body)
					}
				}
			})
		}
	})
}

func otherProvider(p string) string {
	if p == "discord" {
		return "google"
	}
	return "discord"
}

// withState rewrites a callback's state (in the query, the Apple form, or
// Steam's return_to).
func withState(cb callback, state string) callback {
	if cb.Form != nil {
		f := url.Values{}
		for k, v := range cb.Form {
			f[k] = v
		}
		f.Set("state", state)
		return callback{URL: cb.URL, Form: f}
	}
	u, _ := url.Parse(cb.URL)
	q := u.Query()
	q.Set("state", state)
	u.RawQuery = q.Encode()
	return callback{URL: u.String()}
}

func TestOAuthSessions(t *testing.T) {
	oauthDialects(t, oauthEnvOptions{}, func(t *testing.T, e *oauthEnv) {
		notFound := `{"error":"session_not_found","message":"OAuth session not found"}`
		wantError(t, e.poll(oauth.NewSessionID()), 404, notFound)
		wantError(t, e.do(http.MethodGet, "/api/v1/auth/twitter", "", nil), 400, `{"error":"invalid_provider","message":"Unsupported OAuth provider"}`)

		// A pending session expires after 15 minutes; its callback then fails.
		id, authURL := e.start("discord", "")
		if a := e.poll(id); a.Body != `{"status":"pending","message":"","data":{}}` {
			t.Fatalf("pending: %s", a.Body)
		}
		e.Fake.QueueLogin("discord", identities()["discord"])
		cb := e.authorize(authURL)
		e.Clock.Advance(15*time.Minute + time.Second)
		wantError(t, e.poll(id), 404, notFound)
		if r := e.follow(cb); r.Status != http.StatusBadRequest {
			t.Fatalf("callback of an expired session: %d %s", r.Status, r.Body)
		}

		// A completed session (tokens inside) expires too.
		e.Fake.QueueLogin("discord", identities()["discord"])
		id, _ = e.browserFlow("discord", "")
		if e.poll(id).JSON["status"] != "completed" {
			t.Fatal("sign-in failed")
		}
		page := e.do(http.MethodGet, "/auth/success?session_id="+id, "", nil)
		if page.Status != 200 || !strings.Contains(page.Body, "return to the game") || strings.Contains(page.Body, "token") {
			t.Fatalf("success page: %d %s", page.Status, page.Body)
		}
		e.Clock.Advance(15 * time.Minute)
		wantError(t, e.poll(id), 404, notFound)

		if r := e.do(http.MethodGet, "/auth/twitter/callback?code=x&state=y", "", nil); r.Status != 404 {
			t.Fatalf("unknown provider callback: %d", r.Status)
		}
	})
}

// The authorization URLs carry what each provider needs.
func TestOAuthAuthorizationURLs(t *testing.T) {
	oauthDialects(t, oauthEnvOptions{}, func(t *testing.T, e *oauthEnv) {
		cases := map[string]url.Values{
			"discord":  {"client_id": {oauthtest.ClientID}, "scope": {"identify email"}, "response_type": {"code"}, "redirect_uri": {e.URL + "/auth/discord/callback"}},
			"google":   {"client_id": {oauthtest.ClientID}, "scope": {"email profile"}, "access_type": {"offline"}, "redirect_uri": {e.URL + "/auth/google/callback"}},
			"facebook": {"client_id": {oauthtest.ClientID}, "scope": {"email"}, "redirect_uri": {e.URL + "/auth/facebook/callback"}},
			"apple":    {"client_id": {oauthtest.AppleWebClientID}, "scope": {"name email"}, "response_mode": {"form_post"}, "redirect_uri": {e.URL + "/auth/apple/callback"}},
			"steam": {"openid.mode": {"checkid_setup"}, "openid.ns": {"http://specs.openid.net/auth/2.0"}, "openid.realm": {e.URL},
				"openid.identity": {"http://specs.openid.net/auth/2.0/identifier_select"}},
		}
		for p, want := range cases {
			id, authURL := e.start(p, "")
			u, _ := url.Parse(authURL)
			q := u.Query()
			for k := range want {
				if q.Get(k) != want.Get(k) {
					t.Errorf("%s: %s=%q, want %q", p, k, q.Get(k), want.Get(k))
				}
			}
			state := q.Get("state")
			if p == "steam" {
				state = ""
				if q.Get("openid.return_to") == e.URL+"/auth/steam/callback?state="+id {
					state = id
				}
			}
			if state != id {
				t.Errorf("%s: state/return_to does not carry the session id: %s", p, authURL)
			}
			if strings.Contains(authURL, oauthtest.ClientSecret) {
				t.Errorf("%s: the client secret leaked into the URL", p)
			}
		}
	})
}

// TestOAuthProviderNotConfigured: every OAuth route of a provider (or
// flow) without credentials answers 404 provider_not_configured, never a
// 5xx: the polling start (sign-in and link), the direct exchanges, the
// Apple iOS and Google id_token exchanges, and the browser callbacks (an
// HTML 404 page). Nothing is logged as a failure, no session is created,
// and the routes are documented with that 404.
func TestOAuthProviderNotConfigured(t *testing.T) {
	oauthDialects(t, oauthEnvOptions{config: func(c *oauth.Config) {
		c.Discord, c.Facebook, c.Google, c.GoogleWebClientID = oauth.Credentials{}, oauth.Credentials{}, oauth.Credentials{}, ""
		c.Apple.PrivateKey, c.Apple.KeyID = "", ""
		c.Steam.APIKey, c.Steam.AppID = "", ""
	}}, func(t *testing.T, e *oauthEnv) {
		_, token := e.deviceUser("not-configured-device")
		const want = `{"error":"provider_not_configured"}`
		for _, p := range []string{"discord", "google", "facebook", "apple"} {
			t.Run(p, func(t *testing.T) {
				wantError(t, e.do(http.MethodGet, "/api/v1/auth/"+p, "", nil), 404, want)
				wantError(t, e.do(http.MethodGet, "/api/v1/auth/"+p, token, nil), 404, want)
				wantError(t, e.do(http.MethodPost, "/api/v1/auth/"+p+"/callback", "", map[string]any{"code": "x"}), 404, want)
				wantError(t, e.do(http.MethodPost, "/api/v1/auth/"+p+"/callback", token, map[string]any{}), 404, want)
				var cb answer
				if p == "apple" {
					cb = e.postForm(e.URL+"/auth/apple/callback", url.Values{"code": {"x"}, "state": {"some-state"}})
				} else {
					cb = e.do(http.MethodGet, "/auth/"+p+"/callback?code=x&state=some-state", "", nil)
				}
				if cb.Status != 404 || !strings.Contains(cb.Body, "not configured on this server") {
					t.Fatalf("browser callback: %d %s", cb.Status, cb.Body)
				}
				cb = e.do(http.MethodGet, "/auth/"+p+"/callback?code=x&state="+rest.BrowserStatePrefix+"nonce", "", nil)
				if cb.Status != 404 {
					t.Fatalf("browser sign-in callback: %d %s", cb.Status, cb.Body)
				}
			})
		}
		// Apple off: its form_post callback answers 404 without decoding a
		// compressed body (a bomb would otherwise be decoded up to 413).
		bombReq, _ := http.NewRequest(http.MethodPost, e.URL+"/auth/apple/callback", bytes.NewReader(resttest.GzipBomb(t, 100)))
		bombReq.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		bombReq.Header.Set("Content-Encoding", "gzip")
		if a := e.send(bombReq); a.Status != 404 || !strings.Contains(a.Body, "not configured on this server") {
			t.Fatalf("compressed body to the unconfigured Apple callback: %d %s", a.Status, a.Body)
		}
		wantError(t, e.do(http.MethodPost, "/api/v1/auth/steam/callback", "", map[string]any{"code": "abcd"}), 404, want)
		wantError(t, e.do(http.MethodPost, "/api/v1/auth/apple/ios/callback", "", map[string]any{"code": "abcd"}), 404, want)
		wantError(t, e.do(http.MethodPost, "/api/v1/auth/google/id_token", "", map[string]any{"id_token": "x"}), 404, want)
		// A provider that is configured still answers as before.
		if a := e.do(http.MethodGet, "/api/v1/auth/steam", "", nil); a.Status != 200 {
			t.Fatalf("steam OpenID needs no credentials: %d %s", a.Status, a.Body)
		}
		wantError(t, e.do(http.MethodGet, "/api/v1/auth/myspace", "", nil), 400, `{"error":"invalid_provider","message":"Unsupported OAuth provider"}`)
		var sessions int
		if err := e.DB.QueryRow(context.Background(), `SELECT count(*) FROM oauth_sessions`).Scan(&sessions); err != nil || sessions != 1 {
			t.Fatalf("oauth sessions: %d %v (only steam's)", sessions, err)
		}
		if logs := e.Logs.String(); strings.Contains(logs, `"level":"ERROR"`) {
			t.Fatalf("an unconfigured provider logged an error:\n%s", logs)
		}

		var doc struct {
			Paths map[string]map[string]struct {
				Responses map[string]struct {
					Description string `json:"description"`
				} `json:"responses"`
			} `json:"paths"`
		}
		if err := json.Unmarshal([]byte(e.do(http.MethodGet, "/api/openapi", "", nil).Body), &doc); err != nil {
			t.Fatal(err)
		}
		for _, op := range [][2]string{{"/api/v1/auth/{provider}", "get"}, {"/api/v1/auth/{provider}/callback", "post"},
			{"/api/v1/auth/apple/ios/callback", "post"}, {"/api/v1/auth/google/id_token", "post"},
			{"/auth/{provider}/callback", "get"}, {"/auth/apple/callback", "post"}} {
			if d := doc.Paths[op[0]][op[1]].Responses["404"].Description; !strings.Contains(d, "not configured") {
				t.Errorf("%s %s: 404 documented as %q", op[1], op[0], d)
			}
		}
	})
}

func TestOAuthDocumentedAndRateLimited(t *testing.T) {
	oauthDialects(t, oauthEnvOptions{}, func(t *testing.T, e *oauthEnv) {
		doc := e.do(http.MethodGet, "/api/openapi", "", nil)
		for _, op := range []string{"oauth_request", "oauth_api_callback", "oauth_callback_api_apple_ios", "oauth_google_id_token",
			"oauth_session_status", "oauth_browser_callback", "oauth_browser_callback_apple", "oauth_success",
			`"/api/v1/auth/{provider}/callback"`, `"/api/v1/auth/session/{session_id}"`, `"authorization_url"`, `"link_user_id"`} {
			if !strings.Contains(doc.Body, op) {
				t.Errorf("OpenAPI document lacks %s", op)
			}
		}
	})
	if rest.BucketFor("/api/v1/auth/session/x") != rest.BucketGeneral {
		t.Error("session polling must use the general bucket (SDKs poll every second)")
	}
	for _, p := range []string{"/api/v1/auth/discord", "/api/v1/auth/discord/callback", "/api/v1/auth/apple/ios/callback",
		"/api/v1/auth/google/id_token", "/auth/discord/callback", "/auth/apple/callback", "/auth/success"} {
		if rest.BucketFor(p) != rest.BucketAuth {
			t.Errorf("%s is not in the auth rate-limit bucket", p)
		}
	}
}

// wantNoSecretsLogged checks the server log for provider secrets.
func wantNoSecretsLogged(t *testing.T, e *oauthEnv) {
	t.Helper()
	logs := e.Logs.String()
	for _, s := range []string{oauthtest.ClientSecret, oauthtest.SteamAPIKey, "fakecode-", "fakeat-", "fakeidt-", "openid.sig", "eyJ",
		"provider down", "broken", "code is invalid"} {
		if strings.Contains(logs, s) {
			t.Errorf("the server log contains %q", s)
		}
	}
}
