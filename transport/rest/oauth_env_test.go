package rest_test

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/danielgtaylor/huma/v2"
	"golang.org/x/crypto/bcrypt"

	"github.com/gamend-go/gamend/actors/user"
	"github.com/gamend-go/gamend/auth"
	"github.com/gamend-go/gamend/auth/oauth"
	"github.com/gamend-go/gamend/auth/oauth/oauthtest"
	"github.com/gamend-go/gamend/persistence"
	"github.com/gamend-go/gamend/persistence/persistencetest"
	"github.com/gamend-go/gamend/persistence/users"
	"github.com/gamend-go/gamend/persistence/writebehind"
	"github.com/gamend-go/gamend/transport/rest"
)

// oauthEnv is the real REST server (auth, /me, OAuth) over a fresh
// database, with every OAuth provider pointed at a fake provider.
type oauthEnv struct {
	t     *testing.T
	URL   string
	DB    *persistence.DB
	Auth  *auth.Service
	OAuth *oauth.Service
	Fake  *oauthtest.Fake
	Clock *testClock
	Logs  *syncBuffer
	// client never follows redirects.
	client *http.Client
}

type oauthEnvOptions struct {
	requireActivation bool
	config            func(*oauth.Config) // edits the provider config
	browser           rest.BrowserLogin
}

// testClock is the session clock: real time plus an offset tests advance.
type testClock struct {
	mu  sync.Mutex
	off time.Duration
}

func (c *testClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return time.Now().Add(c.off)
}

func (c *testClock) Advance(d time.Duration) {
	c.mu.Lock()
	c.off += d
	c.mu.Unlock()
}

type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.String()
}

type whoamiOutput struct {
	Body struct {
		ID          string            `json:"id"`
		Email       string            `json:"email"`
		Username    string            `json:"username"`
		DisplayName string            `json:"display_name"`
		ProfileURL  string            `json:"profile_url"`
		Providers   map[string]string `json:"providers"`
	}
}

func oauthDialects(t *testing.T, opts oauthEnvOptions, fn func(t *testing.T, e *oauthEnv)) {
	persistencetest.Dialects(t, func(t *testing.T, tg persistencetest.Target) {
		fn(t, newOAuthEnv(t, tg, opts))
	})
}

func newOAuthEnv(t *testing.T, tg persistencetest.Target, opts oauthEnvOptions) *oauthEnv {
	t.Helper()
	e := &oauthEnv{t: t, DB: tg.DB, Clock: &testClock{}, Logs: &syncBuffer{}, Fake: oauthtest.New(t),
		client: &http.Client{Timeout: 20 * time.Second, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}}
	log := slog.New(slog.NewJSONHandler(e.Logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	queue := writebehind.New(tg.DB, writebehind.Options{Logger: log})
	e.Auth = auth.NewService(queue, auth.NewTokens([]byte("oauth-test-secret-0123456789abcdef")),
		auth.Options{BcryptCost: bcrypt.MinCost, RequireActivation: opts.requireActivation})
	profiles := user.NewProfiles(queue, user.Options{Logger: log})

	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	e.URL = "http://" + ln.Addr().String()
	cfg := e.Fake.Config(e.URL)
	if opts.config != nil {
		opts.config(&cfg)
	}
	providers, err := oauth.NewProviders(cfg)
	if err != nil {
		t.Fatal(err)
	}
	e.OAuth = oauth.NewService(e.Auth, queue, providers, oauth.Options{Now: e.Clock.Now, Logger: log})

	srv := rest.New(rest.Options{Logger: log, AccessLogLevel: slog.LevelInfo,
		RateLimit: rest.RateLimits{GeneralLimit: 1 << 30, GeneralWindow: time.Minute, AuthLimit: 1 << 30, AuthWindow: time.Minute}})
	srv.MountAuth(e.Auth)
	srv.MountMe(e.Auth, profiles)
	srv.MountOAuth(e.OAuth)
	if opts.browser != nil {
		srv.SetBrowserLogin(opts.browser)
	}
	huma.Register(srv.API, rest.Op(http.MethodGet, "/api/v1/test/whoami", "test_whoami", "", "Test", rest.AuthBearer),
		func(ctx context.Context, _ *struct{}) (*whoamiOutput, error) {
			u := rest.CurrentUser(ctx)
			out := &whoamiOutput{}
			out.Body.ID, out.Body.Email, out.Body.Username = u.ID, u.Email, u.Username
			out.Body.DisplayName, out.Body.ProfileURL, out.Body.Providers = u.DisplayName, u.ProfileURL, u.ProviderIDs
			return out, nil
		})
	srv.Finish()
	go srv.Serve(ln)
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		_ = srv.Shutdown(ctx)
		_ = queue.Close(ctx)
		if t.Failed() {
			t.Logf("server log:\n%s", e.Logs.String())
		}
	})
	return e
}

// answer is one HTTP answer.
type answer struct {
	Status   int
	Body     string
	JSON     map[string]any
	Location string
}

func (a answer) data() map[string]any {
	d, _ := a.JSON["data"].(map[string]any)
	return d
}

func (e *oauthEnv) send(req *http.Request) answer {
	e.t.Helper()
	res, err := e.client.Do(req)
	if err != nil {
		e.t.Fatal(err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	a := answer{Status: res.StatusCode, Body: strings.TrimSpace(string(b)), Location: res.Header.Get("Location")}
	_ = json.Unmarshal(b, &a.JSON)
	return a
}

// do sends a JSON request to the server (path) or any absolute URL.
func (e *oauthEnv) do(method, path, token string, body any) answer {
	e.t.Helper()
	var rd io.Reader
	if body != nil {
		raw, _ := json.Marshal(body)
		rd = bytes.NewReader(raw)
	}
	u := path
	if strings.HasPrefix(path, "/") {
		u = e.URL + path
	}
	req, err := http.NewRequest(method, u, rd)
	if err != nil {
		e.t.Fatal(err)
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	return e.send(req)
}

func (e *oauthEnv) postForm(u string, form url.Values) answer {
	e.t.Helper()
	req, err := http.NewRequest(http.MethodPost, u, strings.NewReader(form.Encode()))
	if err != nil {
		e.t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	return e.send(req)
}

// start begins the polling flow for provider (a link when token is set)
// and returns the session id and the authorization URL.
func (e *oauthEnv) start(provider, token string) (sessionID, authURL string) {
	e.t.Helper()
	a := e.do(http.MethodGet, "/api/v1/auth/"+provider, token, nil)
	if a.Status != 200 {
		e.t.Fatalf("oauth_request %s: %d %s", provider, a.Status, a.Body)
	}
	sessionID, _ = a.JSON["session_id"].(string)
	authURL, _ = a.JSON["authorization_url"].(string)
	if len(sessionID) != 43 || strings.ContainsAny(sessionID, "+/=") {
		e.t.Fatalf("session_id %q is not 32 bytes base64url without padding", sessionID)
	}
	if !strings.HasPrefix(authURL, e.Fake.URL()+"/") {
		e.t.Fatalf("authorization_url %q does not point at the provider", authURL)
	}
	return sessionID, authURL
}

// callback is the provider's way back to the server: a URL to GET, or for
// Apple a form to POST.
type callback struct {
	URL  string
	Form url.Values // non-nil: POST (Apple form_post)
}

// authorize plays the browser at the provider and returns the callback it
// is sent to.
func (e *oauthEnv) authorize(authURL string) callback {
	e.t.Helper()
	a := e.do(http.MethodGet, authURL, "", nil)
	switch {
	case a.Status == http.StatusFound:
		return callback{URL: a.Location}
	case a.Status == 200 && a.JSON["form_post"] != nil:
		var fp oauthtest.FormPost
		_ = json.Unmarshal([]byte(a.Body), &fp)
		form := url.Values{}
		for k, v := range fp.Fields {
			form.Set(k, v)
		}
		return callback{URL: fp.Action, Form: form}
	}
	e.t.Fatalf("provider authorize: %d %s", a.Status, a.Body)
	return callback{}
}

// follow delivers a callback to the server.
func (e *oauthEnv) follow(cb callback) answer {
	e.t.Helper()
	if cb.Form != nil {
		return e.postForm(cb.URL, cb.Form)
	}
	return e.do(http.MethodGet, cb.URL, "", nil)
}

// browserFlow runs the whole polling flow up to the callback: the queued
// provider login (or refusal) must already be set on the fake. It checks
// the redirect to the success page and returns the session id and the
// callback (for replays).
func (e *oauthEnv) browserFlow(provider, token string) (string, callback) {
	e.t.Helper()
	id, authURL := e.start(provider, token)
	cb := e.authorize(authURL)
	a := e.follow(cb)
	if a.Status != http.StatusFound || a.Location != "/auth/success?session_id="+id {
		e.t.Fatalf("callback: %d location %q, want 302 to the success page; body %s", a.Status, a.Location, a.Body)
	}
	return id, cb
}

// poll reads a session.
func (e *oauthEnv) poll(id string) answer {
	e.t.Helper()
	return e.do(http.MethodGet, "/api/v1/auth/session/"+id, "", nil)
}

// whoami calls the bearer test route.
func (e *oauthEnv) whoami(token string) answer {
	e.t.Helper()
	return e.do(http.MethodGet, "/api/v1/test/whoami", token, nil)
}

// user loads an account row.
func (e *oauthEnv) user(id string) *users.Row {
	e.t.Helper()
	u, err := users.Get(context.Background(), e.DB, id)
	if err != nil {
		e.t.Fatalf("load user %s: %v", id, err)
	}
	return u
}

func (e *oauthEnv) countUsers() int {
	e.t.Helper()
	n, err := users.Count(context.Background(), e.DB)
	if err != nil {
		e.t.Fatal(err)
	}
	return n
}

// deviceUser creates an account by device login and returns its tokens.
func (e *oauthEnv) deviceUser(device string) (id, token string) {
	e.t.Helper()
	a := e.do(http.MethodPost, "/api/v1/login/device", "", map[string]string{"device_id": device})
	if a.Status != 200 {
		e.t.Fatalf("device login: %d %s", a.Status, a.Body)
	}
	return a.data()["user_id"].(string), a.data()["access_token"].(string)
}

// passwordUser registers an e-mail/password account.
func (e *oauthEnv) passwordUser(email string) (id, token string) {
	e.t.Helper()
	a := e.do(http.MethodPost, "/api/v1/register", "", map[string]string{"email": email, "password": "correct horse battery"})
	if a.Status != 201 {
		e.t.Fatalf("register: %d %s", a.Status, a.Body)
	}
	return a.data()["user_id"].(string), a.data()["access_token"].(string)
}

// wantError checks an error answer's status and exact JSON body.
func wantError(t *testing.T, a answer, status int, body string) {
	t.Helper()
	if a.Status != status {
		t.Fatalf("status %d, want %d; body %s", a.Status, status, a.Body)
	}
	var got, want any
	_ = json.Unmarshal([]byte(a.Body), &got)
	if err := json.Unmarshal([]byte(body), &want); err != nil {
		t.Fatalf("bad expected body %s", body)
	}
	gb, _ := json.Marshal(got)
	wb, _ := json.Marshal(want)
	if string(gb) != string(wb) {
		t.Fatalf("body %s, want %s", gb, wb)
	}
}

// wantKeys checks that m has exactly the given keys.
func wantKeys(t *testing.T, m map[string]any, keys ...string) {
	t.Helper()
	if len(m) != len(keys) {
		t.Fatalf("keys of %v, want exactly %v", m, keys)
	}
	for _, k := range keys {
		if _, ok := m[k]; !ok {
			t.Fatalf("%v lacks %q", m, k)
		}
	}
}
