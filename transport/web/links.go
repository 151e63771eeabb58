package web

import (
	"errors"

	"github.com/gofiber/fiber/v2"

	"github.com/gamend-go/gamend/auth"
)

// Page handlers for the e-mailed confirmation and password-reset links.

const (
	msgConfirmSent = "If your e-mail is in our system and it has not been confirmed yet, you will receive a confirmation link shortly."
	msgResetSent   = "If your e-mail is in our system, you will receive instructions to reset your password shortly."
)

func (w *Web) resendConfirmPage(c *fiber.Ctx) error {
	form := map[string]string{}
	if u, ok := w.CurrentUser(c); ok {
		form["email"] = u.Email
	}
	return w.render(c, fiber.StatusOK, "confirm_resend", page{Title: "Resend confirmation", Form: form})
}

func (w *Web) resendConfirm(c *fiber.Ctx) error {
	email := formValue(c, "email")
	if verr := w.auth.ValidateEmail(email); verr != nil {
		return w.render(c, fiber.StatusUnprocessableEntity, "confirm_resend", page{Title: "Resend confirmation",
			Form: map[string]string{"email": email}, Errors: verr.Fields})
	}
	w.sendByEmail(email, auth.ContextConfirm)
	return w.redirect(c, "/", flashInfo, msgConfirmSent)
}

func (w *Web) confirmPage(c *fiber.Ctx) error {
	u, err := w.tokens.PeekEmailToken(c.UserContext(), auth.ContextConfirm, c.Params("token"))
	if errors.Is(err, auth.ErrLinkInvalid) {
		return w.linkInvalid(c, "Confirmation link", "/users/confirm", "Send a new confirmation link")
	}
	if err != nil {
		return err
	}
	return w.render(c, fiber.StatusOK, "confirm", page{Title: "Confirm your account", Data: u.Email})
}

// confirm uses the link: the address is confirmed and, since the click
// proves the owner, this browser is signed in (active accounts only).
func (w *Web) confirm(c *fiber.Ctx) error {
	u, err := w.tokens.Confirm(c.UserContext(), strCopy(c.Params("token")))
	if errors.Is(err, auth.ErrLinkInvalid) {
		return w.linkInvalid(c, "Confirmation link", "/users/confirm", "Send a new confirmation link")
	}
	if err != nil {
		return err
	}
	if !auth.Active(u) {
		w.clearCookie(c, sessionCookie)
		return w.redirect(c, logInPath, flashInfo, "Your e-mail address is confirmed. An administrator must activate your account before you can log in.")
	}
	if err := w.StartSession(c, u.ID); err != nil {
		return err
	}
	return w.redirect(c, afterLogInPath, flashInfo, "Your e-mail address is confirmed.")
}

func (w *Web) resetRequestPage(c *fiber.Ctx) error {
	return w.render(c, fiber.StatusOK, "reset_request", page{Title: "Forgot your password?"})
}

func (w *Web) resetRequest(c *fiber.Ctx) error {
	email := formValue(c, "email")
	if verr := w.auth.ValidateEmail(email); verr != nil {
		return w.render(c, fiber.StatusUnprocessableEntity, "reset_request", page{Title: "Forgot your password?",
			Form: map[string]string{"email": email}, Errors: verr.Fields})
	}
	w.sendByEmail(email, auth.ContextResetPassword)
	return w.redirect(c, logInPath, flashInfo, msgResetSent)
}

func (w *Web) resetPage(c *fiber.Ctx) error {
	u, err := w.tokens.PeekEmailToken(c.UserContext(), auth.ContextResetPassword, c.Params("token"))
	if errors.Is(err, auth.ErrLinkInvalid) {
		return w.linkInvalid(c, "Password reset link", "/users/reset-password", "Ask for a new reset link")
	}
	if err != nil {
		return err
	}
	return w.render(c, fiber.StatusOK, "reset", page{Title: "Reset password", Data: u.Email})
}

// reset sets the new password. Every session and API token of the account
// ends; the user logs in again with the new password.
func (w *Web) reset(c *fiber.Ctx) error {
	token := strCopy(c.Params("token"))
	_, err := w.tokens.ResetPassword(c.UserContext(), token, secretValue(c, "password"), secretValue(c, "password_confirmation"))
	if fields, ok := fieldErrors(err); ok {
		email := ""
		if owner, perr := w.tokens.PeekEmailToken(c.UserContext(), auth.ContextResetPassword, token); perr == nil {
			email = owner.Email
		}
		return w.render(c, fiber.StatusUnprocessableEntity, "reset", page{Title: "Reset password", Errors: fields, Data: email})
	}
	if errors.Is(err, auth.ErrLinkInvalid) {
		return w.linkInvalid(c, "Password reset link", "/users/reset-password", "Ask for a new reset link")
	}
	if err != nil {
		return err
	}
	w.clearCookie(c, sessionCookie)
	c.Locals(localUser, &currentSession{})
	return w.redirect(c, logInPath, flashInfo, "Password reset successfully. Log in with your new password.")
}
