package rest_test

import (
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/gamend-go/gamend/auth/oauth"
	"github.com/gamend-go/gamend/auth/oauth/oauthtest"
)

// directRequest is one direct-exchange request for a provider identity.
type directRequest struct {
	name, path, field string
	credential        func(e *oauthEnv, who oauthtest.Identity) string
}

func directRequests() []directRequest {
	code := func(p string) func(e *oauthEnv, who oauthtest.Identity) string {
		return func(e *oauthEnv, who oauthtest.Identity) string { return e.Fake.Code(p, who) }
	}
	return []directRequest{
		{"discord", "/api/v1/auth/discord/callback", "code", code("discord")},
		{"google", "/api/v1/auth/google/callback", "code", code("google")},
		{"facebook", "/api/v1/auth/facebook/callback", "code", code("facebook")},
		{"apple", "/api/v1/auth/apple/callback", "code", code("apple")},
		{"apple", "/api/v1/auth/apple/ios/callback", "code", code("apple")},
		{"steam", "/api/v1/auth/steam/callback", "code", func(e *oauthEnv, who oauthtest.Identity) string { return e.Fake.SteamTicket(who) }},
		{"google", "/api/v1/auth/google/id_token", "id_token", func(e *oauthEnv, who oauthtest.Identity) string { return e.Fake.GoogleIDToken(who, nil) }},
	}
}

func TestOAuthDirectExchange(t *testing.T) {
	oauthDialects(t, oauthEnvOptions{}, func(t *testing.T, e *oauthEnv) {
		for i, r := range directRequests() {
			t.Run(r.path, func(t *testing.T) {
				who := identities()[r.name]
				who.ID += "-" + string(rune('a'+i)) // a fresh account per route
				if r.name == "steam" {
					who.ID = "7656119796028793" + string(rune('0'+i))
				}
				who.Email = strings.Replace(who.Email, "@", "+"+string(rune('a'+i))+"@", 1)
				cred := r.credential(e, who)
				a := e.do(http.MethodPost, r.path, "", map[string]string{r.field: cred})
				if a.Status != 200 {
					t.Fatalf("%d %s", a.Status, a.Body)
				}
				wantKeys(t, a.JSON, "data")
				wantKeys(t, a.data(), "access_token", "refresh_token", "expires_in", "user_id")
				if a.data()["expires_in"] != float64(900) {
					t.Fatalf("expires_in %v", a.data()["expires_in"])
				}
				me := e.whoami(a.data()["access_token"].(string))
				if prov, _ := me.JSON["providers"].(map[string]any); me.Status != 200 || prov[r.name] != who.ID {
					t.Fatalf("whoami: %d %s", me.Status, me.Body)
				}
				if r.field == "code" && r.name != "steam" {
					// The code is single-use.
					wantError(t, e.do(http.MethodPost, r.path, "", map[string]string{"code": cred}), 400,
						`{"error":"exchange_failed","details":"authentication_failed"}`)
				}
				// With a bearer access token the same identity links instead;
				// here it belongs to another account.
				_, tok := e.deviceUser("direct-" + r.path)
				wantError(t, e.do(http.MethodPost, r.path, tok, map[string]string{r.field: r.credential(e, who)}), 409,
					`{"error":"provider_already_linked","message":"This provider is already linked to another account"}`)
				// A fresh identity links.
				fresh := who
				fresh.ID, fresh.Email = who.ID+"9", ""
				if r.name == "steam" {
					fresh.ID = who.ID[:16] + "9"
				}
				a = e.do(http.MethodPost, r.path, tok, map[string]string{r.field: r.credential(e, fresh)})
				if a.Body != `{"data":{"linked":true,"provider":"`+r.name+`_id"}}` {
					t.Fatalf("link: %d %s", a.Status, a.Body)
				}
			})
		}
		wantNoSecretsLogged(t, e)
	})
}

func TestOAuthDirectErrors(t *testing.T) {
	oauthDialects(t, oauthEnvOptions{}, func(t *testing.T, e *oauthEnv) {
		post := func(path, token string, body any) answer { return e.do(http.MethodPost, path, token, body) }
		failed := `{"error":"exchange_failed","details":"authentication_failed"}`
		wantError(t, post("/api/v1/auth/steam/callback", "", map[string]any{}), 400,
			`{"error":"missing_param","message":"code (the Steam auth-session ticket, hex) is required"}`)
		for _, p := range []string{"/api/v1/auth/discord/callback", "/api/v1/auth/twitter/callback"} {
			if a := post(p, "", map[string]any{}); a.Status != 400 || a.JSON["error"] != "missing_or_unsupported" {
				t.Fatalf("%s: %d %s", p, a.Status, a.Body)
			}
		}
		if a := post("/api/v1/auth/twitter/callback", "", map[string]any{"code": "x"}); a.JSON["error"] != "missing_or_unsupported" {
			t.Fatalf("unknown provider: %s", a.Body)
		}
		wantError(t, post("/api/v1/auth/apple/ios/callback", "", map[string]any{}), 400, `{"error":"missing_code"}`)
		wantError(t, post("/api/v1/auth/google/id_token", "", map[string]any{}), 400, `{"error":"missing_param","message":"id_token is required"}`)
		wantError(t, post("/api/v1/auth/discord/callback", "", map[string]any{"code": "unknown"}), 400, failed)
		wantError(t, post("/api/v1/auth/steam/callback", "", map[string]any{"code": "not hex!"}), 400, failed)
		wantError(t, post("/api/v1/auth/steam/callback", "", map[string]any{"code": "abcdef0123"}), 400, failed) // Steam rejects it

		who := identities()["discord"]
		for _, f := range []struct{ path, step, mode string }{
			{"/api/v1/auth/discord/callback", oauthtest.StepToken, oauthtest.Fail500},
			{"/api/v1/auth/discord/callback", oauthtest.StepProfile, oauthtest.FailBadJSON},
			{"/api/v1/auth/facebook/callback", oauthtest.StepProfile, oauthtest.Fail500},
			{"/api/v1/auth/apple/ios/callback", oauthtest.StepToken, oauthtest.FailBadJSON},
		} {
			e.Fake.FailNext(f.step, f.mode)
			prov := strings.Split(f.path, "/")[4]
			wantError(t, post(f.path, "", map[string]any{"code": e.Fake.Code(prov, who)}), 400, failed)
		}
		e.Fake.FailNext(oauthtest.StepTicket, oauthtest.Fail500)
		wantError(t, post("/api/v1/auth/steam/callback", "", map[string]any{"code": e.Fake.SteamTicket(identities()["steam"])}), 400, failed)
		e.Fake.FailNext(oauthtest.StepTokeninfo, oauthtest.FailBadJSON)
		wantError(t, post("/api/v1/auth/google/id_token", "", map[string]any{"id_token": e.Fake.GoogleIDToken(who, nil)}), 400,
			`{"error":"invalid_token","details":"authentication_failed"}`)
		// A profile without an id.
		wantError(t, post("/api/v1/auth/discord/callback", "", map[string]any{"code": e.Fake.Code("discord", oauthtest.Identity{Name: "no id"})}), 400,
			`{"error":"exchange_failed","details":"missing id/email"}`)
		// Unverified e-mail of an existing account.
		e.passwordUser("direct-owner@example.com")
		a := post("/api/v1/auth/discord/callback", "", map[string]any{"code": e.Fake.Code("discord", oauthtest.Identity{ID: "555", Email: "direct-owner@example.com"})})
		wantError(t, a, 400, `{"error":"create_failed","details":{"email":["has already been taken"]}}`)
		if e.countUsers() != 1 {
			t.Fatalf("failed exchanges created accounts: %d users", e.countUsers())
		}
		wantNoSecretsLogged(t, e)
	})
}

// Steam ticket auth takes the license owner's id (API.md §4.2 mapping).
func TestOAuthSteamTicketOwner(t *testing.T) {
	oauthDialects(t, oauthEnvOptions{}, func(t *testing.T, e *oauthEnv) {
		who := oauthtest.Identity{ID: "76561197960000001", OwnerID: "76561197960000002", Name: "Borrower"}
		e.Fake.SteamPlayer(oauthtest.Identity{ID: who.OwnerID, Name: "Owner", Avatar: "https://avatars.steamstatic.com/owner.jpg"})
		a := e.do(http.MethodPost, "/api/v1/auth/steam/callback", "", map[string]any{"code": e.Fake.SteamTicket(who)})
		if a.Status != 200 {
			t.Fatalf("%d %s", a.Status, a.Body)
		}
		u := e.user(a.data()["user_id"].(string))
		if u.ProviderIDs["steam"] != who.OwnerID || u.DisplayName != "Owner" {
			t.Fatalf("steam id %q display %q", u.ProviderIDs["steam"], u.DisplayName)
		}
	})
}

func TestOAuthGoogleIDToken(t *testing.T) {
	oauthDialects(t, oauthEnvOptions{}, func(t *testing.T, e *oauthEnv) {
		who := identities()["google"]
		path := "/api/v1/auth/google/id_token"
		tok := func(extra map[string]any) map[string]any {
			return map[string]any{"id_token": e.Fake.GoogleIDToken(who, extra)}
		}
		wantError(t, e.do(http.MethodPost, path, "", tok(map[string]any{"aud": "someone-else"})), 400, `{"error":"invalid_token","message":"Invalid audience"}`)
		wantError(t, e.do(http.MethodPost, path, "", tok(map[string]any{"iss": "https://evil.example.com"})), 400, `{"error":"invalid_token","message":"Invalid issuer"}`)
		wantError(t, e.do(http.MethodPost, path, "", tok(map[string]any{"exp": time.Now().Add(-time.Minute).Unix()})), 400, `{"error":"invalid_token","message":"Token expired"}`)
		wantError(t, e.do(http.MethodPost, path, "", map[string]any{"id_token": "forged"}), 400, `{"error":"invalid_token","details":"authentication_failed"}`)
		// The web client id is an accepted audience too, and iss without scheme.
		a := e.do(http.MethodPost, path, "", tok(map[string]any{"aud": oauthtest.GoogleWebClientID, "iss": "accounts.google.com"}))
		if a.Status != 200 || a.data()["user_id"] == nil {
			t.Fatalf("web audience: %d %s", a.Status, a.Body)
		}
		if u := e.user(a.data()["user_id"].(string)); u.Email != who.Email || u.DisplayName != who.Name || u.ProfileURL != who.Avatar || u.ConfirmedAt == nil {
			t.Fatalf("account %+v", u)
		}
	})
	oauthDialects(t, oauthEnvOptions{config: func(c *oauth.Config) { c.Google, c.GoogleWebClientID = oauth.Credentials{}, "" }},
		func(t *testing.T, e *oauthEnv) {
			a := e.do(http.MethodPost, "/api/v1/auth/google/id_token", "", map[string]any{"id_token": "x"})
			if a.Status != 404 || a.JSON["error"] != "provider_not_configured" {
				t.Fatalf("%d %s", a.Status, a.Body)
			}
			for _, p := range []string{"/api/v1/auth/google/callback"} {
				if a := e.do(http.MethodPost, p, "", map[string]any{"code": "x"}); a.Status != 404 || a.JSON["error"] != "provider_not_configured" {
					t.Fatalf("%s: %d %s", p, a.Status, a.Body)
				}
			}
		})
	oauthDialects(t, oauthEnvOptions{config: func(c *oauth.Config) { c.Steam.AppID, c.Apple.IOSClientID = "", "" }},
		func(t *testing.T, e *oauthEnv) {
			for _, p := range []string{"/api/v1/auth/steam/callback", "/api/v1/auth/apple/ios/callback"} {
				if a := e.do(http.MethodPost, p, "", map[string]any{"code": "abcd"}); a.Status != 404 || a.JSON["error"] != "provider_not_configured" {
					t.Fatalf("%s: %d %s", p, a.Status, a.Body)
				}
			}
		})
}
