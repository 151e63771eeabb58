package web_test

import (
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/gamend-go/gamend/persistence/persistencetest"
)

func TestCSRF(t *testing.T) {
	persistencetest.Dialects(t, func(t *testing.T, tg persistencetest.Target) {
		e := startEnv(t, tg, envOptions{})
		b := e.browser()
		expect(t, b.register("ivy@example.com", "password 123"), 200, "/users/settings")

		refused := func(p page) {
			t.Helper()
			expect(t, p, 403, "", "This form was not sent from this site or it has expired")
		}
		// No token, a forged token, a token without its cookie.
		refused(b.post("/users/settings/api-tokens/revoke", form("_csrf_token", "-")))
		refused(b.post("/users/log-out", form("_csrf_token", "forged.9999999999.abc")))
		stranger := e.browser()
		refused(stranger.post("/users/log-in", form("email", "ivy@example.com", "password", "password 123", "_csrf_token", b.csrf)))
		refused(stranger.post("/users/register", form("email", "x@example.com", "password", "password 123", "_csrf_token", "-")))
		// The refused requests changed nothing: still signed in.
		expect(t, b.get("/users/settings"), 200, "/users/settings")
		// A token cookie signed with another secret is not accepted either.
		jarURL, _ := url.Parse(e.base)
		for _, c := range b.c.Jar.Cookies(jarURL) {
			if c.Name == "_gamend_csrf" && !strings.Contains(c.Value, ".") {
				t.Fatalf("csrf cookie not signed: %q", c.Value)
			}
		}
	})
}

func TestCookies(t *testing.T) {
	persistencetest.Dialects(t, func(t *testing.T, tg persistencetest.Target) {
		e := startEnv(t, tg, envOptions{})
		b := e.browser()
		b.get("/users/register")
		req, _ := http.NewRequest(http.MethodPost, e.base+"/users/register",
			strings.NewReader(url.Values{"email": {"jo@example.com"}, "password": {"password 123"}, "_csrf_token": {b.csrf}}.Encode()))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		b.c.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
		res, err := b.c.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
		var session string
		for _, h := range res.Header.Values("Set-Cookie") {
			if strings.HasPrefix(h, "_gamend_session=") {
				session = h
			}
		}
		for _, want := range []string{"HttpOnly", "SameSite=Lax", "path=/", "expires="} {
			if !strings.Contains(strings.ToLower(session), strings.ToLower(want)) {
				t.Fatalf("session cookie %q lacks %s", session, want)
			}
		}
		if strings.Contains(strings.ToLower(session), "secure") {
			t.Fatalf("Secure cookie on an http public URL: %q", session)
		}
		// A tampered session cookie is ignored.
		b.c.CheckRedirect = nil
		jarURL, _ := url.Parse(e.base)
		var value string
		for _, c := range b.c.Jar.Cookies(jarURL) {
			if c.Name == "_gamend_session" {
				value = c.Value
			}
		}
		expect(t, b.get("/users/settings"), 200, "/users/settings")
		tampered := "A" + value[1:]
		b.c.Jar.SetCookies(jarURL, []*http.Cookie{{Name: "_gamend_session", Value: tampered, Path: "/"}})
		expect(t, b.get("/users/settings"), 200, "/users/log-in")
		// Pages are not cached or framed.
		res, err = http.Get(e.base + "/users/log-in")
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
		if res.Header.Get("Cache-Control") != "no-store" || res.Header.Get("X-Frame-Options") != "DENY" ||
			!strings.Contains(res.Header.Get("Content-Security-Policy"), "default-src 'none'") {
			t.Fatalf("page headers: %v", res.Header)
		}
		if res, err := http.Get(e.base + "/assets/web/app.css"); err != nil || res.StatusCode != 200 || !strings.HasPrefix(res.Header.Get("Content-Type"), "text/css") {
			t.Fatalf("css: %v %v", err, res)
		}
	})
}

func TestDevMailboxGate(t *testing.T) {
	tg := persistencetest.SQLite(t)
	prod := startEnv(t, tg, envOptions{production: true})
	for _, path := range []string{"/dev/mailbox", "/dev/mailbox/1"} {
		if p := prod.browser().get(path); p.status != 404 {
			t.Fatalf("%s in production: %d", path, p.status)
		}
	}
	if strings.Contains(prod.browser().get("/").body, "/dev/mailbox") {
		t.Fatal("home page links the mailbox in production")
	}

	// MAILBOX_PREVIEW_ENABLED in production: administrators only.
	e := startEnv(t, persistencetest.SQLite(t), envOptions{production: true, previewInProd: true})
	admin := e.browser()
	expect(t, admin.register("admin@example.com", "password 123"), 200, "/users/settings") // first user: admin
	user := e.browser()
	expect(t, user.register("user@example.com", "password 123"), 200, "/users/settings")
	if p := user.get("/dev/mailbox"); p.status != 404 {
		t.Fatalf("non-admin: %d", p.status)
	}
	if p := e.browser().get("/dev/mailbox"); p.status != 404 {
		t.Fatalf("anonymous: %d", p.status)
	}
	expect(t, admin.get("/dev/mailbox"), 200, "/dev/mailbox", "user@example.com", "Confirm your account")
	expect(t, admin.get("/dev/mailbox/999"), 404, "", "No such message")
}
