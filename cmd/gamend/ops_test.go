package main

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"net"
	"os/exec"
	"strings"
	"syscall"
	"testing"
	"time"
)

// TestBadConfigStopsStartup runs the binary with invalid settings: it must
// exit with status 2 and a message naming each bad variable, before opening
// anything.
func TestBadConfigStopsStartup(t *testing.T) {
	tests := []struct {
		env  []string
		want []string
	}{
		{[]string{"PORT=99999"}, []string{"PORT"}},
		{[]string{"RATE_LIMIT_HTTP_AUTH_LIMIT=lots", "SQLITE_SYNCHRONOUS=maybe"}, []string{"RATE_LIMIT_HTTP_AUTH_LIMIT", "SQLITE_SYNCHRONOUS"}},
		{[]string{"CLUSTER_SEEDS=10.0.0.2:7946"}, []string{"CLUSTER_SEEDS"}}, // a cluster needs PostgreSQL
		{[]string{"GAMEND_ENV=production"}, []string{"GUARDIAN_SECRET_KEY", "SECRET_KEY_BASE"}},
	}
	for _, tt := range tests {
		cmd := exec.Command(serverBinary(t))
		cmd.Env = append([]string{"ENV_FILE=none", "GAMEND_DATA_DIR=" + t.TempDir(), "SQLITE_DATABASE_PATH=" + t.TempDir() + "/x.db"}, tt.env...)
		out, err := cmd.CombinedOutput()
		ee, ok := err.(*exec.ExitError)
		if !ok || ee.ExitCode() != 2 {
			t.Fatalf("%v: exit %v, want status 2; output:\n%s", tt.env, err, out)
		}
		for _, w := range tt.want {
			if !strings.Contains(string(out), w) {
				t.Errorf("%v: output does not name %s:\n%s", tt.env, w, out)
			}
		}
		if n := strings.Count(string(out), "invalid configuration"); n != 1 {
			t.Errorf("%v: the header \"invalid configuration\" appears %d times:\n%s", tt.env, n, out)
		}
	}
}

// TestSpawnedServerIgnoresShellConfig: configuration exported in the
// developer's shell must not reach the server binary a test starts — the
// test's database, port and limits win, and a shell DATABASE_URL or
// POSTGRES_* cannot switch the test to another database.
func TestSpawnedServerIgnoresShellConfig(t *testing.T) {
	t.Setenv("DATABASE_URL", "postgres://nobody@127.0.0.1:1/nowhere?sslmode=disable")
	t.Setenv("POSTGRES_HOST", "127.0.0.1")
	t.Setenv("POSTGRES_USER", "nobody")
	t.Setenv("SQLITE_DATABASE_PATH", "/nonexistent/dir/shell.db")
	t.Setenv("PORT", "1")
	t.Setenv("RATE_LIMIT_HTTP_GENERAL_LIMIT", "1")
	t.Setenv("GAMEND_ENV", "production")

	env := serverEnv([]string{"PORT=2", "LOG_LEVEL=warn"}, []string{"PORT=3"})
	got := map[string][]string{}
	for _, kv := range env {
		k, v, _ := strings.Cut(kv, "=")
		got[k] = append(got[k], v)
	}
	for _, name := range []string{"DATABASE_URL", "POSTGRES_HOST", "POSTGRES_USER", "SQLITE_DATABASE_PATH", "RATE_LIMIT_HTTP_GENERAL_LIMIT", "GAMEND_ENV"} {
		if v, ok := got[name]; ok {
			t.Errorf("shell %s reached the server env: %v", name, v)
		}
	}
	if p := got["PORT"]; len(p) != 1 || p[0] != "3" {
		t.Errorf("PORT = %v, want exactly the test's 3", p)
	}
	if len(got["PATH"]) != 1 {
		t.Errorf("PATH not inherited once: %v", got["PATH"])
	}

	// The real binary starts (the shell's DATABASE_URL points nowhere, its
	// SQLite path cannot be created, and GAMEND_ENV=production would demand
	// secrets) on the test's port and SQLite file, and the shell's
	// one-request limit does not apply.
	srv := startBinary(t, dbEnv(t, "sqlite"))
	for i := range 5 {
		r, err := call(context.Background(), "GET", srv.base+"/api/v1/nope", "", nil)
		if err != nil || r.Status != 404 {
			t.Fatalf("request %d: %v %d (shell rate limit leaked in?)", i, err, r.Status)
		}
	}
}

// TestGracefulShutdown sends SIGTERM to a serving binary: it stops
// accepting, drains, exits 0, and what it acknowledged is there afterwards.
func TestGracefulShutdown(t *testing.T) {
	env := dbEnv(t, "sqlite")
	srv := startBinary(t, env)
	var ids []string
	for i := range 20 {
		r, err := call(context.Background(), "POST", srv.base+"/api/v1/login/device", "", map[string]string{"device_id": "grace-" + string(rune('a'+i))})
		if err != nil || r.Status != 200 {
			t.Fatalf("login: %v %d", err, r.Status)
		}
		ids = append(ids, dataField(r, "user_id"))
	}
	if err := srv.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- srv.cmd.Wait() }()
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("exit after SIGTERM: %v\n%s", err, srv.logs.String())
		}
	case <-time.After(20 * time.Second):
		t.Fatal("server did not stop after SIGTERM")
	}
	if _, err := net.DialTimeout("tcp", strings.TrimPrefix(srv.base, "http://"), time.Second); err == nil {
		t.Fatal("still accepting connections after shutdown")
	}
	srv2 := startBinary(t, env)
	for i, id := range ids {
		r, _ := call(context.Background(), "POST", srv2.base+"/api/v1/login/device", "", map[string]string{"device_id": "grace-" + string(rune('a'+i))})
		if dataField(r, "user_id") != id {
			t.Fatalf("account %d lost across graceful restart", i)
		}
	}
}

// TestRedisRateLimitIsShared runs two nodes with RATE_LIMIT_BACKEND=redis:
// the counters are shared, so the limit holds across both.
func TestRedisRateLimitIsShared(t *testing.T) {
	if c, err := net.DialTimeout("tcp", "127.0.0.1:6379", time.Second); err != nil {
		t.Skip("redis not reachable on 127.0.0.1:6379: shared rate-limit test skipped")
	} else {
		c.Close()
	}
	b := make([]byte, 6)
	_, _ = rand.Read(b)
	env := []string{"RATE_LIMIT_BACKEND=redis", "RATE_LIMIT_REDIS_URL=redis://127.0.0.1:6379/0",
		"RATE_LIMIT_REDIS_PREFIX=test-" + hex.EncodeToString(b) + ":", "RATE_LIMIT_HTTP_GENERAL_LIMIT=5"}
	n1 := newTestApp(t, "sqlite", env...)
	n2 := newTestApp(t, "sqlite", env...)
	statuses := []int{}
	for i := range 6 {
		base := n1.base
		if i%2 == 1 {
			base = n2.base
		}
		r, err := call(context.Background(), "GET", base+"/api/v1/nope", "", nil)
		if err != nil {
			t.Fatal(err)
		}
		statuses = append(statuses, r.Status)
	}
	if statuses[4] != 404 || statuses[5] != 429 {
		t.Fatalf("statuses across two nodes = %v, want the 6th to be 429", statuses)
	}
}
