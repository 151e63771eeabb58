package main

import (
	"expvar"
	"log/slog"
	"net/mail"
	"strings"
	"sync"
	"sync/atomic"

	authmail "github.com/gamend-go/gamend/auth/mail"
	"github.com/gamend-go/gamend/auth/oauth"
	"github.com/gamend-go/gamend/config"
	"github.com/gamend-go/gamend/transport/web"
)

// mountWeb builds the mail queue (a.mail: its workers deliver to SMTP or
// to the development mailbox; shutdown drains it) and registers the account pages (/, /users/*,
// /dev/mailbox: loopback clients only outside production, signed-in admins
// with MAILBOX_PREVIEW_ENABLED in production). Sign-ups through the JSON
// route get the confirmation e-mail too (auth OnUserCreated), and OAuth
// callbacks with a "browser:" state complete the pages' provider sign-in
// and linking. Call it after the auth service and the OAuth routes
// (mountOAuth) exist. The returned *web.Web starts and reads browser
// sessions.
func mountWeb(a *app) *web.Web {
	cfg := a.cfg
	log := a.log.With("component", "web")
	mailer, mailbox := newMailer(cfg, log)
	a.mail = authmail.NewQueue(mailer, authmail.QueueOptions{Logger: a.log.With("component", "mail")})
	publishMailStats(a.mail)
	// The pages share the OAuth routes' provider clients (one HTTP client,
	// one Apple JWKS cache).
	var providers *oauth.Providers
	if svc := a.http.OAuth(); svc != nil {
		providers = svc.Providers()
	}
	w := web.New(web.Options{
		Auth:             a.auth,
		OAuth:            providers,
		Mailer:           a.mail,
		Mailbox:          mailbox,
		MailboxPreview:   !cfg.Production() || cfg.Ops.MailboxPreviewEnabled,
		MailboxAdminOnly: cfg.Production(),
		PublicURL:        cfg.PublicURL(),
		CookieSecret:     cfg.CookieSecret(),
		Logger:           log,
	})
	w.Mount(a.http.App)
	w.HookSignUps()
	a.http.SetBrowserLogin(w)
	return w
}

// newMailer returns the SMTP mailer when SMTP_PASSWORD is set, else the
// in-memory development mailbox (returned too, for /dev/mailbox). An SMTP
// configuration that cannot work is logged and falls back to the mailbox.
func newMailer(cfg *config.Config, log *slog.Logger) (authmail.Mailer, *authmail.Mailbox) {
	s := cfg.SMTP
	from := s.FromEmail
	if from == "" {
		if _, err := mail.ParseAddress(s.Username); err == nil && strings.Contains(s.Username, "@") {
			from = s.Username
		} else {
			from = "noreply@" + cfg.HTTP.Host
		}
	}
	if cfg.SMTPEnabled() {
		m, err := authmail.NewSMTP(authmail.SMTPConfig{
			Relay: s.Relay, Port: s.Port, Username: s.Username, Password: s.Password,
			SSL: s.SSL, StartTLS: s.TLS, ServerName: cfg.SMTPServerName(),
			FromName: s.FromName, FromEmail: from,
		})
		if err == nil {
			return m, nil
		}
		log.Error("SMTP is misconfigured: e-mails go to the in-memory mailbox and are NOT delivered", "err", err)
	} else if cfg.Production() {
		log.Warn("SMTP_PASSWORD is not set: e-mails (confirmation, log-in links, password resets) are kept in memory and NOT delivered")
	}
	box := authmail.NewMailbox(0, s.FromName+" <"+from+">", log)
	return box, box
}

var (
	mailStatsOnce sync.Once
	mailStatsOf   atomic.Pointer[authmail.Queue]
)

// publishMailStats shows q's counters (sent, retried, failed, dropped, …)
// as the expvar "gamend_mail", served on DEBUG_PPROF_ADDR at /debug/vars.
// The variable is registered once per process and reads the latest queue.
func publishMailStats(q *authmail.Queue) {
	mailStatsOf.Store(q)
	mailStatsOnce.Do(func() {
		expvar.Publish("gamend_mail", expvar.Func(func() any {
			if q := mailStatsOf.Load(); q != nil {
				return q.Stats()
			}
			return nil
		}))
	})
}
