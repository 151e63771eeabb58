// Package persistencetest opens fresh databases for tests: always a SQLite
// file in a temporary directory, and a PostgreSQL schema of its own when
// GAMEND_TEST_POSTGRES_URL is set, so one test body runs on both dialects
// and parallel runs never collide.
package persistencetest

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"net/url"
	"os"
	"path/filepath"
	"sync"
	"testing"

	_ "github.com/jackc/pgx/v5/stdlib" // database/sql driver "pgx"

	"github.com/gamend-go/gamend/persistence"
	"github.com/gamend-go/gamend/persistence/postgres"
	"github.com/gamend-go/gamend/persistence/sqlite"
	"github.com/gamend-go/gamend/persistence/users"
)

// EnvPostgresURL names the variable that enables the PostgreSQL suite.
const EnvPostgresURL = "GAMEND_TEST_POSTGRES_URL"

// Target is one database a test runs against.
type Target struct {
	Name string // "sqlite" or "postgres"
	// URL opens the same database again (a file path for SQLite, a
	// postgres:// URL with search_path for PostgreSQL), e.g. for a server
	// binary started by the test.
	URL string
	DB  *persistence.DB
}

// Dialects calls fn once per available dialect as a subtest, each with a
// fresh, migrated database that is closed when the subtest ends.
func Dialects(t *testing.T, fn func(t *testing.T, tg Target)) {
	t.Helper()
	t.Run("sqlite", func(t *testing.T) { fn(t, SQLite(t)) })
	if os.Getenv(EnvPostgresURL) == "" {
		t.Run("postgres", func(t *testing.T) { t.Skip(EnvPostgresURL + " not set: PostgreSQL suite skipped") })
		return
	}
	t.Run("postgres", func(t *testing.T) { fn(t, Postgres(t)) })
}

// SQLite opens a fresh migrated SQLite database under t.TempDir().
func SQLite(t testing.TB) Target {
	t.Helper()
	path := filepath.Join(t.TempDir(), "test.db")
	db, err := sqlite.Open(context.Background(), path, sqlite.Options{Synchronous: "normal"})
	if err != nil {
		t.Fatalf("open sqlite: %v", err)
	}
	t.Cleanup(func() { db.Close() })
	return Target{Name: "sqlite", URL: path, DB: db}
}

// PostgresURL creates a fresh schema in the test PostgreSQL database and
// returns a URL that uses it; the schema is dropped when the test ends. It
// skips the test when GAMEND_TEST_POSTGRES_URL is not set.
func PostgresURL(t testing.TB) string {
	t.Helper()
	base := os.Getenv(EnvPostgresURL)
	if base == "" {
		t.Skip(EnvPostgresURL + " not set: PostgreSQL suite skipped")
	}
	admin, err := sql.Open("pgx", base)
	if err != nil {
		t.Fatalf("postgres: %v", err)
	}
	b := make([]byte, 6)
	_, _ = rand.Read(b)
	schema := "gamend_test_" + hex.EncodeToString(b)
	if _, err := admin.Exec("CREATE SCHEMA " + schema); err != nil {
		admin.Close()
		t.Fatalf("postgres: create schema: %v", err)
	}
	t.Cleanup(func() {
		_, _ = admin.Exec("DROP SCHEMA " + schema + " CASCADE")
		admin.Close()
	})
	u, err := url.Parse(base)
	if err != nil {
		t.Fatalf("postgres url: %v", err)
	}
	q := u.Query()
	q.Set("search_path", schema)
	u.RawQuery = q.Encode()
	return u.String()
}

// Postgres opens a fresh migrated database in its own schema.
func Postgres(t testing.TB) Target {
	t.Helper()
	u := PostgresURL(t)
	db, err := postgres.Open(context.Background(), u, postgres.Options{PoolSize: 8})
	if err != nil {
		t.Fatalf("open postgres: %v", err)
	}
	t.Cleanup(func() { db.Close() })
	return Target{Name: "postgres", URL: u, DB: db}
}

// PauseNextUserLoad pauses the next database read of user id through c
// after it has loaded the row and before the cache stores or discards
// it: loaded is closed once that read is paused, and resume lets it go
// on (call it once). Other reads are not paused; the hook is removed when
// the test ends. Tests use it to interleave a cache fill with a change
// and its Invalidate.
func PauseNextUserLoad(t testing.TB, c *users.Cache, id string) (loaded <-chan struct{}, resume func()) {
	t.Helper()
	paused, release := make(chan struct{}), make(chan struct{})
	var once sync.Once
	c.SetLoadHook(func(loadedID string) {
		if loadedID != id {
			return
		}
		first := false
		once.Do(func() { first = true })
		if first {
			close(paused)
			<-release
		}
	})
	t.Cleanup(func() { c.SetLoadHook(nil) })
	return paused, func() { close(release) }
}
