package sqlite_test

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	"github.com/gamend-go/gamend/config"
	"github.com/gamend-go/gamend/persistence"
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
	for name, pool := range map[string]*sql.DB{"writer": db.WritePool(), "reader": db.ReadPool()} {
		var temp int
		if err := pool.QueryRow("PRAGMA temp_store").Scan(&temp); err != nil || temp != 2 {
			t.Fatalf("%s temp_store=%d (%v), want 2 (MEMORY)", name, temp, err)
		}
	}
}

// Statements of a write transaction run detached from their context's
// cancellation, but one issued after the context ended still fails, and a
// live context's statements work (the write-behind queue relies on both).
func TestTxStatementsAndContexts(t *testing.T) {
	db, err := sqlite.Open(context.Background(), filepath.Join(t.TempDir(), "x.db"), sqlite.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	err = db.WriteTx(ctx, func(tx *persistence.Tx) error {
		if _, err := tx.Exec(ctx, `CREATE TABLE t (v INTEGER)`); err != nil {
			return err
		}
		for i := range 3 { // the cached-statement path from the second use on
			var v int
			if err := tx.QueryRow(ctx, `INSERT INTO t (v) VALUES (?) RETURNING v`, i).Scan(&v); err != nil || v != i {
				return fmt.Errorf("insert %d: %v %v", i, v, err)
			}
		}
		done, stop := context.WithCancel(ctx)
		stop()
		var n int
		if err := tx.QueryRow(done, `SELECT count(*) FROM t`).Scan(&n); !errors.Is(err, context.Canceled) {
			return fmt.Errorf("query on an ended context: %v, want context.Canceled", err)
		}
		if _, err := tx.Exec(done, `INSERT INTO t (v) VALUES (9)`); !errors.Is(err, context.Canceled) {
			return fmt.Errorf("exec on an ended context: %v, want context.Canceled", err)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	var n int
	if err := db.WritePool().QueryRow(`SELECT count(*) FROM t`).Scan(&n); err != nil || n != 3 {
		t.Fatalf("%d rows (%v), want 3", n, err)
	}
}

// TestWALTruncatedInBackground: under a steady stream of commits (with
// readers running) the background checkpointer keeps the WAL from
// growing without bound: once it passes 8×SQLITE_WAL_AUTOCHECKPOINT
// frames it is truncated between two commits, and the writer keeps its
// busy timeout afterwards.
func TestWALTruncatedInBackground(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "wal.db")
	const threshold = 8 // pages: truncation is due past 64 frames (256 KiB)
	db, err := sqlite.Open(context.Background(), path, sqlite.Options{WALAutoCkpt: threshold, BusyTimeoutMS: 1234, Synchronous: "off", SkipMigrations: true})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	ctx := context.Background()
	if _, err := db.Exec(ctx, `CREATE TABLE t (id INTEGER PRIMARY KEY, v BLOB)`); err != nil {
		t.Fatal(err)
	}
	walSize := func() int64 {
		st, err := os.Stat(path + "-wal")
		if err != nil {
			return 0
		}
		return st.Size()
	}
	stop := make(chan struct{})
	readerDone := make(chan struct{})
	go func() { // readers keep coming, as in a live server
		defer close(readerDone)
		for {
			select {
			case <-stop:
				return
			default:
			}
			var n int
			_ = db.QueryRow(ctx, `SELECT count(*) FROM t`).Scan(&n)
		}
	}()
	defer func() { close(stop); <-readerDone }()

	// 3,000 commits of a 3 KB row write at least 12 MB of WAL frames;
	// without checkpoints the WAL would hold them all. The bound below
	// leaves room for a checkpointer that lags on a busy machine (3.6 MB
	// seen while other test packages ran).
	var maxSize, prev int64
	truncations := 0
	for i := range 3000 {
		if _, err := db.Exec(ctx, `INSERT OR REPLACE INTO t (id, v) VALUES (?, randomblob(3000))`, i%500); err != nil {
			t.Fatal(err)
		}
		time.Sleep(200 * time.Microsecond) // a busy server: thousands of commits/s, not a tight loop
		size := walSize()
		maxSize = max(maxSize, size)
		if size < prev/2 {
			truncations++
		}
		prev = size
	}
	if truncations == 0 || maxSize > 4<<20 {
		t.Fatalf("WAL truncated %d times, largest %d bytes: want at least one truncation and at most 4 MiB", truncations, maxSize)
	}
	var busy int
	if err := db.WritePool().QueryRow("PRAGMA busy_timeout").Scan(&busy); err != nil {
		t.Fatal(err)
	}
	if busy != 1234 {
		t.Fatalf("writer busy_timeout after a truncation = %d, want 1234", busy)
	}
}
