package web

import (
	"errors"

	"github.com/gofiber/fiber/v2"

	"github.com/gamend-go/gamend/auth"
)

// Page handlers for signing up, in and out.

const (
	msgInvalidLogin  = "Invalid e-mail or password."
	msgNotActivated  = "Your account is pending activation by an administrator."
	msgLinkSent      = "If your e-mail is in our system, you will receive a log-in link shortly."
	msgWelcome       = "Welcome back!"
	afterLogInPath   = "/users/settings"
	logInPath        = "/users/log-in"
	linkInvalidTitle = "Link invalid or expired"
)

// fieldErrors returns the field errors of an auth.ValidationError.
func fieldErrors(err error) (map[string][]string, bool) {
	var verr *auth.ValidationError
	if errors.As(err, &verr) {
		return verr.Fields, true
	}
	return nil, false
}

func formError(msg string) map[string][]string { return map[string][]string{"form": {msg}} }

func (w *Web) home(c *fiber.Ctx) error {
	return w.render(c, fiber.StatusOK, "home", page{Title: "Welcome"})
}

func (w *Web) registerPage(c *fiber.Ctx) error {
	if _, ok := w.CurrentUser(c); ok {
		return c.Redirect(afterLogInPath, fiber.StatusSeeOther)
	}
	return w.render(c, fiber.StatusOK, "register", page{Title: "Register"})
}

func (w *Web) register(c *fiber.Ctx) error {
	if _, ok := w.CurrentUser(c); ok {
		return c.Redirect(afterLogInPath, fiber.StatusSeeOther)
	}
	email, password := formValue(c, "email"), secretValue(c, "password")
	u, _, err := w.auth.Register(c.UserContext(), email, password)
	if errors.Is(err, auth.ErrNotActivated) {
		return w.redirect(c, logInPath, flashInfo, "Account created. We sent you a link to confirm your e-mail address. "+
			"An administrator must activate your account before you can log in.")
	}
	if fields, ok := fieldErrors(err); ok {
		return w.render(c, fiber.StatusUnprocessableEntity, "register", page{Title: "Register", Form: map[string]string{"email": email}, Errors: fields})
	}
	if err != nil {
		return err
	}
	if err := w.StartSession(c, u.ID); err != nil {
		return err
	}
	return w.redirect(c, afterLogInPath, flashInfo, "Account created. We sent a confirmation link to "+u.Email+": open it to confirm your e-mail address.")
}

func (w *Web) logInPage(c *fiber.Ctx) error {
	return w.render(c, fiber.StatusOK, "login", page{Title: "Log in"})
}

func (w *Web) logIn(c *fiber.Ctx) error {
	email, password := formValue(c, "email"), secretValue(c, "password")
	form := map[string]string{"email": email}
	u, err := w.auth.CheckPassword(c.UserContext(), email, password)
	switch {
	case errors.Is(err, auth.ErrInvalidCredentials):
		return w.render(c, fiber.StatusUnauthorized, "login", page{Title: "Log in", Form: form, Errors: formError(msgInvalidLogin)})
	case errors.Is(err, auth.ErrNotActivated):
		return w.render(c, fiber.StatusForbidden, "login", page{Title: "Log in", Form: form, Errors: formError(msgNotActivated)})
	case err != nil:
		return err
	}
	if err := w.StartSession(c, u.ID); err != nil {
		return err
	}
	return w.redirect(c, w.takeReturnTo(c, afterLogInPath), flashInfo, msgWelcome)
}

// sendLogInLink mails a magic link; the answer is the same whether or not
// the address has an account.
func (w *Web) sendLogInLink(c *fiber.Ctx) error {
	email := formValue(c, "email")
	if verr := w.auth.ValidateEmail(email); verr != nil {
		return w.render(c, fiber.StatusUnprocessableEntity, "login", page{Title: "Log in",
			Form: map[string]string{"link_email": email}, Errors: map[string][]string{"link_email": verr.Fields["email"]}})
	}
	w.sendByEmail(email, auth.ContextLogin)
	return w.redirect(c, logInPath, flashInfo, msgLinkSent)
}

// linkLogInPage asks for a click before using a magic link, so a mail
// scanner that fetches links does not burn it.
func (w *Web) linkLogInPage(c *fiber.Ctx) error {
	u, err := w.tokens.PeekEmailToken(c.UserContext(), auth.ContextLogin, c.Params("token"))
	if errors.Is(err, auth.ErrLinkInvalid) {
		return w.linkInvalid(c, "Log-in link", logInPath, "Ask for a new log-in link")
	}
	if err != nil {
		return err
	}
	return w.render(c, fiber.StatusOK, "link_login", page{Title: "Log in", Data: u.Email})
}

func (w *Web) linkLogIn(c *fiber.Ctx) error {
	u, err := w.tokens.LogInWithLink(c.UserContext(), strCopy(c.Params("token")))
	switch {
	case errors.Is(err, auth.ErrLinkInvalid):
		return w.linkInvalid(c, "Log-in link", logInPath, "Ask for a new log-in link")
	case errors.Is(err, auth.ErrNotActivated):
		return w.render(c, fiber.StatusForbidden, "login", page{Title: "Log in", Errors: formError(msgNotActivated)})
	case err != nil:
		return err
	}
	if err := w.StartSession(c, u.ID); err != nil {
		return err
	}
	return w.redirect(c, w.takeReturnTo(c, afterLogInPath), flashInfo, msgWelcome)
}

func (w *Web) logOutPage(c *fiber.Ctx) error {
	if _, ok := w.CurrentUser(c); !ok {
		return c.Redirect("/", fiber.StatusSeeOther)
	}
	return w.render(c, fiber.StatusOK, "logout", page{Title: "Log out"})
}

func (w *Web) logOut(c *fiber.Ctx) error {
	if err := w.EndSession(c); err != nil {
		return err
	}
	return w.redirect(c, "/", flashInfo, "Logged out successfully.")
}

// linkInvalid answers a link that is unknown, used or expired.
func (w *Web) linkInvalid(c *fiber.Ctx, what, next, nextText string) error {
	return w.render(c, fiber.StatusNotFound, "message", page{Title: linkInvalidTitle,
		Data: notice{Text: what + " is invalid or it has expired. Links can be used once.", Link: next, LinkText: nextText}})
}

// notice is the data of the message page.
type notice struct{ Text, Link, LinkText string }
