package main

import (
	"bytes"
	"context"
	"os/exec"
	"strings"
	"testing"
	"time"
)

// runCLI runs the server binary with args and env (plus the test defaults)
// and returns its exit code and output.
func runCLI(t *testing.T, env []string, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	cmd := exec.Command(serverBinary(t), args...)
	cmd.Env = append(append([]string{}, env...), "ENV_FILE=none", "GAMEND_ENV=test", "LOG_LEVEL=warn", "GAMEND_DATA_DIR="+t.TempDir())
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	err := cmd.Run()
	if ee, ok := err.(*exec.ExitError); ok {
		return ee.ExitCode(), out.String(), errb.String()
	}
	if err != nil {
		t.Fatal(err)
	}
	return 0, out.String(), errb.String()
}

// TestAdminGrantCLI runs `gamend admin grant` (the built binary) against
// the database of a running server, by id and by e-mail, and checks the
// grant takes effect on the server at once (tokens are checked against the
// stored user on every request).
func TestAdminGrantCLI(t *testing.T) {
	if testing.Short() {
		t.Skip("short mode: builds and runs the server binary")
	}
	dialects(t, func(t *testing.T, dialect string) {
		ctx := context.Background()
		env := dbEnv(t, dialect)
		srv := startBinary(t, env)
		login := func(device string) (string, string) {
			r, err := call(ctx, "POST", srv.base+"/api/v1/login/device", "", map[string]string{"device_id": device})
			if err != nil || r.Status != 200 {
				t.Fatalf("device login: %v %d %s", err, r.Status, r.Raw)
			}
			return dataField(r, "user_id"), dataField(r, "access_token")
		}
		adminStatus := func(token string) int {
			r, err := call(ctx, "GET", srv.base+"/api/v1/admin/users", token, nil)
			if err != nil {
				t.Fatal(err)
			}
			return r.Status
		}
		login("cli-first") // the first account is an admin already
		byID, byIDToken := login("cli-by-id")
		r, err := call(ctx, "POST", srv.base+"/api/v1/register", "", map[string]string{"email": "cli@example.com", "password": "cli-password"})
		if err != nil || r.Status != 201 {
			t.Fatalf("register: %v %d %s", err, r.Status, r.Raw)
		}
		byEmail, byEmailToken := dataField(r, "user_id"), dataField(r, "access_token")
		if adminStatus(byIDToken) != 403 || adminStatus(byEmailToken) != 403 {
			t.Fatal("fixtures: players must not be admins yet")
		}

		code, out, errOut := runCLI(t, env, "admin", "grant", byID)
		if code != 0 || !strings.Contains(out, byID) || !strings.Contains(out, "is now an administrator") {
			t.Fatalf("grant by id: exit %d\nstdout %s\nstderr %s", code, out, errOut)
		}
		// The running server reads users through a 2 s cache: a grant made
		// by another process takes effect within that time.
		if s := eventually(func() int { return adminStatus(byIDToken) }, 200); s != 200 {
			t.Fatalf("granted by id, admin route answers %d", s)
		}
		code, out, errOut = runCLI(t, env, "admin", "grant", "CLI@Example.COM")
		if code != 0 || !strings.Contains(out, "cli@example.com") || !strings.Contains(out, byEmail) {
			t.Fatalf("grant by e-mail: exit %d\nstdout %s\nstderr %s", code, out, errOut)
		}
		if s := eventually(func() int { return adminStatus(byEmailToken) }, 200); s != 200 {
			t.Fatalf("granted by e-mail, admin route answers %d", s)
		}
		code, out, errOut = runCLI(t, env, "admin", "grant", byID) // again: still fine
		if code != 0 {
			t.Fatalf("grant twice: exit %d %s %s", code, out, errOut)
		}

		for _, tc := range []struct {
			args []string
			code int
			msg  string
		}{
			{[]string{"admin", "grant", "nobody@example.com"}, 1, `no user with e-mail or id "nobody@example.com"`},
			{[]string{"admin", "grant", "0198c0de-0002-7000-8000-000000000002"}, 1, "no user with e-mail or id"},
			{[]string{"admin", "grant"}, 2, "usage: gamend admin grant EMAIL|USER_ID"},
			{[]string{"admin", "grant", " "}, 2, "usage:"},
			{[]string{"admin", "revoke", "x@example.com"}, 2, "usage:"},
			{[]string{"admin"}, 2, "usage:"},
		} {
			code, out, errOut := runCLI(t, env, tc.args...)
			if code != tc.code || !strings.Contains(errOut, tc.msg) || out != "" {
				t.Errorf("%v: exit %d (want %d)\nstdout %q\nstderr %q", tc.args, code, tc.code, out, errOut)
			}
		}
	})
}

// eventually polls f for up to 5 s until it returns want, and returns the
// last value.
func eventually(f func() int, want int) int {
	deadline := time.Now().Add(5 * time.Second)
	for {
		v := f()
		if v == want || time.Now().After(deadline) {
			return v
		}
		time.Sleep(100 * time.Millisecond)
	}
}
