package web

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"strconv"
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"

	"github.com/gamend-go/gamend/auth"
	"github.com/gamend-go/gamend/auth/oauth"
)

// Browser sign-in and linking with an OAuth provider. The provider
// callback routes belong to transport/rest; a callback whose state starts
// with "browser:" is handed to CompleteBrowserOAuth (rest.BrowserLogin).

const (
	oauthCookie   = "_gamend_oauth" // provider|nonce|link user id|link session id|expiry, signed
	oauthTTL      = 10 * time.Minute
	browserPrefix = "browser:"
)

// oauthProviders lists the providers with credentials configured.
func (w *Web) oauthProviders() []providerView {
	var out []providerView
	if w.opts.OAuth == nil {
		return nil
	}
	for _, p := range []string{oauth.Discord, oauth.Google, oauth.Apple, oauth.Facebook, oauth.Steam} {
		if w.opts.OAuth.Configured(p) {
			out = append(out, providerView{Name: p, Label: providerLabels[p]})
		}
	}
	return out
}

// startOAuth (POST /users/oauth/:provider) sends the browser to the
// provider: to sign in, or, when signed in, to link the provider to the
// account. The state is bound to this browser by a signed cookie, so a
// callback started in another browser (login or link CSRF) is refused; a
// link is also bound to the browser session that asked for it, so it
// fails once that session ended (log-out, revocation, account takeover).
func (w *Web) startOAuth(c *fiber.Ctx) error {
	p := strCopy(c.Params("provider"))
	if w.opts.OAuth == nil || !oauth.IsProvider(p) || !w.opts.OAuth.Configured(p) {
		return w.redirect(c, logInPath, flashError, "Sign-in with that provider is not available.")
	}
	b := make([]byte, 24)
	_, _ = rand.Read(b)
	nonce := base64.RawURLEncoding.EncodeToString(b)
	link, linkSession := "", ""
	if u, sess := w.current(c); u != nil {
		link, linkSession = u.ID, sess.ID
	}
	authURL, err := w.opts.OAuth.AuthCodeURL(p, browserPrefix+nonce)
	if err != nil {
		return err
	}
	exp := time.Now().Add(oauthTTL)
	// Apple answers with a cross-site form POST, which carries only
	// SameSite=None cookies (allowed over https only).
	same := fiber.CookieSameSiteLaxMode
	if w.secure {
		same = fiber.CookieSameSiteNoneMode
	}
	c.Cookie(&fiber.Cookie{Name: oauthCookie, Value: w.sign.sign(oauthCookie, strings.Join([]string{p, nonce, link, linkSession, strconv.FormatInt(exp.Unix(), 10)}, "|")),
		Path: "/", Expires: exp, Secure: w.secure, HTTPOnly: true, SameSite: same})
	return c.Redirect(authURL, fiber.StatusSeeOther)
}

// CompleteBrowserOAuth finishes a "browser:" callback (it implements
// rest.BrowserLogin): the state must match this browser's cookie; then the
// profile signs the browser in (account found, linked by verified e-mail,
// or created) or is linked to the account that started the flow.
func (w *Web) CompleteBrowserOAuth(c *fiber.Ctx, state string, prof oauth.Profile, ferr error) error {
	raw := w.readCookie(c, oauthCookie)
	c.Cookie(&fiber.Cookie{Name: oauthCookie, Path: "/", Expires: time.Now().Add(-time.Hour), Secure: w.secure, HTTPOnly: true})
	parts := strings.Split(raw, "|")
	if len(parts) != 5 || state != browserPrefix+parts[1] || expiredUnix(parts[4]) || (ferr == nil && prof.Provider != parts[0]) {
		return w.render(c, fiber.StatusBadRequest, "message", page{Title: "Sign-in expired",
			Data: notice{Text: "This sign-in was started in another browser, has expired or was already used.", Link: logInPath, LinkText: "Back to log in"}})
	}
	provider, linkUserID := providerLabels[parts[0]], parts[2]
	back := logInPath
	if linkUserID != "" {
		back = settingsPath
	}
	switch {
	case errors.Is(ferr, oauth.ErrDenied):
		return w.redirect(c, back, flashError, provider+" sign-in was cancelled.")
	case ferr != nil:
		return w.redirect(c, back, flashError, provider+" sign-in failed. Please try again.")
	}
	ctx := c.UserContext()
	if linkUserID != "" {
		alive, err := w.sessionAlive(ctx, linkUserID, parts[3])
		if err != nil {
			return err
		}
		if !alive {
			return w.redirect(c, logInPath, flashError, "You were logged out before "+provider+" was linked. Log in and try again.")
		}
		err = w.auth.LinkProvider(ctx, linkUserID, prof)
		switch {
		case errors.Is(err, auth.ErrProviderTaken):
			return w.redirect(c, settingsPath, flashError, "This "+provider+" account is already linked to another account.")
		case err != nil:
			return err
		}
		return w.redirect(c, settingsPath, flashInfo, provider+" linked.")
	}
	u, _, err := w.auth.LoginProvider(ctx, prof)
	if errors.Is(err, auth.ErrNotActivated) {
		return w.render(c, fiber.StatusForbidden, "login", page{Title: "Log in", Errors: formError(msgNotActivated)})
	}
	if _, ok := fieldErrors(err); ok {
		return w.redirect(c, logInPath, flashError, "An account with this e-mail address already exists. Log in to it, then link "+provider+" in your settings.")
	}
	if err != nil {
		return err
	}
	if err := w.StartSession(c, u.ID); err != nil {
		return err
	}
	return w.redirect(c, w.takeReturnTo(c, afterLogInPath), flashInfo, msgWelcome)
}

// sessionAlive reports whether the browser session id of userID still
// exists (the Apple callback is a cross-site POST that carries no session
// cookie, so the session is looked up by the id the flow cookie kept).
func (w *Web) sessionAlive(ctx context.Context, userID, id string) (bool, error) {
	sessions, err := w.tokens.Sessions(ctx, userID)
	if err != nil {
		return false, err
	}
	for _, s := range sessions {
		if s.ID == id {
			return true, nil
		}
	}
	return false, nil
}

func expiredUnix(s string) bool {
	n, err := strconv.ParseInt(s, 10, 64)
	return err != nil || time.Now().Unix() >= n
}
