package web_test

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/cookiejar"
	"net/netip"
	"net/url"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/danielgtaylor/huma/v2"

	"github.com/gamend-go/gamend/actors/user"
	"github.com/gamend-go/gamend/auth"
	"github.com/gamend-go/gamend/auth/mail"
	"github.com/gamend-go/gamend/auth/oauth"
	"github.com/gamend-go/gamend/auth/oauth/oauthtest"
	"github.com/gamend-go/gamend/persistence"
	"github.com/gamend-go/gamend/persistence/persistencetest"
	"github.com/gamend-go/gamend/persistence/writebehind"
	"github.com/gamend-go/gamend/transport/rest"
	"github.com/gamend-go/gamend/transport/web"
)

// env is a real HTTP server on a random loopback port: the REST edge with
// the JSON auth and /me routes, one bearer-protected test route, and the
// account pages, on a fresh database.
type env struct {
	t    *testing.T
	base string
	// remoteSock is the socket of envOptions.remote.
	remoteSock string
	db         *persistence.DB
	svc        *auth.Service
	box        *mail.Mailbox
	mail       *mail.Queue // delivers to box, or to envOptions.mailer
	logs       *syncBuffer
	fake       *oauthtest.Fake // with envOptions.oauth
	web        *web.Web
}

type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

type whoami struct {
	Body struct {
		ID string `json:"id"`
	}
}

type envOptions struct {
	requireActivation bool
	production        bool // mailbox preview off
	previewInProd     bool // production with MAILBOX_PREVIEW_ENABLED
	oauth             bool // OAuth providers against a fake
	// remote also serves a socket for remoteBrowser (remote_test.go).
	remote bool
	// trustedProxies are the REST edge's TRUSTED_PROXIES.
	trustedProxies []netip.Prefix
	// oauthConfig, when set, edits the fake providers' config.
	oauthConfig func(*oauth.Config)
	// mailer, when set, receives the queued e-mails instead of the
	// development mailbox; mailQueue configures the queue.
	mailer    mail.Mailer
	mailQueue mail.QueueOptions
}

var _ rest.BrowserLogin = (*web.Web)(nil)

func startEnv(t *testing.T, tg persistencetest.Target, eo envOptions) *env {
	t.Helper()
	logs := &syncBuffer{}
	log := slog.New(slog.NewTextHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	q := writebehind.New(tg.DB, writebehind.Options{Logger: log})
	svc := auth.NewService(q, auth.NewTokens([]byte("jwt-secret-jwt-secret-jwt-secret-!")), auth.Options{BcryptCost: 4, RequireActivation: eo.requireActivation})

	var ln net.Listener
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	base := "http://" + ln.Addr().String()
	var remoteSock string
	if eo.remote {
		var remote net.Listener
		remote, remoteSock = listenRemote(t)
		ln = newBothListeners(ln, remote)
	}
	srv := rest.New(rest.Options{Logger: log, TrustedProxies: eo.trustedProxies,
		RateLimit: rest.RateLimits{GeneralLimit: 100000, GeneralWindow: time.Minute, AuthLimit: 100000, AuthWindow: time.Minute}})
	srv.MountAuth(svc)
	srv.MountMe(svc, user.NewProfiles(q, user.Options{Logger: log}))
	huma.Register(srv.API, rest.Op(http.MethodGet, "/api/v1/test/whoami", "test_whoami", "Who am I", "Test", rest.AuthBearer),
		func(ctx context.Context, _ *struct{}) (*whoami, error) {
			out := &whoami{}
			out.Body.ID = rest.CurrentUser(ctx).ID
			return out, nil
		})
	var fake *oauthtest.Fake
	var providers *oauth.Providers
	if eo.oauth {
		fake = oauthtest.New(t)
		cfg := fake.Config(base)
		if eo.oauthConfig != nil {
			eo.oauthConfig(&cfg)
		}
		if providers, err = oauth.NewProviders(cfg); err != nil {
			t.Fatal(err)
		}
		srv.MountOAuth(oauth.NewService(svc, q, providers, oauth.Options{Logger: log}))
	}
	box := mail.NewMailbox(0, "Gamend <noreply@localhost>", log)
	var sender mail.Mailer = box
	if eo.mailer != nil {
		sender = eo.mailer
	}
	mq := eo.mailQueue
	mq.Logger = log
	queue := mail.NewQueue(sender, mq)
	w := web.New(web.Options{
		OAuth: providers,
		Auth:  svc, Mailer: queue, Mailbox: box,
		MailboxPreview:   !eo.production || eo.previewInProd,
		MailboxAdminOnly: eo.production,
		PublicURL:        base, CookieSecret: []byte("cookie-secret-cookie-secret-cookie"), Logger: log,
	})
	w.Mount(srv.App)
	w.HookSignUps()
	if eo.oauth {
		srv.SetBrowserLogin(w)
	}
	srv.Finish()
	go srv.Serve(ln)
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		_ = srv.Shutdown(ctx)
		_ = queue.Stop(ctx)
		_ = q.Close(ctx)
		if t.Failed() {
			t.Logf("server log:\n%s", logs.String())
		}
	})
	return &env{t: t, base: base, remoteSock: remoteSock, db: tg.DB, svc: svc, box: box, mail: queue, logs: logs, fake: fake, web: w}
}

// browser is an HTTP client with a cookie jar that follows redirects and
// remembers the CSRF token of the last page it loaded.
type browser struct {
	t    *testing.T
	e    *env
	base string // the server's URL as this browser reaches it (e.base when empty)
	c    *http.Client
	csrf string
}

type page struct {
	status int
	path   string // final path after redirects
	body   string
}

func (e *env) browser() *browser {
	jar, _ := cookiejar.New(nil)
	return &browser{t: e.t, e: e, c: &http.Client{Jar: jar, Timeout: 10 * time.Second}}
}

var csrfRE = regexp.MustCompile(`name="_csrf_token" value="([^"]+)"`)

func (b *browser) do(req *http.Request) page {
	b.t.Helper()
	res, err := b.c.Do(req)
	if err != nil {
		b.t.Fatal(err)
	}
	defer res.Body.Close()
	raw, _ := io.ReadAll(res.Body)
	p := page{status: res.StatusCode, path: res.Request.URL.Path, body: string(raw)}
	if m := csrfRE.FindStringSubmatch(p.body); m != nil {
		b.csrf = m[1]
	}
	return p
}

func (b *browser) get(path string) page {
	b.t.Helper()
	req, _ := http.NewRequest(http.MethodGet, b.url(path), nil)
	return b.do(req)
}

// post submits a form; the CSRF token of the last page is added unless
// the form has one (or "-" to send none).
func (b *browser) post(path string, form url.Values) page {
	b.t.Helper()
	if form == nil {
		form = url.Values{}
	}
	switch form.Get("_csrf_token") {
	case "":
		form.Set("_csrf_token", b.csrf)
	case "-":
		form.Del("_csrf_token")
	}
	req, _ := http.NewRequest(http.MethodPost, b.url(path), strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	return b.do(req)
}

func (b *browser) url(path string) string {
	if strings.HasPrefix(path, "http") {
		return path
	}
	if b.base != "" {
		return b.base + path
	}
	return b.e.base + path
}

func form(kv ...string) url.Values {
	v := url.Values{}
	for i := 0; i+1 < len(kv); i += 2 {
		v.Set(kv[i], kv[i+1])
	}
	return v
}

// expect checks status, final path and body fragments of a page.
func expect(t *testing.T, p page, status int, path string, want ...string) {
	t.Helper()
	if p.status != status || (path != "" && p.path != path) {
		t.Fatalf("got %d at %s, want %d at %s; body:\n%s", p.status, p.path, status, path, p.body)
	}
	for _, w := range want {
		if !strings.Contains(p.body, w) {
			t.Fatalf("page %s lacks %q; body:\n%s", p.path, w, p.body)
		}
	}
}

var (
	mailRowRE  = regexp.MustCompile(`<td>([^<]+)</td><td><a href="/dev/mailbox/(\d+)">([^<]+)</a>`)
	mailLinkRE = regexp.MustCompile(`<a href="(http://[^"]+)">`)
)

// flushMail waits until the mail queue has delivered every e-mail queued
// so far.
func (e *env) flushMail() {
	e.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := e.mail.Flush(ctx); err != nil {
		e.t.Fatalf("mail queue not drained: %v", err)
	}
}

// mails returns the development mailbox once the queue is drained, newest
// first.
func (e *env) mails() []mail.Stored {
	e.t.Helper()
	e.flushMail()
	return e.box.List()
}

// mailLink reads the newest e-mail to `to` with subject from the
// development mailbox page (once the queue is drained) and returns the
// link in it.
func (b *browser) mailLink(to, subject string) string {
	b.t.Helper()
	b.e.flushMail()
	list := b.get("/dev/mailbox")
	expect(b.t, list, 200, "/dev/mailbox")
	for _, m := range mailRowRE.FindAllStringSubmatch(list.body, -1) {
		if m[1] == to && m[3] == subject {
			msg := b.get("/dev/mailbox/" + m[2])
			expect(b.t, msg, 200, "", subject)
			link := mailLinkRE.FindStringSubmatch(msg.body)
			if link == nil {
				b.t.Fatalf("no link in mail:\n%s", msg.body)
			}
			return link[1]
		}
	}
	b.t.Fatalf("no mail %q to %s in:\n%s", subject, to, list.body)
	return ""
}

// mailCount counts kept e-mails to `to`.
func (e *env) mailCount(to string) int {
	n := 0
	for _, m := range e.mails() {
		if m.To == to {
			n++
		}
	}
	return n
}

// api calls a JSON route and returns status and decoded body.
func (e *env) api(method, path, bearer string, body any) (int, map[string]any) {
	e.t.Helper()
	var rd io.Reader
	if body != nil {
		raw, _ := json.Marshal(body)
		rd = bytes.NewReader(raw)
	}
	req, _ := http.NewRequest(method, e.base+path, rd)
	req.Header.Set("Content-Type", "application/json")
	if bearer != "" {
		req.Header.Set("Authorization", "Bearer "+bearer)
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		e.t.Fatal(err)
	}
	defer res.Body.Close()
	var out map[string]any
	_ = json.NewDecoder(res.Body).Decode(&out)
	return res.StatusCode, out
}

// apiLogin returns an access token from POST /api/v1/login.
func (e *env) apiLogin(email, password string) string {
	e.t.Helper()
	status, body := e.api(http.MethodPost, "/api/v1/login", "", map[string]string{"email": email, "password": password})
	if status != 200 {
		e.t.Fatalf("api login %s: %d %v", email, status, body)
	}
	return body["data"].(map[string]any)["access_token"].(string)
}

// whoami calls the bearer-protected test route.
func (e *env) whoami(token string) int {
	e.t.Helper()
	status, _ := e.api(http.MethodGet, "/api/v1/test/whoami", token, nil)
	return status
}

// register signs a new account up in the browser.
func (b *browser) register(email, password string) page {
	b.t.Helper()
	b.get("/users/register")
	return b.post("/users/register", form("email", email, "password", password))
}

func (b *browser) logIn(email, password string) page {
	b.t.Helper()
	b.get("/users/log-in")
	return b.post("/users/log-in", form("email", email, "password", password))
}
