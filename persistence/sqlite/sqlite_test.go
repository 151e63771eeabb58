package sqlite_test

import (
	"context"
	"path/filepath"
	"strconv"
	"testing"

	"github.com/gamend-go/gamend/config"
	"github.com/gamend-go/gamend/persistence/sqlite"
)

// TestDefaultsMatchConfig: the library's fallbacks are the server's
// documented defaults, so a caller passing zero Options gets what
// SQLITE_* defaults to.
func TestDefaultsMatchConfig(t *testing.T) {
	want := map[string]string{
		"SQLITE_SYNCHRONOUS":        sqlite.DefaultSynchronous,
		"SQLITE_CACHE_SIZE_KB":      strconv.Itoa(sqlite.DefaultCacheSizeKB),
		"SQLITE_BUSY_TIMEOUT":       strconv.Itoa(sqlite.DefaultBusyTimeoutMS),
		"SQLITE_WAL_AUTOCHECKPOINT": strconv.Itoa(sqlite.DefaultWALAutoCkpt),
	}
	found := 0
	for _, v := range config.Vars() {
		if w, ok := want[v.Name]; ok {
			found++
			if v.Default != w {
				t.Errorf("config %s defaults to %q, sqlite.Options to %q", v.Name, v.Default, w)
			}
		}
	}
	if found != len(want) {
		t.Fatalf("found %d of the %d SQLITE_* variables in config", found, len(want))
	}
}

// TestZeroOptionsOpenWithFullSync: Open with zero Options runs the writer
// with synchronous=FULL and the default busy timeout.
func TestZeroOptionsOpenWithFullSync(t *testing.T) {
	db, err := sqlite.Open(context.Background(), filepath.Join(t.TempDir(), "x.db"), sqlite.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var sync, busy int
	if err := db.WritePool().QueryRow("PRAGMA synchronous").Scan(&sync); err != nil {
		t.Fatal(err)
	}
	if err := db.WritePool().QueryRow("PRAGMA busy_timeout").Scan(&busy); err != nil {
		t.Fatal(err)
	}
	if sync != 2 || busy != sqlite.DefaultBusyTimeoutMS { // 2 = FULL
		t.Fatalf("writer synchronous=%d busy_timeout=%d, want 2 (FULL) and %d", sync, busy, sqlite.DefaultBusyTimeoutMS)
	}
}
