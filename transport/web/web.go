package web

import (
	"context"
	"errors"
	"log/slog"
	"strings"

	"github.com/gofiber/fiber/v2"

	"github.com/gamend-go/gamend/auth"
	"github.com/gamend-go/gamend/auth/mail"
	"github.com/gamend-go/gamend/auth/oauth"
	"github.com/gamend-go/gamend/persistence/users"
	"github.com/gamend-go/gamend/transport/rest"
)

// Options configures the account pages.
type Options struct {
	Auth *auth.Service
	// Mailer queues the account e-mails; its workers deliver them, so no
	// request waits for (or is timed by) a delivery.
	Mailer *mail.Queue
	// Mailbox is the development mailbox when Mailer is one (nil with SMTP).
	Mailbox *mail.Mailbox
	// MailboxPreview serves /dev/mailbox (outside production, or with
	// MAILBOX_PREVIEW_ENABLED), to clients whose TCP peer address is
	// loopback (rest.PeerIP; headers can only refuse, never grant).
	// MailboxAdminOnly (production) serves it to signed-in
	// administrators instead, from anywhere. Others get 404.
	MailboxPreview   bool
	MailboxAdminOnly bool
	// OAuth, when set, offers sign-in and linking with its configured
	// providers (the callbacks come back through rest.BrowserLogin).
	OAuth *oauth.Providers
	// PublicURL is the external base URL used in e-mailed links, without a
	// trailing slash; an https URL makes the cookies Secure.
	PublicURL string
	// CookieSecret signs the session, flash and CSRF cookies
	// (config.CookieSecret).
	CookieSecret []byte
	Logger       *slog.Logger
}

// Web is the set of account pages. Build it with New and register its
// routes with Mount before rest.Server.Finish.
type Web struct {
	opts   Options
	auth   *auth.Service
	tokens *auth.UserTokens
	log    *slog.Logger
	sign   signer
	secure bool
	views  *views
	csrf   fiber.Handler
}

// New builds the pages. It panics if an embedded template does not parse
// (a build defect, caught by any test).
func New(opts Options) *Web {
	if opts.Logger == nil {
		opts.Logger = slog.Default()
	}
	opts.PublicURL = strings.TrimRight(opts.PublicURL, "/")
	w := &Web{
		opts:   opts,
		auth:   opts.Auth,
		tokens: auth.NewUserTokens(opts.Auth),
		log:    opts.Logger,
		sign:   newSigner(opts.CookieSecret),
		secure: strings.HasPrefix(opts.PublicURL, "https://"),
		views:  mustParseViews(),
	}
	w.csrf = w.newCSRF()
	return w
}

// OAuth returns the OAuth provider clients the pages use (Options.OAuth).
func (w *Web) OAuth() *oauth.Providers { return w.opts.OAuth }

// Tokens returns the users_tokens store the pages use (browser sessions
// and e-mail tokens).
func (w *Web) Tokens() *auth.UserTokens { return w.tokens }

// Mount registers the pages on app.
func (w *Web) Mount(app *fiber.App) {
	app.Get(cssPath, serveCSS)
	r := func(method, path string, h fiber.Handler) {
		app.Add(method, path, w.plainBody, w.csrf, w.handle(h))
	}
	// Settings pages check the session before the body is decoded: a
	// request from nobody signed in is redirected without decoding.
	signedIn := func(method, path string, h fiber.Handler) {
		app.Add(method, path, w.requireUser(w.plainBody), w.csrf, w.handle(h))
	}
	get, post := fiber.MethodGet, fiber.MethodPost

	r(get, "/", w.home)
	r(get, "/users/register", w.registerPage)
	r(post, "/users/register", w.register)
	r(get, "/users/log-in", w.logInPage)
	r(post, "/users/log-in", w.logIn)
	r(post, "/users/log-in/link", w.sendLogInLink)
	r(get, "/users/log-in/:token", w.linkLogInPage)
	r(post, "/users/log-in/:token", w.linkLogIn)
	r(get, "/users/log-out", w.logOutPage)
	r(post, "/users/log-out", w.logOut)
	r(get, "/users/confirm", w.resendConfirmPage)
	r(post, "/users/confirm", w.resendConfirm)
	r(get, "/users/confirm/:token", w.confirmPage)
	r(post, "/users/confirm/:token", w.confirm)
	r(get, "/users/reset-password", w.resetRequestPage)
	r(post, "/users/reset-password", w.resetRequest)
	r(get, "/users/reset-password/:token", w.resetPage)
	r(post, "/users/reset-password/:token", w.reset)

	signedIn(get, "/users/settings", w.settingsPage)
	signedIn(post, "/users/settings/email", w.changeEmail)
	signedIn(get, "/users/settings/confirm-email/:token", w.confirmEmail)
	signedIn(post, "/users/settings/password", w.changePassword)
	signedIn(post, "/users/settings/providers/:provider/unlink", w.unlinkProvider)
	signedIn(post, "/users/settings/sessions/revoke-others", w.revokeOtherSessions)
	signedIn(post, "/users/settings/sessions/:id/revoke", w.revokeSession)
	signedIn(post, "/users/settings/api-tokens/revoke", w.revokeAPITokens)
	r(post, "/users/oauth/:provider", w.startOAuth)

	if w.mailboxOn() {
		r(get, "/dev/mailbox", w.mailboxList)
		r(get, "/dev/mailbox/:id", w.mailboxMessage)
	}
}

// plainBody decodes a compressed form body, once and never past the body
// limit (rest.DecodeBody), before the CSRF check or a handler reads a
// field; a body it refuses gets a message page with the status (413, 415
// or 400).
func (w *Web) plainBody(c *fiber.Ctx) error {
	if e := rest.DecodeBody(c); e != nil {
		return w.message(c, e.Status, "Form not accepted",
			"The form could not be read: it is too large or its encoding is not supported. Go back and try again.")
	}
	return c.Next()
}

// HookSignUps makes every new e-mail/password account (browser form or
// POST /api/v1/register) receive a confirmation e-mail, by chaining onto
// auth.Service.OnUserCreated. Call it once at start-up.
func (w *Web) HookSignUps() {
	prev := w.auth.OnUserCreated
	w.auth.OnUserCreated = func(ctx context.Context, u *users.Row) {
		if prev != nil {
			prev(ctx, u)
		}
		if u.Email != "" && u.HasPassword() && u.ConfirmedAt == nil {
			if err := w.SendConfirmation(ctx, u); err != nil {
				w.log.Error("confirmation e-mail not sent", "user_id", u.ID, "err", err)
			}
		}
	}
}

// StartSession signs the browser in as userID: any current session of this
// browser ends, a new one is stored and its cookie set. It refuses accounts
// waiting for activation (auth.ErrNotActivated). The OAuth browser flow
// ("browser:" states) calls it after a successful provider login.
func (w *Web) StartSession(c *fiber.Ctx, userID string) error {
	ctx := c.UserContext()
	if old := w.sessionToken(c); old != "" {
		if err := w.tokens.EndSession(ctx, old); err != nil {
			return err
		}
	}
	token, _, err := w.tokens.CreateSession(ctx, userID)
	if err != nil {
		return err
	}
	w.setSessionCookie(c, token)
	u, s, err := w.tokens.SessionUser(ctx, token)
	if err != nil {
		return err
	}
	c.Locals(localUser, &currentSession{user: u, session: s})
	return nil
}

// CurrentUser returns the account signed in on this browser, if any. The
// answer is computed once per request.
func (w *Web) CurrentUser(c *fiber.Ctx) (*users.Row, bool) {
	u, _ := w.current(c)
	return u, u != nil
}

type currentSession struct {
	user    *users.Row
	session *auth.Session
}

const localUser = "gamend.web.user"

func (w *Web) current(c *fiber.Ctx) (*users.Row, *auth.Session) {
	if cs, ok := c.Locals(localUser).(*currentSession); ok {
		return cs.user, cs.session
	}
	cs := &currentSession{}
	if token := w.sessionToken(c); token != "" {
		u, s, err := w.tokens.SessionUser(c.UserContext(), token)
		switch {
		case err == nil:
			cs.user, cs.session = u, s
		case !errors.Is(err, auth.ErrSessionInvalid):
			w.log.Error("reading browser session failed", "err", err)
		}
	}
	c.Locals(localUser, cs)
	return cs.user, cs.session
}

// EndSession signs the browser out (its session row is deleted).
func (w *Web) EndSession(c *fiber.Ctx) error {
	if token := w.sessionToken(c); token != "" {
		if err := w.tokens.EndSession(c.UserContext(), token); err != nil {
			return err
		}
	}
	w.clearCookie(c, sessionCookie)
	c.Locals(localUser, &currentSession{})
	return nil
}

func (w *Web) mailboxOn() bool { return w.opts.Mailbox != nil && w.opts.MailboxPreview }

// handle runs h; an error it returns is an unexpected failure: logged with
// the request id and answered with a generic 500 page.
func (w *Web) handle(h fiber.Handler) fiber.Handler {
	return func(c *fiber.Ctx) error {
		err := h(c)
		var fe *fiber.Error
		if err == nil || errors.As(err, &fe) {
			return err // fiber errors (404) are answered by the app's error handler
		}
		w.log.Error("account page failed", "route", c.Route().Path, "err", err, "request_id", c.GetRespHeader(fiber.HeaderXRequestID))
		return w.message(c, fiber.StatusInternalServerError, "Something went wrong", "The server could not complete this request. Please try again in a moment.")
	}
}

// requireUser runs h when someone is signed in, and otherwise redirects
// to the log-in page, remembering where to come back to after a GET.
func (w *Web) requireUser(h fiber.Handler) fiber.Handler {
	return func(c *fiber.Ctx) error {
		if _, ok := w.CurrentUser(c); ok {
			return h(c)
		}
		if c.Method() == fiber.MethodGet {
			w.setReturnTo(c, c.OriginalURL())
		}
		w.setFlash(c, flashError, "You must log in to access this page.")
		return c.Redirect("/users/log-in", fiber.StatusSeeOther)
	}
}
