package web

import (
	"errors"
	"time"

	"github.com/gofiber/fiber/v2"

	"github.com/gamend-go/gamend/auth"
	"github.com/gamend-go/gamend/persistence/users"
)

// Page handlers of /users/settings (signed-in users only).

const settingsPath = "/users/settings"

type providerView struct {
	Name, Label        string
	Linked, Configured bool
}

type sessionView struct {
	ID                 string
	Started, LastLogIn time.Time
	Expires            time.Time
	Current            bool
}

type settingsData struct {
	Confirmed   bool
	HasPassword bool
	MinPassword int
	Providers   []providerView
	Sessions    []sessionView
}

var providerLabels = map[string]string{"discord": "Discord", "google": "Google", "facebook": "Facebook", "apple": "Apple", "steam": "Steam"}

func (w *Web) settingsPage(c *fiber.Ctx) error {
	return w.renderSettings(c, fiber.StatusOK, nil, nil)
}

func (w *Web) renderSettings(c *fiber.Ctx, status int, form map[string]string, errs map[string][]string) error {
	u, cur := w.current(c)
	list, err := w.tokens.Sessions(c.UserContext(), u.ID)
	if err != nil {
		return err
	}
	d := settingsData{Confirmed: u.ConfirmedAt != nil, HasPassword: u.HasPassword(), MinPassword: w.auth.Options().MinPasswordLength}
	for _, p := range users.Providers {
		_, linked := u.ProviderIDs[p]
		d.Providers = append(d.Providers, providerView{Name: p, Label: providerLabels[p], Linked: linked,
			Configured: w.opts.OAuth != nil && w.opts.OAuth.Configured(p)})
	}
	for _, s := range list {
		d.Sessions = append(d.Sessions, sessionView{ID: s.ID, Started: s.InsertedAt, LastLogIn: s.AuthenticatedAt,
			Expires: s.ExpiresAt, Current: cur != nil && s.ID == cur.ID})
	}
	return w.render(c, status, "settings", page{Title: "Account settings", User: u, Form: form, Errors: errs, Data: d})
}

// prefixed namespaces field errors by form ("email.current_password").
func prefixed(prefix string, fields map[string][]string) map[string][]string {
	out := make(map[string][]string, len(fields))
	for k, v := range fields {
		out[prefix+"."+k] = v
	}
	return out
}

func (w *Web) changeEmail(c *fiber.Ctx) error {
	u, _ := w.current(c)
	email, current := formValue(c, "email"), secretValue(c, "current_password")
	form := map[string]string{"email.email": email}
	token, err := w.tokens.RequestEmailChange(c.UserContext(), u, email, current)
	if errors.Is(err, auth.ErrWrongPassword) {
		return w.renderSettings(c, fiber.StatusUnprocessableEntity, form, map[string][]string{"email.current_password": {"is not valid"}})
	}
	if fields, ok := fieldErrors(err); ok {
		return w.renderSettings(c, fiber.StatusUnprocessableEntity, form, prefixed("email", fields))
	}
	if err != nil {
		return err
	}
	if err := w.sendEmailChange(c.UserContext(), email, token); err != nil {
		return w.redirect(c, settingsPath, flashError, "The e-mail could not be sent right now. Please try again later.")
	}
	return w.redirect(c, settingsPath, flashInfo, "A link to confirm your e-mail change has been sent to "+email+".")
}

func (w *Web) confirmEmail(c *fiber.Ctx) error {
	u, _ := w.current(c)
	_, err := w.tokens.ChangeEmail(c.UserContext(), u, strCopy(c.Params("token")))
	switch {
	case errors.Is(err, auth.ErrLinkInvalid):
		return w.redirect(c, settingsPath, flashError, "E-mail change link is invalid or it has expired.")
	case err != nil:
		if fields, ok := fieldErrors(err); ok && fields["email"] != nil {
			return w.redirect(c, settingsPath, flashError, "That e-mail address has already been taken.")
		}
		return err
	}
	return w.redirect(c, settingsPath, flashInfo, "E-mail changed successfully.")
}

// changePassword sets a new password: token_version is bumped (every API
// token stops working), and every e-mailed link and every other browser
// session of the account end with it. This browser stays signed in, on a
// fresh session.
func (w *Web) changePassword(c *fiber.Ctx) error {
	u, cur := w.current(c)
	confirmation := secretValue(c, "password_confirmation")
	err := w.auth.ChangePassword(c.UserContext(), u.ID, secretValue(c, "current_password"), secretValue(c, "password"), &confirmation, cur.ID)
	if errors.Is(err, auth.ErrWrongPassword) {
		return w.renderSettings(c, fiber.StatusUnprocessableEntity, nil, map[string][]string{"password.current_password": {"is not valid"}})
	}
	if fields, ok := fieldErrors(err); ok {
		return w.renderSettings(c, fiber.StatusUnprocessableEntity, nil, prefixed("password", fields))
	}
	if err != nil {
		return err
	}
	if err := w.StartSession(c, u.ID); err != nil {
		return err
	}
	return w.redirect(c, settingsPath, flashInfo, "Password updated. Your other browser sessions were logged out, every API token was revoked and every link we e-mailed you before no longer works.")
}

func (w *Web) unlinkProvider(c *fiber.Ctx) error {
	u, _ := w.current(c)
	p := strCopy(c.Params("provider"))
	err := w.auth.UnlinkProvider(c.UserContext(), u.ID, p)
	switch {
	case errors.Is(err, auth.ErrUnknownProvider):
		return w.redirect(c, settingsPath, flashError, "Unknown provider.")
	case errors.Is(err, auth.ErrLastMethod):
		return w.redirect(c, settingsPath, flashError, "You cannot unlink your last linked provider.")
	case err != nil:
		return err
	}
	return w.redirect(c, settingsPath, flashInfo, providerLabels[p]+" unlinked.")
}

func (w *Web) revokeSession(c *fiber.Ctx) error {
	u, cur := w.current(c)
	id := strCopy(c.Params("id"))
	err := w.tokens.RevokeSession(c.UserContext(), u.ID, id)
	if errors.Is(err, auth.ErrSessionInvalid) {
		return w.redirect(c, settingsPath, flashError, "That session no longer exists.")
	}
	if err != nil {
		return err
	}
	if cur != nil && cur.ID == id {
		w.clearCookie(c, sessionCookie)
		return w.redirect(c, logInPath, flashInfo, "This browser's session was revoked: you are logged out.")
	}
	return w.redirect(c, settingsPath, flashInfo, "Session revoked.")
}

func (w *Web) revokeOtherSessions(c *fiber.Ctx) error {
	u, cur := w.current(c)
	if err := w.tokens.RevokeSessions(c.UserContext(), u.ID, cur.ID); err != nil {
		return err
	}
	return w.redirect(c, settingsPath, flashInfo, "All your other browser sessions were logged out.")
}

func (w *Web) revokeAPITokens(c *fiber.Ctx) error {
	u, _ := w.current(c)
	if err := w.auth.RevokeAllTokens(c.UserContext(), u.ID); err != nil {
		return err
	}
	return w.redirect(c, settingsPath, flashInfo, "Every API token of your account was revoked: game clients must log in again.")
}
