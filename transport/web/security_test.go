package web_test

import (
	"bytes"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/gamend-go/gamend/persistence/persistencetest"
	"github.com/gamend-go/gamend/transport/rest/resttest"
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

// TestCompressedFormBodies: a browser form body with a Content-Encoding is
// decoded once and never past the 1 MiB body limit, whatever its content
// type (fasthttp's multipart parser would otherwise gunzip it without a
// limit before the CSRF check ran); a small compressed form still works.
func TestCompressedFormBodies(t *testing.T) {
	bomb := resttest.GzipBomb(t, 100) // ~100 KB, decodes to 100 MiB
	persistencetest.Dialects(t, func(t *testing.T, tg persistencetest.Target) {
		e := startEnv(t, tg, envOptions{})
		b := e.browser()
		b.get("/users/register")
		send := func(path, contentType, encoding string, body []byte) page {
			t.Helper()
			req, _ := http.NewRequest(http.MethodPost, b.url(path), bytes.NewReader(body))
			req.Header.Set("Content-Type", contentType)
			req.Header.Set("Content-Encoding", encoding)
			return b.do(req)
		}
		for _, tt := range []struct {
			name, path, contentType, encoding string
			body                              []byte
			status                            int
			final                             string // the path after redirects, when set
		}{
			{"multipart bomb to log-in", "/users/log-in", "multipart/form-data; boundary=xyz", "gzip", bomb, 413, ""},
			{"url-encoded bomb to register", "/users/register", "application/x-www-form-urlencoded", "gzip", bomb, 413, ""},
			// A settings form checks the session first: nobody signed in is
			// sent to the log-in page and the body is never decoded.
			{"multipart bomb to a settings form, signed out", "/users/settings/password", "multipart/form-data; boundary=xyz", "gzip", bomb, 200, "/users/log-in"},
			{"double gzip multipart", "/users/log-in", "multipart/form-data; boundary=xyz", "gzip, gzip", resttest.Gzip(t, bomb), 415, ""},
			{"unknown page", "/users/nope", "multipart/form-data; boundary=xyz", "gzip", bomb, 404, ""},
		} {
			t.Run(tt.name, func(t *testing.T) {
				m := resttest.ReadMemory(t)
				p := send(tt.path, tt.contentType, tt.encoding, tt.body)
				m.CheckSince(t, 8<<20)
				if p.status != tt.status || (tt.final != "" && p.path != tt.final) {
					t.Fatalf("status %d at %s, want %d at %q\n%s", p.status, p.path, tt.status, tt.final, p.body)
				}
			})
		}
		form := url.Values{"email": {"zip@example.com"}, "password": {"password 123"}, "_csrf_token": {b.csrf}}
		expect(t, send("/users/register", "application/x-www-form-urlencoded", "gzip", resttest.Gzip(t, []byte(form.Encode()))),
			200, "/users/settings", "zip@example.com")
		// Signed in, the same bomb to a settings form is decoded, bounded.
		b.get("/users/settings")
		if p := send("/users/settings/password", "multipart/form-data; boundary=xyz", "gzip", bomb); p.status != 413 {
			t.Fatalf("bomb to a settings form, signed in: %d\n%s", p.status, p.body)
		}
	})
}
