package main

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/gofiber/fiber/v2"

	"github.com/gamend-go/gamend/transport/phoenix"
)

type echoChannel struct{}

func (echoChannel) Join(_ context.Context, c *phoenix.Conn, _ json.RawMessage) (any, error) {
	if c.Topic() != "user:"+c.UserID() {
		return nil, phoenix.JoinError("unauthorized")
	}
	return nil, nil
}

func (echoChannel) HandleIn(_ context.Context, _ *phoenix.Conn, _ string, p json.RawMessage) (any, error) {
	return p, nil
}

func (echoChannel) Leave(*phoenix.Conn, phoenix.LeaveReason) {}

// fakeJWT builds an unsigned token whose sub claim is user.
func fakeJWT(user string) string {
	enc := base64.RawURLEncoding
	return enc.EncodeToString([]byte(`{"alg":"none"}`)) + "." + enc.EncodeToString([]byte(`{"sub":"`+user+`"}`)) + ".sig"
}

func startPhoenix(t *testing.T) string {
	t.Helper()
	app := fiber.New(fiber.Config{DisableStartupMessage: true})
	auth := phoenix.AuthenticatorFunc(func(_ context.Context, token string) (string, error) {
		if sub := subject(token); sub != "" {
			return sub, nil
		}
		return "", errors.New("bad token")
	})
	ep := phoenix.Mount(app, phoenix.Config{Logger: slog.New(slog.NewTextHandler(io.Discard, nil))}, auth,
		phoenix.NewRouter().Handle("user:*", echoChannel{}))
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	go app.Listener(ln)
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		ep.Shutdown(ctx)
		app.ShutdownWithContext(ctx)
	})
	return "ws://" + ln.Addr().String() + "/socket/websocket"
}

func TestLoad(t *testing.T) {
	url := startPhoenix(t)
	var tokens bytes.Buffer
	for i := range 10 {
		fmt.Fprintln(&tokens, fakeJWT(fmt.Sprintf("u%d", i)))
	}
	file := filepath.Join(t.TempDir(), "tokens")
	os.WriteFile(file, tokens.Bytes(), 0o600)

	o := options{URL: url, TokensFile: file, N: 40, Concurrency: 8, Duration: 400 * time.Millisecond,
		Topic: "user:{user}", Deflate: true, Heartbeat: 100 * time.Millisecond, ProbeRate: 100,
		// A reply larger than a pooled read buffer (2 KiB) makes readFrame
		// grow one; deflated both ways, as it is over 1 KiB.
		ProbeEvent: "echo", ProbePayload: `{"x":"` + strings.Repeat("a", 3000) + `"}`, Timeout: 5 * time.Second}
	if err := o.validate(); err != nil {
		t.Fatal(err)
	}
	creds, err := o.credentials(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	rep := load(context.Background(), o, creds, io.Discard)
	var out bytes.Buffer
	rep.print(&out)
	t.Log("\n" + out.String())
	if rep.Joined.Load() != 40 || len(rep.failures) != 0 || len(rep.heartbeat) == 0 || len(rep.probe) == 0 {
		t.Fatalf("report:\n%s", out.String())
	}
}

func TestLoadReportsFailures(t *testing.T) {
	url := startPhoenix(t)
	o := options{URL: url, Token: "not-a-jwt", N: 3, Concurrency: 3, Topic: "user:{user}", Timeout: 5 * time.Second}
	o.validate()
	creds, _ := o.credentials(context.Background())
	rep := load(context.Background(), o, creds, io.Discard)
	if rep.failures["connect: HTTP 403"] != 3 {
		t.Fatalf("failures %v", rep.failures)
	}
	o = options{URL: url, Token: fakeJWT("u1"), N: 1, Concurrency: 1, Topic: "user:someone-else", Timeout: 5 * time.Second}
	o.validate()
	creds, _ = o.credentials(context.Background())
	rep = load(context.Background(), o, creds, io.Discard)
	if rep.failures["join refused: unauthorized"] != 1 {
		t.Fatalf("failures %v", rep.failures)
	}
}

func TestDeviceLogin(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var in struct {
			DeviceID string `json:"device_id"`
		}
		json.NewDecoder(r.Body).Decode(&in)
		if r.URL.Path != "/api/v1/login/device" || !strings.HasPrefix(in.DeviceID, "lt-") {
			http.Error(w, `{"error":"nope"}`, http.StatusBadRequest)
			return
		}
		json.NewEncoder(w).Encode(map[string]any{"data": map[string]any{"access_token": "t-" + in.DeviceID, "user_id": "id-" + in.DeviceID}})
	}))
	defer srv.Close()
	o := options{URL: "ws://unused/socket/websocket", API: srv.URL, DeviceLogin: true, Users: 5, N: 5, Concurrency: 1, DevicePrefix: "lt", Timeout: time.Second}
	o.validate()
	creds, err := o.credentials(context.Background())
	if err != nil || len(creds) != 5 || creds[3] != (credential{"t-lt-3", "id-lt-3"}) {
		t.Fatalf("%v %v", creds, err)
	}
	o.DevicePrefix = "bad"
	if _, err := o.credentials(context.Background()); err == nil || !strings.Contains(err.Error(), "5 of 5") {
		t.Fatalf("err %v", err)
	}
}

func TestSubject(t *testing.T) {
	if got := subject(fakeJWT("abc")); got != "abc" {
		t.Fatalf("subject = %q", got)
	}
	if subject("x.y") != "" || subject("a.!!!.c") != "" {
		t.Fatal("garbage must give no subject")
	}
}

// TestPushLatency: a push is a latency sample only when it carries the
// stamp of a notification this run's notifier sent; replays of an earlier
// run's notifications (a join pushes the latest 50) are not.
func TestPushLatency(t *testing.T) {
	defer notifyStart.Store(notifyStart.Load())
	start := time.Unix(1_800_000_000, 0)
	notifyStart.Store(start.UnixNano())
	frame := func(at time.Time) []byte {
		return fmt.Appendf(nil, `[null,null,"user:x","notification_created",{"title":"loadsocket","content":"%d"}]`, at.UnixNano())
	}
	if d, sent, ok := pushLatency(frame(start.Add(time.Second)), start.Add(1500*time.Millisecond)); !ok || d != 500*time.Millisecond || sent != start.Add(time.Second).UnixNano() {
		t.Fatalf("this run's push: %v %v, want 500ms", d, ok)
	}
	if _, _, ok := pushLatency(frame(start.Add(-time.Hour)), start.Add(time.Second)); ok {
		t.Fatal("an earlier run's notification counted as a sample")
	}
	other := []byte(`[null,null,"user:x","notification_created",{"title":"hello","content":"1"}]`)
	if _, _, ok := pushLatency(other, start); ok {
		t.Fatal("a notification not sent by loadsocket counted as a sample")
	}
}

func TestTimeline(t *testing.T) {
	r := newReport(1)
	base := time.Date(2026, 1, 1, 10, 0, 0, 0, time.UTC).UnixNano()
	for i, d := range []time.Duration{1, 2, 3, 40} {
		r.addPush(base+int64(i)*int64(100*time.Millisecond), d*time.Millisecond)
	}
	var b strings.Builder
	r.printTimeline(&b, 250*time.Millisecond)
	want := "window_start count p50_ms p99_ms max_ms\n10:00:00.000 3 2.0 3.0 3.0\n10:00:00.250 1 40.0 40.0 40.0\n"
	if b.String() != want {
		t.Fatalf("timeline:\n%s\nwant:\n%s", b.String(), want)
	}
}

func TestWarmOpensThePool(t *testing.T) {
	var conns, requests atomic.Int64
	status := atomic.Int64{}
	status.Store(http.StatusOK)
	release := make(chan struct{})
	srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/api/v1/health" {
			http.NotFound(w, r)
			return
		}
		// Hold every request until all have arrived: each needs its own
		// connection, as the notifier's workers will.
		if requests.Add(1) == 8 {
			close(release)
		}
		select {
		case <-release:
		case <-time.After(2 * time.Second): // a warm-up that is not concurrent fails below
		}
		w.WriteHeader(int(status.Load()))
	}))
	srv.Config.ConnState = func(_ net.Conn, s http.ConnState) {
		if s == http.StateNew {
			conns.Add(1)
		}
	}
	srv.Start()
	defer srv.Close()
	o := options{URL: "ws://unused/socket/websocket", API: srv.URL, Token: "x", N: 1, Concurrency: 1, NotifyRate: 1, NotifyWorkers: 8, AdminToken: fakeJWT("admin")}
	if err := o.validate(); err != nil {
		t.Fatal(err)
	}
	n := newNotifier(o)
	if err := n.warm(context.Background()); err != nil {
		t.Fatal(err)
	}
	if conns.Load() != 8 {
		t.Fatalf("warm opened %d connections, want 8", conns.Load())
	}
	status.Store(http.StatusServiceUnavailable)
	if err := n.warm(context.Background()); err == nil || !strings.Contains(err.Error(), "503") {
		t.Fatalf("a failing health check: %v", err)
	}
}
