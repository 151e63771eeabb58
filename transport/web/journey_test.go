package web_test

import (
	"context"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/gamend-go/gamend/persistence"
	"github.com/gamend-go/gamend/persistence/persistencetest"
)

var sessionIDRE = regexp.MustCompile(`/users/settings/sessions/([0-9a-f-]{36})/revoke`)

// TestJourney walks a new player through the browser pages and the API:
// register, confirm through the dev mailbox, log out, log in, get API
// tokens, call an authenticated route, change the password, manage
// sessions and API tokens.
func TestJourney(t *testing.T) {
	persistencetest.Dialects(t, func(t *testing.T, tg persistencetest.Target) {
		e := startEnv(t, tg, envOptions{})
		b := e.browser()
		const email, pw = "ann@example.com", "correct horse"

		expect(t, b.get("/"), 200, "/", "Create an account", `href="/api/docs"`, `href="/dev/mailbox"`)

		// Register: bad input is a form error, then the account is created and signed in.
		expect(t, b.register("not-an-email", pw), 422, "/users/register", "must have the @ sign")
		expect(t, b.register(email, "short"), 422, "/users/register", "should be at least 8 character(s)", `value="ann@example.com"`)
		p := b.register(email, pw)
		expect(t, p, 200, "/users/settings", "Account created", "not confirmed", email)
		expect(t, b.register(email, pw), 200, "/users/settings") // signed in: the form redirects
		other := e.browser()
		expect(t, other.register(email, pw), 422, "/users/register", "has already been taken")

		// Confirm through the link in the dev mailbox: GET asks, POST confirms.
		link := b.mailLink(email, "Confirm your account")
		if !strings.HasPrefix(link, e.base+"/users/confirm/") {
			t.Fatalf("confirmation link %s", link)
		}
		expect(t, b.get(link), 200, "", "Confirm the e-mail address", email)
		expect(t, b.post(link, nil), 200, "/users/settings", "Your e-mail address is confirmed", "confirmed</span>")
		expect(t, b.get(link), 404, "", "invalid or it has expired")
		expect(t, b.post(link, nil), 404, "", "invalid or it has expired")

		// Log out, then settings need a log-in and come back after it.
		expect(t, b.get("/users/log-out"), 200, "/users/log-out", "Log out of this browser?")
		expect(t, b.post("/users/log-out", nil), 200, "/", "Logged out successfully")
		expect(t, b.get("/users/settings"), 200, "/users/log-in", "You must log in")
		expect(t, b.post("/users/log-in", form("email", email, "password", "wrong password")), 401, "", "Invalid e-mail or password.")
		expect(t, b.post("/users/log-in", form("email", "nobody@example.com", "password", pw)), 401, "", "Invalid e-mail or password.")
		expect(t, b.post("/users/log-in", form("email", "ANN@example.com", "password", pw)), 200, "/users/settings", "Welcome back!")

		// API tokens for the same account.
		access := e.apiLogin(email, pw)
		if st := e.whoami(access); st != 200 {
			t.Fatalf("authenticated API call: %d", st)
		}

		// A second browser session shows up in settings and can be revoked.
		b2 := e.browser()
		expect(t, b2.logIn(email, pw), 200, "/users/settings")
		p = b.get("/users/settings")
		ids := sessionIDRE.FindAllStringSubmatch(p.body, -1)
		if len(ids) != 2 || !strings.Contains(p.body, "this browser") {
			t.Fatalf("sessions listed: %v\n%s", ids, p.body)
		}
		expect(t, b.post("/users/settings/sessions/revoke-others", nil), 200, "/users/settings", "other browser sessions were logged out")
		expect(t, b2.get("/users/settings"), 200, "/users/log-in")
		expect(t, b.get("/users/settings"), 200, "/users/settings")
		expect(t, b2.logIn(email, pw), 200, "/users/settings")
		p = b.get("/users/settings")
		for _, m := range sessionIDRE.FindAllStringSubmatch(p.body, -1) {
			if !strings.Contains(p.body, m[1]+`/revoke" class="inline"><input type="hidden" name="_csrf_token" value="`) {
				t.Fatal("revoke form missing")
			}
		}
		ids = sessionIDRE.FindAllStringSubmatch(p.body, -1)
		if len(ids) != 2 {
			t.Fatalf("sessions after re-login: %v", ids)
		}
		expect(t, b.post("/users/settings/sessions/"+persistence.NewID()+"/revoke", nil), 200, "/users/settings", "That session no longer exists")
		expect(t, b.post("/users/settings/sessions/not-a-uuid/revoke", nil), 200, "/users/settings", "That session no longer exists")
		for _, m := range ids {
			if !strings.Contains(p.body, m[1]) {
				continue
			}
			b2Session := m[1]
			// the first row is the newest: b2's
			expect(t, b.post("/users/settings/sessions/"+b2Session+"/revoke", nil), 200, "/users/settings", "Session revoked")
			break
		}
		expect(t, b2.get("/users/settings"), 200, "/users/log-in")

		// Change the password: a wrong current password is a form error;
		// success revokes API tokens and other sessions, this browser stays in.
		expect(t, b2.logIn(email, pw), 200, "/users/settings")
		expect(t, b.post("/users/settings/password", form("current_password", "nope", "password", "new password 1", "password_confirmation", "new password 1")),
			422, "/users/settings/password", "Current password is not valid")
		expect(t, b.post("/users/settings/password", form("current_password", pw, "password", "new password 1", "password_confirmation", "other")),
			422, "", "Confirmation does not match password")
		expect(t, b.post("/users/settings/password", form("current_password", pw, "password", "new password 1", "password_confirmation", "new password 1")),
			200, "/users/settings", "Password updated")
		if st := e.whoami(access); st != 401 {
			t.Fatalf("API token after password change: %d", st)
		}
		expect(t, b2.get("/users/settings"), 200, "/users/log-in")
		expect(t, b.get("/users/settings"), 200, "/users/settings")
		if st, _ := e.api("POST", "/api/v1/login", "", map[string]string{"email": email, "password": pw}); st != 401 {
			t.Fatalf("old password still works: %d", st)
		}

		// Revoke all API tokens from the settings page.
		access = e.apiLogin(email, "new password 1")
		expect(t, b.post("/users/settings/api-tokens/revoke", nil), 200, "/users/settings", "Every API token of your account was revoked")
		if st := e.whoami(access); st != 401 {
			t.Fatalf("API token after revoke all: %d", st)
		}

		// Nothing secret in the logs.
		logs := e.logs.String()
		token := link[strings.LastIndexByte(link, '/')+1:]
		for _, secret := range []string{token, pw, "new password 1", access} {
			if strings.Contains(logs, secret) {
				t.Fatalf("log contains a secret %q", secret)
			}
		}
	})
}

// TestMagicLink logs in with a link from the dev mailbox; unknown e-mails
// get the same answer, links are single use and expire after 15 minutes.
func TestMagicLink(t *testing.T) {
	persistencetest.Dialects(t, func(t *testing.T, tg persistencetest.Target) {
		e := startEnv(t, tg, envOptions{})
		expect(t, e.browser().register("bo@example.com", "password 123"), 200, "/users/settings")

		b := e.browser()
		b.get("/users/log-in")
		known := b.post("/users/log-in/link", form("email", "bo@example.com"))
		unknown := b.post("/users/log-in/link", form("email", "nobody@example.com"))
		expect(t, known, 200, "/users/log-in", "If your e-mail is in our system, you will receive a log-in link shortly.")
		expect(t, unknown, 200, "/users/log-in", "If your e-mail is in our system, you will receive a log-in link shortly.")
		if e.mailCount("nobody@example.com") != 0 {
			t.Fatal("mail sent to an unknown address")
		}
		expect(t, b.post("/users/log-in/link", form("email", "bad address")), 422, "", "must have the @ sign")

		link := b.mailLink("bo@example.com", "Your log-in link")
		expect(t, b.get(link), 200, "", "Log in as <strong>bo@example.com</strong>")
		expect(t, b.post(link, nil), 200, "/users/settings", "Welcome back!", "bo@example.com")
		expect(t, b.post(link, nil), 404, "", "Log-in link is invalid or it has expired")
		// The magic link proved the address.
		expect(t, b.get("/users/settings"), 200, "/users/settings", "confirmed</span>")

		// Expired after 15 minutes.
		b2 := e.browser()
		b2.get("/users/log-in")
		b2.post("/users/log-in/link", form("email", "bo@example.com"))
		link = b2.mailLink("bo@example.com", "Your log-in link")
		if _, err := e.db.Exec(context.Background(), `UPDATE users_tokens SET inserted_at = ? WHERE context = 'login'`,
			persistence.Now().Add(-16*time.Minute)); err != nil {
			t.Fatal(err)
		}
		expect(t, b2.get(link), 404, "", "invalid or it has expired")
		expect(t, b2.post(link, nil), 404, "", "invalid or it has expired")
		expect(t, b2.get("/users/settings"), 200, "/users/log-in")
		// Garbage tokens are a clear page, not an error.
		expect(t, b2.get("/users/log-in/%ff%fe"), 404, "", "invalid or it has expired")
		if p := b2.get("/users/log-in/%00%ff"); p.status != 400 && p.status != 404 { // the edge refuses NUL (400)
			t.Fatalf("NUL in a link token: %d", p.status)
		}
		expect(t, b2.get("/users/log-in/"+strings.Repeat("A", 2000)), 404, "", "invalid or it has expired")
		if p := b2.get("/users/log-in/" + strings.Repeat("A", 5000)); p.status != 431 { // over the 4 KiB header limit
			t.Fatalf("5000-byte link token: %d", p.status)
		}
	})
}

// TestResetPassword resets through the e-mailed link: old API tokens and
// browser sessions stop working, the link works once.
func TestResetPassword(t *testing.T) {
	persistencetest.Dialects(t, func(t *testing.T, tg persistencetest.Target) {
		e := startEnv(t, tg, envOptions{})
		const email = "cy@example.com"
		old := e.browser()
		expect(t, old.register(email, "password 123"), 200, "/users/settings")
		access := e.apiLogin(email, "password 123")

		b := e.browser()
		expect(t, b.get("/users/reset-password"), 200, "", "Forgot your password?")
		expect(t, b.post("/users/reset-password", form("email", email)), 200, "/users/log-in", "you will receive instructions to reset your password")
		expect(t, b.post("/users/reset-password", form("email", "ghost@example.com")), 200, "/users/log-in", "you will receive instructions to reset your password")
		if e.mailCount("ghost@example.com") != 0 {
			t.Fatal("mail sent to an unknown address")
		}
		link := b.mailLink(email, "Reset your password")
		expect(t, b.get(link), 200, "", "New password for <strong>cy@example.com</strong>")
		expect(t, b.post(link, form("password", "short", "password_confirmation", "short")), 422, "", "Password should be at least 8 character(s)")
		expect(t, b.post(link, form("password", "brand new pw", "password_confirmation", "mismatch")), 422, "", "Confirmation does not match password")
		expect(t, b.post(link, form("password", "brand new pw", "password_confirmation", "brand new pw")), 200, "/users/log-in", "Password reset successfully")
		expect(t, b.post(link, form("password", "another pw 1", "password_confirmation", "another pw 1")), 404, "", "invalid or it has expired")

		if st := e.whoami(access); st != 401 {
			t.Fatalf("old API token after reset: %d", st)
		}
		expect(t, old.get("/users/settings"), 200, "/users/log-in")
		expect(t, b.logIn(email, "password 123"), 401, "", "Invalid e-mail or password.")
		expect(t, b.logIn(email, "brand new pw"), 200, "/users/settings", "Welcome back!")
		if st := e.whoami(e.apiLogin(email, "brand new pw")); st != 200 {
			t.Fatalf("new API token: %d", st)
		}
	})
}
