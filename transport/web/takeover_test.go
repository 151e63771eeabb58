package web_test

import (
	"context"
	"net/http"
	"strings"
	"testing"

	"github.com/gamend-go/gamend/auth/oauth/oauthtest"
	"github.com/gamend-go/gamend/persistence/persistencetest"
	"github.com/gamend-go/gamend/persistence/users"
)

// TestOAuthTakeoverOfUnconfirmedAccount is account pre-takeover over real
// HTTP: a squatter registers the owner's e-mail through POST
// /api/v1/register (never confirmed), signs in in a browser and starts
// linking their own Discord account (browser and polling flows) to finish
// later. The owner then signs in with Google, which verified the address:
// the account becomes the owner's alone, and none of the squatter's ways
// in works any more.
func TestOAuthTakeoverOfUnconfirmedAccount(t *testing.T) {
	persistencetest.Dialects(t, func(t *testing.T, tg persistencetest.Target) {
		e := startEnv(t, tg, envOptions{oauth: true})
		const email, squatPW = "owner@example.com", "squatter password"
		squatDiscord := oauthtest.Identity{ID: "d-squat", Email: "squatter@example.com", Verified: true, Name: "Squatter"}
		ownerGoogle := oauthtest.Identity{ID: "g-owner", Email: "Owner@Example.com", Verified: true, Name: "Owner"}

		status, body := e.api(http.MethodPost, "/api/v1/register", "", map[string]string{"email": email, "password": squatPW})
		if status != http.StatusCreated {
			t.Fatalf("register: %d %v", status, body)
		}
		data := body["data"].(map[string]any)
		accountID, squatAccess, squatRefresh := data["user_id"].(string), data["access_token"].(string), data["refresh_token"].(string)

		sq := e.browser()
		expect(t, sq.logIn(email, squatPW), 200, "/users/settings", "not confirmed")
		confirmLink := sq.mailLink(email, "Confirm your account")
		noFollow := func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
		sq.c.CheckRedirect = noFollow
		e.fake.QueueLogin("discord", squatDiscord)
		browserLink := providerCallback(t, sq, lastLocation(t, sq, "/users/oauth/discord"))
		sq.c.CheckRedirect = nil
		status, body = e.api(http.MethodGet, "/api/v1/auth/discord", squatAccess, nil)
		if status != 200 {
			t.Fatalf("start polling link: %d %v", status, body)
		}
		pollID, pollURL := body["session_id"].(string), body["authorization_url"].(string)

		// The owner signs in with Google in a browser, then in the game.
		owner := e.browser()
		owner.get("/users/log-in")
		e.fake.QueueLogin("google", ownerGoogle)
		expect(t, owner.post("/users/oauth/google", nil), 200, "/users/settings", "Welcome back!", email, "providers/google/unlink")
		status, body = e.api(http.MethodPost, "/api/v1/auth/google/callback", "", map[string]string{"code": e.fake.Code("google", ownerGoogle)})
		if status != 200 {
			t.Fatalf("owner API sign-in: %d %v", status, body)
		}
		data = body["data"].(map[string]any)
		if data["user_id"] != accountID {
			t.Fatalf("owner signed into %v, want the registered account %s", data["user_id"], accountID)
		}
		ownerAccess := data["access_token"].(string)

		// The squatter is out.
		if status, body := e.api(http.MethodPost, "/api/v1/login", "", map[string]string{"email": email, "password": squatPW}); status != 401 {
			t.Fatalf("squatter password login: %d %v", status, body)
		}
		if st := e.whoami(squatAccess); st != 401 {
			t.Fatalf("squatter access token: %d", st)
		}
		if status, body := e.api(http.MethodPost, "/api/v1/refresh", "", map[string]string{"refresh_token": squatRefresh}); status != 401 {
			t.Fatalf("squatter refresh token: %d %v", status, body)
		}
		expect(t, sq.get("/users/settings"), 200, "/users/log-in", "You must log in")
		expect(t, sq.get(confirmLink), 404, "", "invalid or it has expired")
		expect(t, sq.logIn(email, squatPW), 401, "", "Invalid e-mail or password.")
		// The links the squatter started before do not land on the account.
		expect(t, sq.get(browserLink), 200, "/users/log-in", "You were logged out before Discord was linked.")
		e.fake.QueueLogin("discord", squatDiscord)
		sq.get(pollURL) // the provider sends the browser back; the session is gone
		if status, body := e.api(http.MethodGet, "/api/v1/auth/session/"+pollID, "", nil); status != 404 {
			t.Fatalf("squatter's pending link session: %d %v", status, body)
		}

		// The owner holds the account: tokens, browser, Google only, confirmed.
		if st := e.whoami(ownerAccess); st != 200 {
			t.Fatalf("owner token: %d", st)
		}
		expect(t, owner.get("/users/settings"), 200, "/users/settings", email, "providers/google/unlink")
		u, err := users.Get(context.Background(), e.db, accountID)
		if err != nil {
			t.Fatal(err)
		}
		if u.HasPassword() || u.ConfirmedAt == nil || len(u.ProviderIDs) != 1 || u.ProviderIDs["google"] != "g-owner" {
			t.Fatalf("account after takeover: password %v confirmed %v providers %v", u.HasPassword(), u.ConfirmedAt, u.ProviderIDs)
		}
		if strings.Contains(owner.get("/users/settings").body, "providers/discord/unlink") {
			t.Fatal("squatter's Discord linked")
		}
	})
}

// providerCallback follows the provider's authorize URL in b (which must
// not follow redirects) and returns the callback URL it sends back to.
func providerCallback(t *testing.T, b *browser, authorizeURL string) string {
	t.Helper()
	req, _ := http.NewRequest(http.MethodGet, authorizeURL, nil)
	res, err := b.c.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	loc := res.Header.Get("Location")
	if !strings.Contains(loc, "/callback?") {
		t.Fatalf("provider answered %d, Location %q", res.StatusCode, loc)
	}
	return loc
}
