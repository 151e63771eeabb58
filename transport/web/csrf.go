package web

import (
	"crypto/rand"
	"encoding/base64"
	"strconv"
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"
	"github.com/gofiber/fiber/v2/middleware/csrf"
)

// csrfTTL is how long a rendered form stays submittable.
const csrfTTL = 12 * time.Hour

const (
	csrfField     = "_csrf_token" // hidden form field
	localCSRF     = "gamend.web.csrf"
	csrfTokenName = "csrf"
)

// newCSRF protects every non-GET account route with fiber's CSRF
// middleware: the token must come back both in the form field and in the
// _gamend_csrf cookie (double submit), and over https the Referer must be
// this host. Instead of fiber's per-process memory storage, tokens are
// self-validating ("<random>.<expiry>.<signature>", see csrfStore), so a
// form rendered by one node is accepted by every node and survives a
// restart.
func (w *Web) newCSRF() fiber.Handler {
	store := csrfStore{sign: w.sign}
	return csrf.New(csrf.Config{
		KeyLookup:      "form:" + csrfField,
		CookieName:     csrfCookie,
		CookiePath:     "/",
		CookieSecure:   w.secure,
		CookieHTTPOnly: true,
		CookieSameSite: fiber.CookieSameSiteLaxMode,
		Expiration:     csrfTTL,
		KeyGenerator:   store.generate,
		Storage:        store,
		ContextKey:     localCSRF,
		ErrorHandler: func(c *fiber.Ctx, _ error) error {
			return w.message(c, fiber.StatusForbidden, "Form expired",
				"This form was not sent from this site or it has expired. Go back, reload the page and try again.")
		},
	})
}

// csrfStore implements fiber.Storage for the CSRF middleware without
// state: a token "exists" while its signature is valid and its embedded
// expiry has not passed.
type csrfStore struct{ sign signer }

func (s csrfStore) generate() string {
	b := make([]byte, 18)
	_, _ = rand.Read(b)
	v := base64.RawURLEncoding.EncodeToString(b) + "." + strconv.FormatInt(time.Now().Add(csrfTTL).Unix(), 10)
	return s.sign.sign(csrfTokenName, v)
}

func (s csrfStore) Get(key string) ([]byte, error) {
	v, ok := s.sign.verify(csrfTokenName, key)
	if !ok {
		return nil, nil
	}
	_, exp, _ := strings.Cut(v, ".")
	unix, err := strconv.ParseInt(exp, 10, 64)
	if err != nil || time.Now().Unix() >= unix {
		return nil, nil
	}
	return []byte{1}, nil
}

func (csrfStore) Set(string, []byte, time.Duration) error { return nil }
func (csrfStore) Delete(string) error                     { return nil }
func (csrfStore) Reset() error                            { return nil }
func (csrfStore) Close() error                            { return nil }
