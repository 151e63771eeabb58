package web_test

import (
	"net/http"
	"strings"
	"testing"

	"github.com/gamend-go/gamend/auth/oauth"
	"github.com/gamend-go/gamend/auth/oauth/oauthtest"
	"github.com/gamend-go/gamend/persistence/persistencetest"
)

// TestBrowserOAuth signs in and links providers through the fake provider
// and the real callback route ("browser:" states).
func TestBrowserOAuth(t *testing.T) {
	persistencetest.Dialects(t, func(t *testing.T, tg persistencetest.Target) {
		e := startEnv(t, tg, envOptions{oauth: true})
		zed := oauthtest.Identity{ID: "d-100", Email: "zed@example.com", Verified: true, Name: "Zed"}

		// Sign in (account created), then sign in again to the same account.
		b := e.browser()
		expect(t, b.get("/users/log-in"), 200, "", `action="/users/oauth/discord"`, "Steam")
		e.fake.QueueLogin("discord", zed)
		expect(t, b.post("/users/oauth/discord", nil), 200, "/users/settings", "Welcome back!", "zed@example.com", `providers/discord/unlink`)
		b.post("/users/log-out", nil)
		e.fake.QueueLogin("discord", zed)
		b.get("/users/log-in")
		expect(t, b.post("/users/oauth/discord", nil), 200, "/users/settings", "zed@example.com")

		// Link Google to a password account; a Discord id of someone else is refused.
		amy := e.browser()
		expect(t, amy.register("amy@example.com", "password 123"), 200, "/users/settings", `action="/users/oauth/google"`)
		e.fake.QueueLogin("google", oauthtest.Identity{ID: "g-7", Email: "amy.g@example.com", Verified: true, Name: "Amy"})
		expect(t, amy.post("/users/oauth/google", nil), 200, "/users/settings", "Google linked.", `providers/google/unlink`, "amy@example.com")
		e.fake.QueueLogin("discord", zed)
		expect(t, amy.post("/users/oauth/discord", nil), 200, "/users/settings", "This Discord account is already linked to another account.")

		// The player cancels at the provider.
		c := e.browser()
		c.get("/users/log-in")
		e.fake.QueueDeny("discord")
		expect(t, c.post("/users/oauth/discord", nil), 200, "/users/log-in", "Discord sign-in was cancelled.")
		expect(t, c.get("/users/settings"), 200, "/users/log-in")

		// A callback started in another browser is refused (login CSRF).
		attacker, victim := e.browser(), e.browser()
		attacker.get("/users/log-in")
		attacker.c.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
		e.fake.QueueLogin("discord", oauthtest.Identity{ID: "d-666", Email: "mallory@example.com", Verified: true, Name: "Mallory"})
		authorize, _ := http.NewRequest(http.MethodGet, lastLocation(t, attacker, "/users/oauth/discord"), nil)
		r2, err := attacker.c.Do(authorize)
		if err != nil {
			t.Fatal(err)
		}
		r2.Body.Close()
		callback := r2.Header.Get("Location")
		if !strings.Contains(callback, "/auth/discord/callback?") {
			t.Fatalf("callback %q", callback)
		}
		expect(t, victim.get(callback), 400, "", "This sign-in was started in another browser")
		expect(t, victim.get("/users/settings"), 200, "/users/log-in")

		// Unknown or unconfigured provider.
		expect(t, c.post("/users/oauth/myspace", nil), 200, "/users/log-in", "Sign-in with that provider is not available.")
	})
}

// lastLocation starts the flow in b (which must not follow redirects) and
// returns the provider URL it is sent to.
func lastLocation(t *testing.T, b *browser, path string) string {
	t.Helper()
	req, _ := http.NewRequest(http.MethodPost, b.url(path), strings.NewReader("_csrf_token="+b.csrf))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	res, err := b.c.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	loc := res.Header.Get("Location")
	if loc == "" {
		t.Fatalf("no redirect: %d", res.StatusCode)
	}
	return loc
}

// TestBrowserOAuthNotConfigured: a provider without credentials is not
// offered, starting it sends the browser back with a notice, and its
// callback answers a 404 page, never a server error.
func TestBrowserOAuthNotConfigured(t *testing.T) {
	persistencetest.Dialects(t, func(t *testing.T, tg persistencetest.Target) {
		e := startEnv(t, tg, envOptions{oauth: true, oauthConfig: func(c *oauth.Config) { c.Discord = oauth.Credentials{} }})
		b := e.browser()
		login := b.get("/users/log-in")
		expect(t, login, 200, "", `action="/users/oauth/google"`)
		if strings.Contains(login.body, `action="/users/oauth/discord"`) {
			t.Fatal("the log-in page offers an unconfigured provider")
		}
		expect(t, b.post("/users/oauth/discord", nil), 200, "/users/log-in", "Sign-in with that provider is not available.")
		expect(t, b.get("/auth/discord/callback?code=x&state=browser:nonce"), 404, "", "not configured on this server")
		expect(t, b.get("/auth/discord/callback?code=x&state=session"), 404, "", "not configured on this server")
	})
}
