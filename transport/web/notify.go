package web

import (
	"context"
	"errors"
	"time"

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

// activationMailTimeout bounds the hand-over of an activation e-mail.
const activationMailTimeout = time.Minute

// NotifyActivated e-mails u that an administrator activated the account
// (API.md §4.15: activating an inactive user e-mails them), with a link to
// the log-in page. Accounts without an e-mail address (device, some
// providers) get nothing. It returns at once: the mail is handed to the
// mailer in the background (an SMTP relay may be slow), so it can be
// registered as a user.Profiles OnActivated subscriber, which must not
// block. A failure is logged, never the message.
func (w *Web) NotifyActivated(u *users.Row) {
	if u == nil || u.Email == "" {
		return
	}
	to, id := u.Email, u.ID
	go func() {
		ctx, cancel := context.WithTimeout(context.Background(), activationMailTimeout)
		defer cancel()
		if err := w.opts.Mailer.Send(ctx, mail.Activated(to, w.opts.PublicURL+logInPath)); err != nil {
			w.log.Error("activation e-mail not sent", "user_id", id, "err", err)
		}
	}()
}
