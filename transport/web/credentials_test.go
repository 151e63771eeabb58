package web_test

import (
	"net/http"
	"testing"

	"github.com/gamend-go/gamend/persistence/persistencetest"
)

// accountLinks are the e-mailed links of one account that are still
// unused.
type accountLinks struct{ confirm, login, reset, change string }

// issueLinks registers email in owner (which stays signed in), leaves the
// sign-up confirmation unused and asks for a log-in link, a password reset
// link and an e-mail change to newEmail.
func (e *env) issueLinks(owner *browser, email, password, newEmail string) accountLinks {
	e.t.Helper()
	expect(e.t, owner.register(email, password), 200, "/users/settings")
	anon := e.browser()
	anon.get("/users/log-in")
	expect(e.t, anon.post("/users/log-in/link", form("email", email)), 200, "/users/log-in", msgLinkSent)
	expect(e.t, anon.post("/users/reset-password", form("email", email)), 200, "/users/log-in", "instructions to reset your password")
	expect(e.t, owner.post("/users/settings/email", form("email", newEmail, "current_password", password)),
		200, "/users/settings", "A link to confirm your e-mail change has been sent")
	return accountLinks{
		confirm: anon.mailLink(email, "Confirm your account"),
		login:   anon.mailLink(email, "Your log-in link"),
		reset:   anon.mailLink(email, "Reset your password"),
		change:  anon.mailLink(newEmail, "Confirm your new e-mail address"),
	}
}

// expectLinksDead checks that none of the links works any more; owner is
// a browser signed in to the account (an e-mail change link needs one).
func (e *env) expectLinksDead(owner *browser, l accountLinks) {
	e.t.Helper()
	anon := e.browser()
	anon.get("/users/log-in")
	expect(e.t, anon.get(l.login), 404, "", "Log-in link is invalid or it has expired")
	expect(e.t, anon.post(l.login, nil), 404, "", "Log-in link is invalid or it has expired")
	expect(e.t, anon.get("/users/settings"), 200, "/users/log-in")
	expect(e.t, anon.get(l.reset), 404, "", "Password reset link is invalid or it has expired")
	expect(e.t, anon.post(l.reset, form("password", "stolen password", "password_confirmation", "stolen password")),
		404, "", "Password reset link is invalid or it has expired")
	expect(e.t, anon.post(l.confirm, nil), 404, "", "Confirmation link is invalid or it has expired")
	expect(e.t, anon.get("/users/settings"), 200, "/users/log-in")
	expect(e.t, owner.get(l.change), 200, "/users/settings", "E-mail change link is invalid or it has expired.")
}

// in returns e for use by subtest t.
func (e *env) in(t *testing.T) *env {
	sub := *e
	sub.t = t
	return &sub
}

const msgLinkSent = "If your e-mail is in our system, you will receive a log-in link shortly."

// TestPasswordChangeEndsLinksAndSessions: changing or resetting a password
// ends every e-mailed link of the account issued before (log-in, reset,
// e-mail change, confirmation) and every browser session but the one that
// made the change (none for the API route and for a reset).
func TestPasswordChangeEndsLinksAndSessions(t *testing.T) {
	persistencetest.Dialects(t, func(t *testing.T, tg persistencetest.Target) {
		shared := startEnv(t, tg, envOptions{})

		t.Run("browser settings", func(t *testing.T) {
			e := shared.in(t)
			const email, pw = "set.pw@example.com", "password 123"
			owner, other := e.browser(), e.browser()
			links := e.issueLinks(owner, email, pw, "set.pw.new@example.com")
			expect(t, other.logIn(email, pw), 200, "/users/settings")
			expect(t, owner.post("/users/settings/password", form("current_password", pw, "password", "changed pw 1", "password_confirmation", "changed pw 1")),
				200, "/users/settings", "Password updated")
			expect(t, other.get("/users/settings"), 200, "/users/log-in")
			expect(t, owner.get("/users/settings"), 200, "/users/settings", email)
			e.expectLinksDead(owner, links)
			expect(t, owner.get("/users/settings"), 200, "/users/settings", email)
		})

		t.Run("API", func(t *testing.T) {
			e := shared.in(t)
			const email, pw = "api.pw@example.com", "password 123"
			owner, other := e.browser(), e.browser()
			links := e.issueLinks(owner, email, pw, "api.pw.new@example.com")
			expect(t, other.logIn(email, pw), 200, "/users/settings")
			status, body := e.api(http.MethodPatch, "/api/v1/me/password", e.apiLogin(email, pw),
				map[string]string{"current_password": pw, "password": "changed pw 2"})
			if status != 200 {
				t.Fatalf("PATCH /api/v1/me/password: %d %v", status, body)
			}
			expect(t, owner.get("/users/settings"), 200, "/users/log-in")
			expect(t, other.get("/users/settings"), 200, "/users/log-in")
			fresh := e.browser()
			expect(t, fresh.logIn(email, "changed pw 2"), 200, "/users/settings")
			e.expectLinksDead(fresh, links)
		})

		t.Run("reset", func(t *testing.T) {
			e := shared.in(t)
			const email, pw = "reset.pw@example.com", "password 123"
			owner, other := e.browser(), e.browser()
			links := e.issueLinks(owner, email, pw, "reset.pw.new@example.com")
			expect(t, other.logIn(email, pw), 200, "/users/settings")
			resetter := e.browser()
			resetter.get("/users/reset-password")
			expect(t, resetter.post("/users/reset-password", form("email", email)), 200, "/users/log-in")
			used := resetter.mailLink(email, "Reset your password")
			if used == links.reset {
				t.Fatal("the second reset link is the first one")
			}
			resetter.get(used)
			expect(t, resetter.post(used, form("password", "changed pw 3", "password_confirmation", "changed pw 3")),
				200, "/users/log-in", "Password reset successfully")
			expect(t, owner.get("/users/settings"), 200, "/users/log-in")
			expect(t, other.get("/users/settings"), 200, "/users/log-in")
			fresh := e.browser()
			expect(t, fresh.logIn(email, "changed pw 3"), 200, "/users/settings")
			e.expectLinksDead(fresh, links)
		})
	})
}
