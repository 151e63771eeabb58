package main

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"strings"
	"testing"

	"github.com/gamend-go/gamend/auth"
	"github.com/gamend-go/gamend/config"
	"github.com/gamend-go/gamend/persistence/persistencetest"
	"github.com/gamend-go/gamend/persistence/writebehind"
	"github.com/gamend-go/gamend/transport/rest"
)

// The account pages use the OAuth routes' provider clients: one HTTP
// client and one Apple JWKS cache per server, not one per mount.
func TestMountWebSharesOAuthProviders(t *testing.T) {
	cfg, err := config.Load([]string{"ENV_FILE=none", "GAMEND_ENV=test", "GAMEND_DATA_DIR=" + t.TempDir(),
		"GOOGLE_CLIENT_ID=web-test-client", "GOOGLE_CLIENT_SECRET=web-test-secret"})
	if err != nil {
		t.Fatal(err)
	}
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	q := writebehind.New(persistencetest.SQLite(t).DB, writebehind.Options{})
	t.Cleanup(func() { q.Close(context.Background()) })
	a := &app{cfg: cfg, log: log, queue: q, http: rest.New(restOptions(cfg, log))}
	a.auth = auth.NewService(q, auth.NewTokens([]byte("mount-web-test-secret-mount-web")), auth.Options{BcryptCost: 4})
	mountOAuth(a)
	w := mountWeb(a)
	if w.OAuth() == nil || w.OAuth() != a.http.OAuth().Providers() {
		t.Fatalf("pages use providers %p, OAuth routes %p", w.OAuth(), a.http.OAuth().Providers())
	}
}

// Over HTTP, the sign-in page offers the providers the OAuth routes have
// configured.
func TestLoginPageOffersConfiguredProviders(t *testing.T) {
	ta := newTestApp(t, "sqlite", "GOOGLE_CLIENT_ID=web-test-client", "GOOGLE_CLIENT_SECRET=web-test-secret")
	res, err := http.Get(ta.base + "/users/log-in")
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	body, _ := io.ReadAll(res.Body)
	if res.StatusCode != 200 || !strings.Contains(string(body), `action="/users/oauth/google"`) || strings.Contains(string(body), `action="/users/oauth/discord"`) {
		t.Fatalf("log-in page %d:\n%s", res.StatusCode, body)
	}
}
