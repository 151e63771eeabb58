// Package resttest runs the real REST server in-process, on a random
// loopback port, with the real auth and user services over a fresh
// database, and drives it with table-driven HTTP scenarios (in the spirit
// of PocketBase's ApiScenario): method, path, body, token, expected status,
// expected and forbidden body fragments, and which service hooks fired.
//
// One Env is one server and one database; scenarios run in order on it,
// so a table can tell a story (change, then observe). Use Dialects to run
// the same body on SQLite and, when GAMEND_TEST_POSTGRES_URL is set, on
// PostgreSQL.
package resttest

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"golang.org/x/crypto/bcrypt"

	"github.com/gamend-go/gamend/actors/user"
	"github.com/gamend-go/gamend/auth"
	"github.com/gamend-go/gamend/persistence"
	"github.com/gamend-go/gamend/persistence/persistencetest"
	"github.com/gamend-go/gamend/persistence/users"
	"github.com/gamend-go/gamend/persistence/writebehind"
	"github.com/gamend-go/gamend/transport/rest"
)

// Secret is the JWT signing key of every Env (tests craft tokens with it).
const Secret = "resttest-secret-0123456789abcdef"

// Options configures an Env. Zero values take the server defaults.
type Options struct {
	Auth        auth.Options // BcryptCost defaults to bcrypt.MinCost
	Limits      user.Limits
	MaxPageSize int
	// ListUsers is the LIST_USERS_ENABLED gate (nil = on).
	ListUsers func() bool
	// Mount, when set, registers more routes on e.Server before it starts
	// (a feature's routes, with services built over e.Queue).
	Mount func(e *Env)
}

// Env is one running server over one fresh database.
type Env struct {
	Target   persistencetest.Target
	DB       *persistence.DB
	Queue    *writebehind.Queue
	Auth     *auth.Service
	Profiles *user.Profiles
	Server   *rest.Server
	// URL is the server's base URL, e.g. http://127.0.0.1:41234.
	URL string
	// Logs holds every log line the server wrote (access log included).
	Logs *Buffer

	mu     sync.Mutex
	events map[string]int
}

// Buffer is a goroutine-safe log sink.
type Buffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (b *Buffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.Write(p)
}

// String returns everything written so far.
func (b *Buffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.String()
}

// Dialects runs fn once per available dialect with a fresh Env.
func Dialects(t *testing.T, opts Options, fn func(t *testing.T, e *Env)) {
	t.Helper()
	persistencetest.Dialects(t, func(t *testing.T, tg persistencetest.Target) {
		fn(t, New(t, tg, opts))
	})
}

// New starts a server over tg with auth, /me, /users and the admin user
// routes mounted, wired as cmd/gamend wires them. It stops when t ends.
func New(t *testing.T, tg persistencetest.Target, opts Options) *Env {
	t.Helper()
	e := &Env{Target: tg, DB: tg.DB, Logs: &Buffer{}, events: map[string]int{}}
	log := slog.New(slog.NewJSONHandler(e.Logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	e.Queue = writebehind.New(tg.DB, writebehind.Options{Logger: log})
	if opts.Auth.BcryptCost == 0 {
		opts.Auth.BcryptCost = bcrypt.MinCost
	}
	e.Auth = auth.NewService(e.Queue, auth.NewTokens([]byte(Secret)), opts.Auth)
	e.Profiles = user.NewProfiles(e.Queue, user.Options{Limits: opts.Limits, Logger: log})
	e.Auth.OnUserChanged = e.Profiles.NotifyUpdated
	e.Profiles.OnUpdated(func(string) { e.count("updated") })
	e.Profiles.OnDeleted(func(string) { e.count("deleted") })
	e.Profiles.OnActivated(func(*users.Row) { e.count("activated") })

	e.Server = rest.New(rest.Options{Logger: log, AccessLogLevel: slog.LevelInfo, MaxPageSize: opts.MaxPageSize,
		RateLimit: rest.RateLimits{GeneralLimit: 1 << 30, GeneralWindow: time.Minute, AuthLimit: 1 << 30, AuthWindow: time.Minute}})
	e.Server.MountAuth(e.Auth)
	e.Server.MountMe(e.Auth, e.Profiles)
	e.Server.MountUsers(e.Profiles, opts.ListUsers)
	e.Server.MountAdminUsers(e.Auth, e.Profiles)
	if opts.Mount != nil {
		opts.Mount(e)
	}
	e.Server.Finish()

	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	go e.Server.Serve(ln)
	e.URL = "http://" + ln.Addr().String()
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		_ = e.Server.Shutdown(ctx)
		_ = e.Queue.Close(ctx)
		if t.Failed() {
			t.Logf("server log:\n%s", e.Logs.String())
		}
	})
	return e
}

func (e *Env) count(event string) {
	e.mu.Lock()
	e.events[event]++
	e.mu.Unlock()
}

// Events returns the hook counts since the last ResetEvents.
func (e *Env) Events() map[string]int {
	e.mu.Lock()
	defer e.mu.Unlock()
	out := make(map[string]int, len(e.events))
	for k, v := range e.events {
		out[k] = v
	}
	return out
}

// ResetEvents zeroes the hook counts.
func (e *Env) ResetEvents() {
	e.mu.Lock()
	clear(e.events)
	e.mu.Unlock()
}

// UserSpec describes a fixture account. The first account of an Env is an
// administrator (the account rule of API.md §2.3).
type UserSpec struct {
	users.New
	// Password is set (hashed) when not empty.
	Password string
}

// User is a fixture account with a fresh token pair.
type User struct {
	ID           string
	Token        string // access token
	RefreshToken string
	Row          *users.Row
}

// CreateUser creates an account through the auth service and signs it in.
func (e *Env) CreateUser(t *testing.T, spec UserSpec) *User {
	t.Helper()
	n := spec.New
	if spec.Password != "" {
		h, err := e.Auth.Passwords().Hash(spec.Password)
		if err != nil {
			t.Fatal(err)
		}
		n.Password = users.PasswordHash(h)
	}
	row, err := e.Auth.CreateUser(context.Background(), n)
	if err != nil {
		t.Fatalf("create user: %v", err)
	}
	return e.SignIn(t, row.ID)
}

// SignIn issues a new token pair for the user at their current token
// version (inactive accounts too: fixtures may need them).
func (e *Env) SignIn(t *testing.T, userID string) *User {
	t.Helper()
	row, err := e.Auth.User(context.Background(), userID)
	if err != nil {
		t.Fatalf("sign in: %v", err)
	}
	p, err := e.Auth.Tokens().Pair(row.ID, row.TokenVersion)
	if err != nil {
		t.Fatal(err)
	}
	return &User{ID: row.ID, Token: p.AccessToken, RefreshToken: p.RefreshToken, Row: row}
}

// Response is an HTTP answer.
type Response struct {
	Status int
	Header http.Header
	Body   string
	// JSON is the body decoded as an object (nil when it is not one).
	JSON map[string]any
}

// Data returns JSON["data"] as an object.
func (r Response) Data() map[string]any {
	d, _ := r.JSON["data"].(map[string]any)
	return d
}

// Do sends one request. body may be nil (no body), a string or []byte
// (sent as is, as JSON), or any value (JSON-encoded). token, when set, is
// sent as "Authorization: Bearer <token>"; headers are name/value pairs
// and win over both.
func (e *Env) Do(t *testing.T, method, path string, body any, token string, headers ...string) Response {
	t.Helper()
	var rd io.Reader
	switch b := body.(type) {
	case nil:
	case string:
		rd = strings.NewReader(b)
	case []byte:
		rd = bytes.NewReader(b)
	default:
		raw, err := json.Marshal(b)
		if err != nil {
			t.Fatal(err)
		}
		rd = bytes.NewReader(raw)
	}
	req, err := http.NewRequest(method, e.URL+path, rd)
	if err != nil {
		t.Fatal(err)
	}
	if rd != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	for i := 0; i+1 < len(headers); i += 2 {
		req.Header.Set(headers[i], headers[i+1])
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, path, err)
	}
	defer res.Body.Close()
	raw, err := io.ReadAll(res.Body)
	if err != nil {
		t.Fatal(err)
	}
	out := Response{Status: res.StatusCode, Header: res.Header, Body: string(raw)}
	_ = json.Unmarshal(raw, &out.JSON)
	return out
}
