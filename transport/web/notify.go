package web

import (
	"context"
	"errors"

	"github.com/gamend-go/gamend/auth"
	"github.com/gamend-go/gamend/auth/mail"
	"github.com/gamend-go/gamend/persistence/users"
)

// The account e-mails: each stores a single-use token (auth.UserTokens),
// puts its link into the message and queues it (Options.Mailer): no
// request waits for a mail to be delivered.

// SendConfirmation e-mails u a link confirming the account's address: the
// token is stored now, the mail is queued.
func (w *Web) SendConfirmation(ctx context.Context, u *users.Row) error {
	token, err := w.tokens.IssueEmailToken(ctx, u, auth.ContextConfirm)
	if err != nil {
		return err
	}
	return w.opts.Mailer.Send(ctx, mail.Confirm(u.Email, w.opts.PublicURL+"/users/confirm/"+token))
}

// mailLabels name the link e-mails in the queue's logs.
var mailLabels = map[string]string{
	auth.ContextLogin:         "log-in link",
	auth.ContextResetPassword: "password reset link",
	auth.ContextConfirm:       "confirmation link",
}

// sendByEmail queues a link of the given kind for the account with the
// address, if there is one. The request does exactly the same work either
// way (it only queues): the queue's worker looks the account up, stores the
// token and sends the mail, so neither the answer nor its timing tells
// whether the address has an account. A message the queue drops (full) is
// counted and logged there.
func (w *Web) sendByEmail(email, purpose string) {
	_ = w.opts.Mailer.Later(mailLabels[purpose], func(ctx context.Context) (mail.Message, bool, error) {
		return w.composeLink(ctx, email, purpose)
	})
}

// composeLink builds the e-mail of sendByEmail; ok is false when there is
// nothing to send (no such account, or a confirmation for a confirmed one).
func (w *Web) composeLink(ctx context.Context, email, purpose string) (mail.Message, bool, error) {
	u, err := w.tokens.UserByEmail(ctx, email)
	if errors.Is(err, auth.ErrNotFound) {
		return mail.Message{}, false, nil
	}
	if err != nil {
		return mail.Message{}, false, err
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
			return mail.Message{}, false, nil
		}
		msg, path = mail.Confirm, "/users/confirm/"
	default:
		return mail.Message{}, false, errors.New("web: no e-mail for " + purpose)
	}
	token, err := w.tokens.IssueEmailToken(ctx, u, purpose)
	if err != nil {
		return mail.Message{}, false, err
	}
	return msg(u.Email, w.opts.PublicURL+path+token), true, nil
}

// sendEmailChange queues the link confirming u's new address to that address.
func (w *Web) sendEmailChange(ctx context.Context, to, token string) error {
	return w.opts.Mailer.Send(ctx, mail.ChangeEmail(to, w.opts.PublicURL+"/users/settings/confirm-email/"+token))
}

// NotifyActivated e-mails u that an administrator activated the account
// (API.md §4.15: activating an inactive user e-mails them), with a link to
// the log-in page. Accounts without an e-mail address (device, some
// providers) get nothing. It only queues the mail, so it can be registered
// as a user.Profiles OnActivated subscriber, which must not block; a drop
// is counted and logged by the queue.
func (w *Web) NotifyActivated(u *users.Row) {
	if u == nil || u.Email == "" {
		return
	}
	_ = w.opts.Mailer.Send(context.Background(), mail.Activated(u.Email, w.opts.PublicURL+logInPath))
}
