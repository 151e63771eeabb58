package rest_test

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"testing"

	"github.com/gamend-go/gamend/auth"
	"github.com/gamend-go/gamend/auth/oauth"
	"github.com/gamend-go/gamend/auth/oauth/oauthtest"
	"github.com/gamend-go/gamend/persistence/users"
)

// E-mail matching (API.md §2.3): only a verified e-mail links to an
// existing account, never Facebook's; existing profile fields are kept.
func TestOAuthEmailRules(t *testing.T) {
	oauthDialects(t, oauthEnvOptions{}, func(t *testing.T, e *oauthEnv) {
		for _, p := range []string{"google", "discord", "apple", "facebook"} {
			t.Run(p+"/unverified email does not link", func(t *testing.T) {
				email := p + "-taken@example.com"
				owner, _ := e.passwordUser(email)
				n := e.countUsers()
				who := oauthtest.Identity{ID: p + "-unverified-1", Email: email, Verified: p == "facebook", Name: "Mallory"}
				e.Fake.QueueLogin(p, who)
				id, _ := e.browserFlow(p, "")
				a := e.poll(id)
				if a.JSON["status"] != "error" || a.Body != `{"status":"error","message":"","data":{"details":{"email":["has already been taken"]}}}` {
					t.Fatalf("poll: %s", a.Body)
				}
				if u := e.user(owner); len(u.ProviderIDs) != 0 || e.countUsers() != n {
					t.Fatalf("the existing account was linked (%v) or an account created (%d users, want %d)", u.ProviderIDs, e.countUsers(), n)
				}
			})
		}
		for _, p := range []string{"google", "discord", "apple"} {
			t.Run(p+"/verified email links, keeps the profile", func(t *testing.T) {
				email := p + "-owner@example.com"
				row, err := e.Auth.CreateUser(context.Background(), users.New{Email: email, DisplayName: "Keep Me"})
				if err != nil {
					t.Fatal(err)
				}
				who := oauthtest.Identity{ID: p + "-verified-1", Email: email, Verified: true, Name: "Other Name", Avatar: "https://img.example.com/" + p + ".png"}
				if p == "discord" {
					who.Avatar = "abcdef0123456789"
				}
				e.Fake.QueueLogin(p, who)
				id, _ := e.browserFlow(p, "")
				a := e.poll(id)
				if a.JSON["status"] != "completed" || a.data()["user_id"] != row.ID {
					t.Fatalf("poll: %s (want user %s)", a.Body, row.ID)
				}
				u := e.user(row.ID)
				if u.ProviderIDs[p] != who.ID || u.DisplayName != "Keep Me" || u.Email != email {
					t.Fatalf("account after linking: providers %v display %q email %q", u.ProviderIDs, u.DisplayName, u.Email)
				}
				if p != "apple" && u.ProfileURL == "" {
					t.Fatalf("the empty profile_url was not filled from the provider")
				}
			})
		}
		t.Run("never overwrites email, display name, avatar", func(t *testing.T) {
			who := oauthtest.Identity{ID: "4242", Email: "first@example.com", Verified: true, Name: "First", Avatar: "https://img.example.com/first.png"}
			e.Fake.QueueLogin("google", who)
			id, _ := e.browserFlow("google", "")
			uid := e.poll(id).data()["user_id"].(string)
			who.Email, who.Name, who.Avatar = "second@example.com", "Second", "https://img.example.com/second.png"
			e.Fake.QueueLogin("google", who)
			id, _ = e.browserFlow("google", "")
			if got := e.poll(id).data()["user_id"]; got != uid {
				t.Fatalf("user %v, want %s", got, uid)
			}
			u := e.user(uid)
			if u.Email != "first@example.com" || u.DisplayName != "First" || u.ProfileURL != "https://img.example.com/first.png" {
				t.Fatalf("profile overwritten: %q %q %q", u.Email, u.DisplayName, u.ProfileURL)
			}
		})
	})
}

func TestOAuthActivation(t *testing.T) {
	oauthDialects(t, oauthEnvOptions{requireActivation: true}, func(t *testing.T, e *oauthEnv) {
		admin, _ := e.deviceUser("admin-device") // the first account is an active admin
		if !e.user(admin).IsAdmin {
			t.Fatal("first account is not admin")
		}
		e.Fake.QueueLogin("discord", identities()["discord"])
		id, _ := e.browserFlow("discord", "")
		if a := e.poll(id); a.Body != `{"status":"error","message":"Your account is pending activation by an administrator.","data":{"error":"account_not_activated"}}` {
			t.Fatalf("poll: %s", a.Body)
		}
		if e.countUsers() != 2 {
			t.Fatalf("the account was not created (pending activation)")
		}
		code := e.Fake.Code("discord", identities()["discord"])
		wantError(t, e.do(http.MethodPost, "/api/v1/auth/discord/callback", "", map[string]string{"code": code}), 403,
			`{"error":"account_not_activated","message":"Your account is pending activation by an administrator."}`)
	})
}

func TestOAuthLinking(t *testing.T) {
	oauthDialects(t, oauthEnvOptions{}, func(t *testing.T, e *oauthEnv) {
		ids := identities()
		bob, bobToken := e.deviceUser("bob-device")

		// Link Google to Bob through the polling flow.
		e.Fake.QueueLogin("google", ids["google"])
		id, authURL := e.start("google", bobToken)
		if a := e.poll(id); a.Body != `{"status":"pending","message":"","data":{"link_user_id":"`+bob+`"}}` {
			t.Fatalf("pending link: %s", a.Body)
		}
		if r := e.follow(e.authorize(authURL)); r.Status != http.StatusFound {
			t.Fatalf("callback: %d %s", r.Status, r.Body)
		}
		if a := e.poll(id); a.Body != `{"status":"completed","message":"","data":{"linked":true,"provider":"google_id"}}` {
			t.Fatalf("link: %s", a.Body)
		}
		if u := e.user(bob); u.ProviderIDs["google"] != ids["google"].ID || u.DisplayName != ids["google"].Name {
			t.Fatalf("after link: providers %v display %q", u.ProviderIDs, u.DisplayName)
		}
		// Signing in with Google now reaches Bob.
		e.Fake.QueueLogin("google", ids["google"])
		id, _ = e.browserFlow("google", "")
		if got := e.poll(id).data()["user_id"]; got != bob {
			t.Fatalf("google sign-in reached %v, want %s", got, bob)
		}

		// Discord belongs to Alice: Bob cannot link it.
		e.Fake.QueueLogin("discord", ids["discord"])
		id, _ = e.browserFlow("discord", "")
		alice := e.poll(id).data()["user_id"]
		e.Fake.QueueLogin("discord", ids["discord"])
		id, _ = e.browserFlow("discord", bobToken)
		if a := e.poll(id); a.Body != `{"status":"error","message":"This provider is already linked to another account","data":{"error":"provider_already_linked"}}` {
			t.Fatalf("conflict: %s", a.Body)
		}
		if _, linked := e.user(bob).ProviderIDs["discord"]; linked || e.user(alice.(string)).ProviderIDs["discord"] != ids["discord"].ID {
			t.Fatal("the conflicting link changed an account")
		}

		// A bad bearer token never fails: the flow is a sign-in.
		if a := e.do(http.MethodGet, "/api/v1/auth/steam", "not-a-jwt", nil); a.Status != 200 {
			t.Fatalf("bad bearer: %d %s", a.Status, a.Body)
		} else if p := e.poll(a.JSON["session_id"].(string)); p.Body != `{"status":"pending","message":"","data":{}}` {
			t.Fatalf("bad bearer made a link session: %s", p.Body)
		}

		// The account to link to is deleted before the callback.
		carol, carolToken := e.deviceUser("carol-device")
		e.Fake.QueueLogin("facebook", ids["facebook"])
		id, authURL = e.start("facebook", carolToken)
		if r := e.do(http.MethodDelete, "/api/v1/me", carolToken, nil); r.Status != 200 {
			t.Fatalf("delete carol: %d %s", r.Status, r.Body)
		}
		e.follow(e.authorize(authURL))
		if a := e.poll(id); a.Body != `{"status":"error","message":"The user to link to was not found","data":{"error":"user_not_found"}}` {
			t.Fatalf("vanished link user %s: %s", carol, a.Body)
		}

		// Unlink through /me: the last provider stays.
		e.Fake.QueueLogin("steam", ids["steam"])
		e.browserFlow("steam", bobToken)
		if r := e.do(http.MethodDelete, "/api/v1/me/providers/google", bobToken, nil); r.Status != 200 || r.Body != "{}" {
			t.Fatalf("unlink google: %d %s", r.Status, r.Body)
		}
		wantError(t, e.do(http.MethodDelete, "/api/v1/me/providers/steam", bobToken, nil), 400, `{"error":"Cannot unlink the last linked provider"}`)
		wantError(t, e.do(http.MethodDelete, "/api/v1/me/providers/twitter", bobToken, nil), 400, `{"error":"Unknown provider"}`)
		if u := e.user(bob); u.ProviderIDs["steam"] != ids["steam"].ID || u.ProviderIDs["google"] != "" {
			t.Fatalf("after unlink: %v", u.ProviderIDs)
		}
		// Bob's e-mail came from Google (verified): signing in with the
		// unlinked Google identity links it back to Bob by e-mail.
		e.Fake.QueueLogin("google", ids["google"])
		id, _ = e.browserFlow("google", "")
		if got := e.poll(id).data()["user_id"]; got != bob || e.user(bob).ProviderIDs["google"] != ids["google"].ID {
			t.Fatalf("unlinked google signed in to %v, want %s relinked by e-mail", got, bob)
		}
		// The same rule through the service.
		if err := e.Auth.UnlinkProvider(context.Background(), bob, "google"); err != nil {
			t.Fatal(err)
		}
		if err := e.Auth.UnlinkProvider(context.Background(), bob, "steam"); !errors.Is(err, auth.ErrLastMethod) {
			t.Fatalf("UnlinkProvider of the last provider: %v", err)
		}
	})
}

// TestOAuthSpoofingNameSanitised: a provider name holding bidi, zero-width
// or control characters never fails a sign-in or a link: the characters
// are stripped from the display name, and a provider name that spells a
// reserved username does not become one ("admin-1234" neither).
func TestOAuthSpoofingNameSanitised(t *testing.T) {
	oauthDialects(t, oauthEnvOptions{}, func(t *testing.T, e *oauthEnv) {
		for i, p := range oauth.Names {
			t.Run(p, func(t *testing.T) {
				id := func(kind int) string { // Steam ids are 17 digits
					if p == oauth.Steam {
						return fmt.Sprintf("76561197%09d", 10*i+kind)
					}
					return fmt.Sprintf("%s-spoof-%d-%d", p, i, kind)
				}
				who := oauthtest.Identity{ID: id(1), Name: "\u202eEvil\u200b Gamer\x1b[31m\u2066"}
				e.Fake.QueueLogin(p, who)
				sess, _ := e.browserFlow(p, "")
				a := e.poll(sess)
				if a.JSON["status"] != "completed" {
					t.Fatalf("sign-in: %s", a.Body)
				}
				me := e.whoami(a.data()["access_token"].(string))
				if me.JSON["display_name"] != "Evil Gamer[31m" {
					t.Fatalf("display name %q", me.JSON["display_name"])
				}
				if u, _ := me.JSON["username"].(string); !strings.HasPrefix(u, "evil-gamer-31m-") {
					t.Fatalf("username %q", u)
				}

				// A reserved name is displayed, but is not the username stem.
				who = oauthtest.Identity{ID: id(2), Name: "Admin"}
				e.Fake.QueueLogin(p, who)
				sess, _ = e.browserFlow(p, "")
				me = e.whoami(e.poll(sess).data()["access_token"].(string))
				if u, _ := me.JSON["username"].(string); me.JSON["display_name"] != "Admin" || strings.HasPrefix(u, "admin") || auth.ReservedUsername(u) {
					t.Fatalf("display name %q, username %q", me.JSON["display_name"], u)
				}

				// Linking fills an empty display name, sanitised too.
				_, token := e.deviceUser(p + "-spoof-device")
				who = oauthtest.Identity{ID: id(3), Name: "Linked\u200d\u202e Name"}
				e.Fake.QueueLogin(p, who)
				sess, _ = e.browserFlow(p, token)
				if a := e.poll(sess); a.JSON["status"] != "completed" {
					t.Fatalf("link: %s", a.Body)
				}
				if me := e.whoami(token); me.JSON["display_name"] != "Linked Name" {
					t.Fatalf("linked display name %q", me.JSON["display_name"])
				}
			})
		}
	})
}
