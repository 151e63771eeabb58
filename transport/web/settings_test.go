package web_test

import (
	"context"
	"net/http"
	"strings"
	"testing"

	"github.com/gamend-go/gamend/persistence/persistencetest"
	"github.com/gamend-go/gamend/persistence/users"
)

func TestChangeEmail(t *testing.T) {
	persistencetest.Dialects(t, func(t *testing.T, tg persistencetest.Target) {
		e := startEnv(t, tg, envOptions{})
		b := e.browser()
		expect(t, b.register("dee@example.com", "password 123"), 200, "/users/settings")
		expect(t, e.browser().register("taken@example.com", "password 123"), 200, "/users/settings")

		bad := []struct{ email, pw, want string }{
			{"new@example.com", "wrong", "Password is not valid"},
			{"taken@example.com", "password 123", "E-mail has already been taken"},
			{"dee@example.com", "password 123", "E-mail did not change"},
			{"", "password 123", "E-mail can&#39;t be blank"},
			{strings.Repeat("x", 200) + "@example.com", "password 123", "should be at most 160 character(s)"},
		}
		for _, c := range bad {
			expect(t, b.post("/users/settings/email", form("email", c.email, "current_password", c.pw)), 422, "", c.want)
		}
		expect(t, b.post("/users/settings/email", form("email", "dee.new@example.com", "current_password", "password 123")),
			200, "/users/settings", "A link to confirm your e-mail change has been sent to dee.new@example.com")
		if e.mailCount("dee@example.com") != 1 { // only the sign-up confirmation
			t.Fatal("the change link went to the old address")
		}
		link := b.mailLink("dee.new@example.com", "Confirm your new e-mail address")

		// Someone else signed in cannot use it; signed out, it asks for a log-in and comes back.
		intruder := e.browser()
		expect(t, intruder.logIn("taken@example.com", "password 123"), 200, "/users/settings")
		expect(t, intruder.get(link), 200, "/users/settings", "E-mail change link is invalid or it has expired")
		anon := e.browser()
		expect(t, anon.get(link), 200, "/users/log-in", "You must log in")
		expect(t, anon.post("/users/log-in", form("email", "dee@example.com", "password", "password 123")), 200, "/users/settings", "E-mail changed successfully", "dee.new@example.com")
		expect(t, b.get(link), 200, "/users/settings", "E-mail change link is invalid or it has expired")
		expect(t, b.get("/users/settings"), 200, "/users/settings", "dee.new@example.com", "confirmed</span>")
		expect(t, e.browser().logIn("dee@example.com", "password 123"), 401, "", "Invalid e-mail or password.")
		expect(t, e.browser().logIn("dee.new@example.com", "password 123"), 200, "/users/settings")
	})
}

func TestUnlinkProvider(t *testing.T) {
	persistencetest.Dialects(t, func(t *testing.T, tg persistencetest.Target) {
		e := startEnv(t, tg, envOptions{})
		b := e.browser()
		expect(t, b.register("eve@example.com", "password 123"), 200, "/users/settings", "Discord", "not linked")
		ctx := context.Background()
		if _, err := e.db.Exec(ctx, `UPDATE users SET discord_id = 'd-1' WHERE email = 'eve@example.com'`); err != nil {
			t.Fatal(err)
		}
		p := b.get("/users/settings")
		expect(t, p, 200, "", `action="/users/settings/providers/discord/unlink"`)
		expect(t, b.post("/users/settings/providers/discord/unlink", nil), 200, "/users/settings", "You cannot unlink your last linked provider.")
		expect(t, b.post("/users/settings/providers/myspace/unlink", nil), 200, "/users/settings", "Unknown provider.")
		if _, err := e.db.Exec(ctx, `UPDATE users SET google_id = 'g-1' WHERE email = 'eve@example.com'`); err != nil {
			t.Fatal(err)
		}
		p = b.post("/users/settings/providers/discord/unlink", nil)
		expect(t, p, 200, "/users/settings", "Discord unlinked.")
		if strings.Contains(p.body, `providers/discord/unlink`) || !strings.Contains(p.body, `providers/google/unlink`) {
			t.Fatalf("providers after unlink:\n%s", p.body)
		}
	})
}

func TestActivationRequired(t *testing.T) {
	persistencetest.Dialects(t, func(t *testing.T, tg persistencetest.Target) {
		e := startEnv(t, tg, envOptions{requireActivation: true})
		admin := e.browser()
		expect(t, admin.register("admin@example.com", "password 123"), 200, "/users/settings") // first user: admin
		b := e.browser()
		expect(t, b.register("new@example.com", "password 123"), 200, "/users/log-in", "An administrator must activate your account")
		expect(t, b.logIn("new@example.com", "password 123"), 403, "", "Your account is pending activation by an administrator.")
		expect(t, b.logIn("new@example.com", "wrong password"), 401, "", "Invalid e-mail or password.")

		// The confirmation link still confirms, without signing in.
		link := b.mailLink("new@example.com", "Confirm your account")
		expect(t, b.post(link, nil), 200, "/users/log-in", "Your e-mail address is confirmed. An administrator must activate")
		// A magic link is refused with the same clear message and stays usable.
		b.post("/users/log-in/link", form("email", "new@example.com"))
		link = b.mailLink("new@example.com", "Your log-in link")
		expect(t, b.post(link, nil), 403, "", "Your account is pending activation by an administrator.")
		if _, err := e.db.Exec(context.Background(), `UPDATE users SET is_activated = ? WHERE email = 'new@example.com'`, true); err != nil {
			t.Fatal(err)
		}
		expect(t, b.post(link, nil), 200, "/users/settings", "Welcome back!")
		// Deactivation ends the browser session at the next request.
		if _, err := e.db.Exec(context.Background(), `UPDATE users SET is_activated = ? WHERE email = 'new@example.com'`, false); err != nil {
			t.Fatal(err)
		}
		expect(t, b.get("/users/settings"), 200, "/users/log-in")
	})
}

// TestJSONRegisterSendsConfirmation: the in-game sign-up route mails the
// same confirmation link as the browser form.
func TestJSONRegisterSendsConfirmation(t *testing.T) {
	persistencetest.Dialects(t, func(t *testing.T, tg persistencetest.Target) {
		e := startEnv(t, tg, envOptions{})
		if st, body := e.api(http.MethodPost, "/api/v1/register", "", map[string]string{"email": "gus@example.com", "password": "password 123"}); st != 201 {
			t.Fatalf("register: %d %v", st, body)
		}
		b := e.browser()
		link := b.mailLink("gus@example.com", "Confirm your account")
		expect(t, b.get(link), 200, "", "Confirm the e-mail address <strong>gus@example.com</strong>")
		expect(t, b.post(link, nil), 200, "/users/settings", "Your e-mail address is confirmed", "gus@example.com")

		// Resend: same answer for everyone, no mail for confirmed or unknown accounts.
		e.api(http.MethodPost, "/api/v1/register", "", map[string]string{"email": "hal@example.com", "password": "password 123"})
		expect(t, b.get("/users/confirm"), 200, "", "Resend the confirmation link")
		for _, addr := range []string{"hal@example.com", "gus@example.com", "nobody@example.com"} {
			expect(t, b.post("/users/confirm", form("email", addr)), 200, "/", "If your e-mail is in our system and it has not been confirmed yet")
		}
		if e.mailCount("hal@example.com") != 2 || e.mailCount("gus@example.com") != 1 || e.mailCount("nobody@example.com") != 0 {
			t.Fatalf("mails: hal %d gus %d nobody %d", e.mailCount("hal@example.com"), e.mailCount("gus@example.com"), e.mailCount("nobody@example.com"))
		}
		// Device accounts get no mail.
		e.api(http.MethodPost, "/api/v1/login/device", "", map[string]string{"device_id": "dev-1"})
		if n := len(e.mails()); n != 3 {
			t.Fatalf("%d mails", n)
		}
	})
}

// TestNotifyActivated: the activation e-mail (API.md §4.15) reaches the
// account's address with a link to the log-in page; accounts without an
// address get nothing. (cmd/gamend wires it to admin activations.)
func TestNotifyActivated(t *testing.T) {
	persistencetest.Dialects(t, func(t *testing.T, tg persistencetest.Target) {
		e := startEnv(t, tg, envOptions{requireActivation: true})
		ctx := context.Background()
		if _, err := e.svc.CreateUser(ctx, users.New{Email: "admin@example.com"}); err != nil {
			t.Fatal(err)
		}
		withMail, err := e.svc.CreateUser(ctx, users.New{Email: "ivy@example.com"})
		if err != nil {
			t.Fatal(err)
		}
		device, err := e.svc.CreateUser(ctx, users.New{DeviceID: "ivy-device"})
		if err != nil {
			t.Fatal(err)
		}
		e.web.NotifyActivated(device)
		e.web.NotifyActivated(nil)
		e.web.NotifyActivated(withMail)
		if link := e.browser().mailLink("ivy@example.com", "Your account is active"); link != e.base+"/users/log-in" {
			t.Fatalf("link %q, want the log-in page", link)
		}
		if n := len(e.mails()); n != 1 {
			t.Fatalf("%d mails, want only the activation mail", n)
		}
	})
}
