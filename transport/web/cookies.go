package web

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"

	"github.com/gamend-go/gamend/auth"
)

// Cookie names. All are HttpOnly, SameSite=Lax, Path=/ and Secure when
// the public URL is https; every value is signed.
const (
	sessionCookie  = "_gamend_session"   // browser session token
	flashCookie    = "_gamend_flash"     // one-shot message after a redirect
	returnToCookie = "_gamend_return_to" // page to open after logging in
	csrfCookie     = "_gamend_csrf"      // double-submit CSRF token
)

// signer signs cookie values with a key derived from the cookie secret, so
// the secret itself is used for nothing else here.
type signer struct{ key []byte }

func newSigner(secret []byte) signer {
	m := hmac.New(sha256.New, secret)
	m.Write([]byte("gamend web cookies v1"))
	return signer{key: m.Sum(nil)}
}

func (s signer) mac(name, value string) string {
	m := hmac.New(sha256.New, s.key)
	m.Write([]byte(name))
	m.Write([]byte{0})
	m.Write([]byte(value))
	return base64.RawURLEncoding.EncodeToString(m.Sum(nil))
}

// sign returns value with its signature for the cookie (or token) name.
func (s signer) sign(name, value string) string { return value + "." + s.mac(name, value) }

// verify returns the value of a signed string when the signature is good.
func (s signer) verify(name, signed string) (string, bool) {
	i := strings.LastIndexByte(signed, '.')
	if i < 0 {
		return "", false
	}
	value := signed[:i]
	if !hmac.Equal([]byte(signed[i+1:]), []byte(s.mac(name, value))) {
		return "", false
	}
	return value, true
}

func (w *Web) setCookie(c *fiber.Ctx, name, value string, expires time.Time) {
	c.Cookie(&fiber.Cookie{
		Name: name, Value: w.sign.sign(name, value), Path: "/", Expires: expires,
		Secure: w.secure, HTTPOnly: true, SameSite: fiber.CookieSameSiteLaxMode,
		SessionOnly: expires.IsZero(),
	})
}

func (w *Web) clearCookie(c *fiber.Ctx, name string) {
	c.Cookie(&fiber.Cookie{
		Name: name, Value: "", Path: "/", Expires: time.Now().Add(-24 * time.Hour),
		Secure: w.secure, HTTPOnly: true, SameSite: fiber.CookieSameSiteLaxMode,
	})
}

// readCookie returns the verified value of a signed cookie ("" when absent
// or tampered with). The value is copied out of the request buffer.
func (w *Web) readCookie(c *fiber.Ctx, name string) string {
	raw := c.Cookies(name)
	if raw == "" {
		return ""
	}
	v, ok := w.sign.verify(name, raw)
	if !ok {
		return ""
	}
	return strings.Clone(v)
}

func (w *Web) setSessionCookie(c *fiber.Ctx, token string) {
	w.setCookie(c, sessionCookie, token, time.Now().Add(auth.SessionTTL))
}

func (w *Web) sessionToken(c *fiber.Ctx) string { return w.readCookie(c, sessionCookie) }

// Flash kinds.
const (
	flashInfo  = "info"
	flashError = "error"
)

type flash struct{ Kind, Text string }

// setFlash shows text on the next page rendered for this browser.
func (w *Web) setFlash(c *fiber.Ctx, kind, text string) {
	w.setCookie(c, flashCookie, kind+":"+base64.RawURLEncoding.EncodeToString([]byte(text)), time.Time{})
}

// takeFlash returns and clears the pending flash message, if any.
func (w *Web) takeFlash(c *fiber.Ctx) *flash {
	v := w.readCookie(c, flashCookie)
	if v == "" {
		return nil
	}
	w.clearCookie(c, flashCookie)
	kind, enc, _ := strings.Cut(v, ":")
	text, err := base64.RawURLEncoding.DecodeString(enc)
	if err != nil || (kind != flashInfo && kind != flashError) {
		return nil
	}
	return &flash{Kind: kind, Text: string(text)}
}

func (w *Web) setReturnTo(c *fiber.Ctx, path string) {
	w.setCookie(c, returnToCookie, path, time.Now().Add(15*time.Minute))
}

// takeReturnTo returns the remembered local path (or fallback) and clears
// it. Only same-site paths are honoured.
func (w *Web) takeReturnTo(c *fiber.Ctx, fallback string) string {
	p := w.readCookie(c, returnToCookie)
	if p == "" {
		return fallback
	}
	w.clearCookie(c, returnToCookie)
	if !strings.HasPrefix(p, "/") || strings.HasPrefix(p, "//") || strings.HasPrefix(p, "/\\") {
		return fallback
	}
	return p
}
