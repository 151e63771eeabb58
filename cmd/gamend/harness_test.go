package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"runtime/debug"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gamend-go/gamend/config"
	"github.com/gamend-go/gamend/persistence/persistencetest"
)

// The helpers here run the real server binary (built once per test run)
// against a fresh database, so tests exercise exactly what ships.

var (
	buildOnce sync.Once
	binPath   string
	buildErr  error
)

func serverBinary(t *testing.T) string {
	t.Helper()
	buildOnce.Do(func() {
		dir, err := os.MkdirTemp("", "gamend-bin-")
		if err != nil {
			buildErr = err
			return
		}
		binPath = filepath.Join(dir, "gamend")
		args := []string{"build", "-o", binPath}
		if raceEnabled() {
			args = append(args, "-race")
		}
		out, err := exec.Command("go", append(args, ".")...).CombinedOutput()
		if err != nil {
			buildErr = fmt.Errorf("go build: %v\n%s", err, out)
		}
	})
	if buildErr != nil {
		t.Fatal(buildErr)
	}
	return binPath
}

// raceEnabled reports whether this test binary was built with -race: the
// server binary is then built with it too. Without it (CGO_ENABLED=0, no C
// compiler) -race would fail the build, so it is left out.
func raceEnabled() bool {
	bi, ok := debug.ReadBuildInfo()
	if !ok {
		return false
	}
	for _, s := range bi.Settings {
		if s.Key == "-race" {
			return s.Value == "true"
		}
	}
	return false
}

// serverEnv is the environment of a spawned server: the inherited one
// without any variable the server reads as configuration (a developer's
// exported DATABASE_URL, PORT, SQLITE_DATABASE_PATH, RATE_LIMIT_*, … would
// otherwise reach the server under test), then each layer in order, a later
// layer's value winning over an earlier one's. Only the test's own layers
// can select a database.
func serverEnv(layers ...[]string) []string {
	configVars := map[string]bool{}
	for _, v := range config.Vars() {
		configVars[v.Name] = true
	}
	isConfig := func(name string) bool {
		return configVars[name] || name == "DATABASE_URL" || strings.HasPrefix(name, "POSTGRES_") ||
			strings.HasPrefix(name, "SQLITE_") || strings.HasPrefix(name, "RATE_LIMIT_") || strings.HasPrefix(name, "LIMIT_") ||
			strings.HasPrefix(name, "CLUSTER_") || name == "DATABASE_ADAPTER"
	}
	var order []string
	vals := map[string]string{}
	set := func(kv string) {
		name, val, ok := strings.Cut(kv, "=")
		if !ok || name == "" {
			return
		}
		if _, seen := vals[name]; !seen {
			order = append(order, name)
		}
		vals[name] = val
	}
	for _, kv := range os.Environ() {
		if name, _, _ := strings.Cut(kv, "="); !isConfig(name) {
			set(kv)
		}
	}
	for _, layer := range layers {
		for _, kv := range layer {
			set(kv)
		}
	}
	out := make([]string, 0, len(order))
	for _, name := range order {
		out = append(out, name+"="+vals[name])
	}
	return out
}

func freePort(t *testing.T) int {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port
}

// dbEnv returns the environment selecting a fresh database of the dialect.
func dbEnv(t *testing.T, dialect string) []string {
	t.Helper()
	if dialect == "postgres" {
		return []string{"DATABASE_URL=" + persistencetest.PostgresURL(t)}
	}
	return []string{"SQLITE_DATABASE_PATH=" + filepath.Join(t.TempDir(), "gamend.db")}
}

type serverProc struct {
	cmd  *exec.Cmd
	base string
	logs *bytes.Buffer
}

// startBinary starts the server with env (plus test defaults) and waits
// until /api/v1/health answers.
func startBinary(t *testing.T, env []string) *serverProc {
	t.Helper()
	port := freePort(t)
	cmd := exec.Command(serverBinary(t))
	// The test's settings win over the defaults here, and neither can be
	// overridden by the developer's shell (serverEnv).
	defaults := []string{"ENV_FILE=none", "GAMEND_ENV=test", "LOG_LEVEL=warn", "ACCESS_LOG_LEVEL=off",
		"GAMEND_DATA_DIR=" + t.TempDir(), "SQLITE_DATABASE_PATH=" + filepath.Join(t.TempDir(), "gamend.db"), fmt.Sprintf("PORT=%d", port),
		"RATE_LIMIT_HTTP_AUTH_LIMIT=1000000", "RATE_LIMIT_HTTP_GENERAL_LIMIT=1000000"}
	cmd.Env = serverEnv(defaults, env)
	logs := &bytes.Buffer{}
	cmd.Stdout, cmd.Stderr = logs, logs
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	p := &serverProc{cmd: cmd, base: fmt.Sprintf("http://127.0.0.1:%d", port), logs: logs}
	t.Cleanup(func() {
		if p.cmd.ProcessState == nil {
			_ = p.cmd.Process.Kill()
			_ = p.cmd.Wait()
		}
		if t.Failed() {
			t.Logf("server output:\n%s", logs.String())
		}
	})
	deadline := time.Now().Add(60 * time.Second)
	for {
		res, err := http.Get(p.base + "/api/v1/health")
		if err == nil {
			res.Body.Close()
			if res.StatusCode == 200 {
				return p
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("server did not become healthy: %v\n%s", err, logs.String())
		}
		time.Sleep(50 * time.Millisecond)
	}
}

type apiResponse struct {
	Status int
	Body   map[string]any
	Raw    string
}

func call(ctx context.Context, method, url, token string, body any) (apiResponse, error) {
	var rd io.Reader
	if body != nil {
		b, _ := json.Marshal(body)
		rd = bytes.NewReader(b)
	}
	req, err := http.NewRequestWithContext(ctx, method, url, rd)
	if err != nil {
		return apiResponse{}, err
	}
	req.Header.Set("Content-Type", "application/json")
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		return apiResponse{}, err
	}
	defer res.Body.Close()
	raw, err := io.ReadAll(res.Body)
	if err != nil {
		return apiResponse{}, err
	}
	out := apiResponse{Status: res.StatusCode, Raw: string(raw)}
	_ = json.Unmarshal(raw, &out.Body)
	return out, nil
}

func dataField(r apiResponse, key string) string {
	d, _ := r.Body["data"].(map[string]any)
	s, _ := d[key].(string)
	return s
}

func dialects(t *testing.T, fn func(t *testing.T, dialect string)) {
	for _, d := range []string{"sqlite", "postgres"} {
		t.Run(d, func(t *testing.T) {
			if d == "postgres" && os.Getenv(persistencetest.EnvPostgresURL) == "" {
				t.Skip(persistencetest.EnvPostgresURL + " not set: PostgreSQL suite skipped")
			}
			fn(t, d)
		})
	}
}
