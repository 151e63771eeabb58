package main

import (
	"context"
	"net"
	"testing"

	"github.com/gamend-go/gamend/config"
)

// testApp is the whole server started in-process on a random loopback port
// over a fresh database: the scenario harness for HTTP and socket tests.
type testApp struct {
	*app
	base string
}

// newTestApp starts the server with the dialect's fresh database and extra
// KEY=value settings.
func newTestApp(t *testing.T, dialect string, env ...string) *testApp {
	t.Helper()
	// The first occurrence of a variable wins: caller settings first.
	environ := append([]string{}, env...)
	environ = append(environ, "ENV_FILE=none", "GAMEND_ENV=test", "LOG_LEVEL=error", "ACCESS_LOG_LEVEL=off",
		"GAMEND_DATA_DIR="+t.TempDir(), "RATE_LIMIT_HTTP_AUTH_LIMIT=100000", "RATE_LIMIT_HTTP_GENERAL_LIMIT=100000")
	environ = append(environ, dbEnv(t, dialect)...)
	cfg, err := config.Load(environ)
	if err != nil {
		t.Fatalf("config: %v", err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	a, err := start(context.Background(), cfg, ln)
	if err != nil {
		t.Fatalf("start: %v", err)
	}
	go a.http.Serve(a.ln)
	t.Cleanup(func() {
		if err := a.shutdown(); err != nil {
			t.Errorf("shutdown: %v", err)
		}
	})
	return &testApp{app: a, base: "http://" + ln.Addr().String()}
}

// forDialects runs fn against a fresh in-process server per dialect.
func forDialects(t *testing.T, fn func(t *testing.T, dialect string)) {
	dialects(t, fn)
}

// deviceUser signs up a user through device login and returns its id and
// access token.
func (ta *testApp) deviceUser(t *testing.T, device string) (id, token string) {
	t.Helper()
	r, err := call(context.Background(), "POST", ta.base+"/api/v1/login/device", "", map[string]string{"device_id": device})
	if err != nil || r.Status != 200 {
		t.Fatalf("device login %s: %v %d %s", device, err, r.Status, r.Raw)
	}
	return dataField(r, "user_id"), dataField(r, "access_token")
}
