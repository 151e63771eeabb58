package rest_test

import (
	"context"
	"fmt"
	"net/http"
	"regexp"
	"strings"
	"testing"

	"github.com/gamend-go/gamend/auth/oauth"
	"github.com/gamend-go/gamend/auth/oauth/oauthtest"
	"github.com/gamend-go/gamend/persistence"
)

// freshIdentity is a provider account nobody has used yet, without an
// e-mail (so no e-mail matching interferes). Steam ids are 17 digits.
func freshIdentity(p string, n int) oauthtest.Identity {
	if p == "steam" {
		return oauthtest.Identity{ID: fmt.Sprintf("7656119800000%04d", n), Name: fmt.Sprintf("Steam Player %d", n)}
	}
	return oauthtest.Identity{ID: fmt.Sprintf("%s-fresh-%d", p, n), Name: fmt.Sprintf("Fresh %s %d", p, n)}
}

// directFailure is a provider-side failure during a direct exchange.
type directFailure struct {
	path, field, step, mode string
	body                    string // the expected 400 body
}

const exchangeFailed = `{"error":"exchange_failed","details":"authentication_failed"}`

// directFailures lists, per provider, every direct-exchange route with
// each provider step it calls failing.
func directFailures(p string) []directFailure {
	cb := "/api/v1/auth/" + p + "/callback"
	switch p {
	case "discord", "facebook":
		return []directFailure{
			{cb, "code", oauthtest.StepToken, oauthtest.Fail500, exchangeFailed},
			{cb, "code", oauthtest.StepToken, oauthtest.FailBadJSON, exchangeFailed},
			{cb, "code", oauthtest.StepProfile, oauthtest.Fail500, exchangeFailed},
			{cb, "code", oauthtest.StepProfile, oauthtest.FailBadJSON, exchangeFailed},
		}
	case "google":
		return []directFailure{
			{cb, "code", oauthtest.StepToken, oauthtest.Fail500, exchangeFailed},
			{cb, "code", oauthtest.StepToken, oauthtest.FailBadJSON, exchangeFailed},
			{cb, "code", oauthtest.StepProfile, oauthtest.Fail500, exchangeFailed},
			{cb, "code", oauthtest.StepProfile, oauthtest.FailBadJSON, exchangeFailed},
			{"/api/v1/auth/google/id_token", "id_token", oauthtest.StepTokeninfo, oauthtest.Fail500, `{"error":"invalid_token","details":"authentication_failed"}`},
		}
	case "apple":
		return []directFailure{
			// The JWKS first: later calls would use the cached keys.
			{cb, "code", oauthtest.StepKeys, oauthtest.Fail500, exchangeFailed},
			{cb, "code", oauthtest.StepToken, oauthtest.Fail500, exchangeFailed},
			{cb, "code", oauthtest.StepToken, oauthtest.FailBadJSON, exchangeFailed},
			{"/api/v1/auth/apple/ios/callback", "code", oauthtest.StepToken, oauthtest.Fail500, exchangeFailed},
		}
	case "steam":
		return []directFailure{
			{cb, "code", oauthtest.StepTicket, oauthtest.Fail500, exchangeFailed},
			{cb, "code", oauthtest.StepTicket, oauthtest.FailBadJSON, exchangeFailed},
		}
	}
	return nil
}

// credential mints what the route takes for who.
func credential(e *oauthEnv, p, path string, who oauthtest.Identity) string {
	switch {
	case strings.HasSuffix(path, "/id_token"):
		return e.Fake.GoogleIDToken(who, nil)
	case p == "steam":
		return e.Fake.SteamTicket(who)
	}
	return e.Fake.Code(p, who)
}

// TestOAuthProviderMatrix runs, for every provider, what the other OAuth
// tests show for some: a provider failing during a direct exchange (each
// route, each provider call), provider_already_linked and linking in the
// polling flow (bearer on GET /auth/:provider), unlinking through
// DELETE /me/providers/:provider, and the refusal to unlink the last
// linked provider.
func TestOAuthProviderMatrix(t *testing.T) {
	oauthDialects(t, oauthEnvOptions{}, func(t *testing.T, e *oauthEnv) {
		for i, p := range oauth.Names {
			t.Run(p, func(t *testing.T) {
				t.Run("direct exchange: provider error", func(t *testing.T) {
					n := e.countUsers()
					for _, f := range directFailures(p) {
						who := freshIdentity(p, 100+i)
						cred := credential(e, p, f.path, who)
						e.Fake.FailNext(f.step, f.mode)
						before := e.Fake.CallCount(f.step)
						wantError(t, e.do(http.MethodPost, f.path, "", map[string]string{f.field: cred}), 400, f.body)
						if e.Fake.CallCount(f.step) != before+1 {
							t.Fatalf("%s %s/%s: the failing step was not called", f.path, f.step, f.mode)
						}
						e.Fake.FailNext(f.step, "") // disarm, should the step not have consumed it
					}
					// A credential the provider does not know.
					bogus := "fakecode-unknown"
					if p == "steam" {
						bogus = "abcdef0123456789"
					}
					wantError(t, e.do(http.MethodPost, "/api/v1/auth/"+p+"/callback", "", map[string]string{"code": bogus}), 400, exchangeFailed)
					if e.countUsers() != n {
						t.Fatalf("failed exchanges created accounts: %d users, want %d", e.countUsers(), n)
					}
				})

				// The identity of another account.
				taken := freshIdentity(p, 200+i)
				e.Fake.QueueLogin(p, taken)
				id, _ := e.browserFlow(p, "")
				owner, _ := e.poll(id).data()["user_id"].(string)
				if owner == "" {
					t.Fatalf("sign-in of the owner failed: %s", e.poll(id).Body)
				}
				linker, token := e.deviceUser("matrix-linker-" + p)

				t.Run("polling: provider_already_linked", func(t *testing.T) {
					e.Fake.QueueLogin(p, taken)
					id, _ := e.browserFlow(p, token)
					if a := e.poll(id); a.Body != `{"status":"error","message":"This provider is already linked to another account","data":{"error":"provider_already_linked"}}` {
						t.Fatalf("poll: %s", a.Body)
					}
					if _, linked := e.user(linker).ProviderIDs[p]; linked || e.user(owner).ProviderIDs[p] != taken.ID {
						t.Fatalf("the refused link changed an account: linker %v owner %v", e.user(linker).ProviderIDs, e.user(owner).ProviderIDs)
					}
				})

				mine := freshIdentity(p, 300+i)
				t.Run("polling: link", func(t *testing.T) {
					e.Fake.QueueLogin(p, mine)
					id, authURL := e.start(p, token)
					if a := e.poll(id); a.Body != `{"status":"pending","message":"","data":{"link_user_id":"`+linker+`"}}` {
						t.Fatalf("pending link: %s", a.Body)
					}
					if r := e.follow(e.authorize(authURL)); r.Status != http.StatusFound {
						t.Fatalf("callback: %d %s", r.Status, r.Body)
					}
					if a := e.poll(id); a.Body != `{"status":"completed","message":"","data":{"linked":true,"provider":"`+p+`_id"}}` {
						t.Fatalf("link: %s", a.Body)
					}
					if got := e.user(linker).ProviderIDs[p]; got != mine.ID {
						t.Fatalf("linked %s id %q, want %q", p, got, mine.ID)
					}
					me := e.do(http.MethodGet, "/api/v1/me", token, nil)
					if prov, _ := me.JSON["linked_providers"].(map[string]any); prov[p] != true || prov["device"] != true {
						t.Fatalf("/me after linking: %s", me.Body)
					}
					// Signing in with the linked identity reaches the linker.
					e.Fake.QueueLogin(p, mine)
					id, _ = e.browserFlow(p, "")
					if got := e.poll(id).data()["user_id"]; got != linker {
						t.Fatalf("sign-in with the linked identity reached %v, want %s", got, linker)
					}
				})

				t.Run("unlink: refused for the last provider", func(t *testing.T) {
					// The linker also has a device id, but only OAuth ids count.
					for _, tok := range []string{token, e.tokenOf(owner)} {
						wantError(t, e.do(http.MethodDelete, "/api/v1/me/providers/"+p, tok, nil), 400, `{"error":"Cannot unlink the last linked provider"}`)
					}
					if e.user(linker).ProviderIDs[p] != mine.ID || e.user(owner).ProviderIDs[p] != taken.ID {
						t.Fatal("a refused unlink removed the provider")
					}
				})

				t.Run("unlink", func(t *testing.T) {
					other := otherProvider(p)
					e.Fake.QueueLogin(other, freshIdentity(other, 400+i))
					id, _ := e.browserFlow(other, token)
					if a := e.poll(id); a.JSON["status"] != "completed" {
						t.Fatalf("linking %s: %s", other, a.Body)
					}
					r := e.do(http.MethodDelete, "/api/v1/me/providers/"+p, token, nil)
					if r.Status != 200 || r.Body != "{}" {
						t.Fatalf("unlink: %d %s", r.Status, r.Body)
					}
					u := e.user(linker)
					if _, linked := u.ProviderIDs[p]; linked || u.ProviderIDs[other] == "" || u.DeviceID == "" {
						t.Fatalf("after unlink: providers %v device %q", u.ProviderIDs, u.DeviceID)
					}
					me := e.do(http.MethodGet, "/api/v1/me", token, nil)
					if prov, _ := me.JSON["linked_providers"].(map[string]any); prov[p] != false || prov[other] != true {
						t.Fatalf("/me after unlinking: %s", me.Body)
					}
					// The unlinked identity now signs in to an account of its own.
					n := e.countUsers()
					e.Fake.QueueLogin(p, mine)
					id, _ = e.browserFlow(p, "")
					if got := e.poll(id).data()["user_id"]; got == linker || got == nil || e.countUsers() != n+1 {
						t.Fatalf("sign-in with the unlinked identity reached %v (linker %s), users %d (want %d)", got, linker, e.countUsers(), n+1)
					}
				})
			})
		}
		wantNoSecretsLogged(t, e)
	})
}

// tokenOf signs the user in (fixtures: a token without a sign-in flow).
func (e *oauthEnv) tokenOf(userID string) string {
	e.t.Helper()
	u := e.user(userID)
	p, err := e.Auth.Tokens().Pair(u.ID, u.TokenVersion)
	if err != nil {
		e.t.Fatal(err)
	}
	return p.AccessToken
}

// TestOAuthUsernames checks the generated usernames of API.md §2.3 over
// HTTP: the slug of the provider's display name plus -NNNN, at most 32
// characters, a random word when the name has nothing to slug, and 6
// digits once the name's 4-digit space is used up (3 collisions).
func TestOAuthUsernames(t *testing.T) {
	oauthDialects(t, oauthEnvOptions{}, func(t *testing.T, e *oauthEnv) {
		signIn := func(t *testing.T, who oauthtest.Identity) string {
			t.Helper()
			a := e.do(http.MethodPost, "/api/v1/auth/discord/callback", "", map[string]string{"code": e.Fake.Code("discord", who)})
			if a.Status != 200 {
				t.Fatalf("sign-in: %d %s", a.Status, a.Body)
			}
			return e.user(a.data()["user_id"].(string)).Username
		}
		check := func(t *testing.T, got, pattern string) {
			t.Helper()
			if !regexp.MustCompile(pattern).MatchString(got) || len(got) > 32 {
				t.Fatalf("username %q, want %s and at most 32 characters", got, pattern)
			}
		}
		t.Run("slug of the display name", func(t *testing.T) {
			check(t, signIn(t, oauthtest.Identity{ID: "u-1", Name: "Zoë O'Brien"}), `^zoe-o-brien-\d{4}$`)
		})
		t.Run("long display name", func(t *testing.T) {
			check(t, signIn(t, oauthtest.Identity{ID: "u-2", Name: "Maximilian Alexander Featherstonehaugh-Smythe"}), `^maximilian-alexander-feat-\d{4}$`)
		})
		t.Run("nothing to slug: a random word", func(t *testing.T) {
			check(t, signIn(t, oauthtest.Identity{ID: "u-3", Name: "日本語"}), `^[a-z]+-\d{4}$`)
		})
		t.Run("6 digits after 3 collisions", func(t *testing.T) {
			// Every 4-digit name of the stem is taken.
			ctx := context.Background()
			now := persistence.Now()
			for start := 0; start < 10000; start += 500 {
				var b strings.Builder
				args := make([]any, 0, 500*5)
				for i := start; i < start+500; i++ {
					if i > start {
						b.WriteString(", ")
					}
					b.WriteString("(?, ?, '', ?, ?)")
					args = append(args, persistence.NewID(), fmt.Sprintf("nelly-furtado-%04d", i), now, now)
				}
				if _, err := e.DB.Exec(ctx, `INSERT INTO users (id, username, display_name, inserted_at, updated_at) VALUES `+b.String(), args...); err != nil {
					t.Fatal(err)
				}
			}
			check(t, signIn(t, oauthtest.Identity{ID: "u-4", Name: "Nelly Furtado"}), `^nelly-furtado-\d{6}$`)
		})
	})
}
