package web

import (
	"context"
	"errors"

	"github.com/gamend-go/gamend/auth"
	"github.com/gamend-go/gamend/auth/mail"
	"github.com/gamend-go/gamend/persistence/users"
)

// The account e-mails: each stores a single-use token (auth.UserTokens),
// puts its link into the message and hands it to the mailer.

// SendConfirmation e-mails u a link confirming the account's address.
func (w *Web) SendConfirmation(ctx context.Context, u *users.Row) error {
	token, err := w.tokens.IssueEmailToken(ctx, u, auth.ContextConfirm)
	if err != nil {
		return err
	}
	return w.opts.Mailer.Send(ctx, mail.Confirm(u.Email, w.opts.PublicURL+"/users/confirm/"+token))
}

// sendByEmail mails a link of the given kind to the account with the
// address, if there is one. It reports nothing about whether there was:
// callers answer the same either way.
func (w *Web) sendByEmail(ctx context.Context, email, purpose string) error {
	u, err := w.tokens.UserByEmail(ctx, email)
	if errors.Is(err, auth.ErrNotFound) {
		return nil
	}
	if err != nil {
		return err
	}
	var msg func(to, url string) mail.Message
	var path string
	switch purpose {
	case auth.ContextLogin:
		msg, path = mail.MagicLink, "/users/log-in/"
	case auth.ContextResetPassword:
		msg, path = mail.ResetPassword, "/users/reset-password/"
	case auth.ContextConfirm:
		if u.ConfirmedAt != nil {
			return nil
		}
		msg, path = mail.Confirm, "/users/confirm/"
	default:
		return errors.New("web: no e-mail for " + purpose)
	}
	token, err := w.tokens.IssueEmailToken(ctx, u, purpose)
	if err != nil {
		return err
	}
	return w.opts.Mailer.Send(ctx, msg(u.Email, w.opts.PublicURL+path+token))
}

// sendEmailChange mails the link confirming u's new address to that address.
func (w *Web) sendEmailChange(ctx context.Context, to, token string) error {
	return w.opts.Mailer.Send(ctx, mail.ChangeEmail(to, w.opts.PublicURL+"/users/settings/confirm-email/"+token))
}
