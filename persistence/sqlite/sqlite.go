// Package sqlite opens the embedded SQLite database (modernc.org/sqlite, pure
// Go): WAL mode, one writer connection, a pool of read-only readers, foreign
// keys on, and the configured synchronous level.
package sqlite

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"errors"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"time"

	"modernc.org/sqlite"
	sqlite3 "modernc.org/sqlite/lib"

	"github.com/gamend-go/gamend/persistence"
)

// Defaults of Options: the same values as the defaults of config's
// SQLITE_SYNCHRONOUS, SQLITE_CACHE_SIZE_KB, SQLITE_BUSY_TIMEOUT and
// SQLITE_WAL_AUTOCHECKPOINT (a test keeps them in step). Synchronous is
// full, not upstream's normal, so that an acknowledged write survives a
// power loss, not only a process crash.
const (
	DefaultSynchronous   = "full"
	DefaultCacheSizeKB   = 200000
	DefaultBusyTimeoutMS = 15000
	DefaultWALAutoCkpt   = 2000
)

// Options tunes the SQLite connection (API.md §11 SQLITE_*). Zero values
// take the Default* constants.
type Options struct {
	Synchronous    string // off | normal | full | extra (default full)
	CacheSizeKB    int    // page cache per connection (default 200000)
	BusyTimeoutMS  int    // default 15000
	WALAutoCkpt    int    // WAL pages before a checkpoint (default 2000)
	ReadConns      int    // read pool size (default max(8, 2×GOMAXPROCS))
	SkipMigrations bool
}

func (o *Options) defaults() {
	if o.Synchronous == "" {
		o.Synchronous = DefaultSynchronous
	}
	if o.CacheSizeKB == 0 {
		o.CacheSizeKB = DefaultCacheSizeKB
	}
	if o.BusyTimeoutMS == 0 {
		o.BusyTimeoutMS = DefaultBusyTimeoutMS
	}
	if o.WALAutoCkpt == 0 {
		o.WALAutoCkpt = DefaultWALAutoCkpt
	}
	if o.ReadConns == 0 {
		o.ReadConns = max(8, 2*runtime.GOMAXPROCS(0))
	}
}

// Open opens (creating if needed) the database file at path, creates its
// directory, and runs the embedded migrations unless opts.SkipMigrations.
func Open(ctx context.Context, path string, opts Options) (*persistence.DB, error) {
	opts.defaults()
	if dir := filepath.Dir(path); dir != "" && dir != "." {
		if err := os.MkdirAll(dir, 0o755); err != nil {
			return nil, fmt.Errorf("sqlite: create %s: %w", dir, err)
		}
	}
	common := url.Values{}
	common.Add("_pragma", fmt.Sprintf("busy_timeout(%d)", opts.BusyTimeoutMS))
	common.Add("_pragma", "foreign_keys(1)")
	common.Add("_pragma", fmt.Sprintf("cache_size(-%d)", opts.CacheSizeKB))
	// Statement journals (every upsert in a multi-statement transaction
	// keeps one, for its own rollback) and sort scratch stay in memory:
	// in temp files they cost write syscalls on every statement, and crash
	// recovery never reads them.
	common.Add("_pragma", "temp_store(2)")
	common.Add("_time_format", "sqlite")

	w := cloneValues(common)
	w.Add("_pragma", "journal_mode(WAL)")
	w.Add("_pragma", "synchronous("+strings.ToUpper(opts.Synchronous)+")")
	// Checkpoints run in the background (see checkpointer), not inside the
	// writer's commits, so a checkpoint never stalls a group commit.
	w.Add("_pragma", "wal_autocheckpoint(0)")
	// A WAL that restarts from its beginning after a burst is cut back to
	// the size at which the checkpointer would truncate it anyway.
	w.Add("_pragma", fmt.Sprintf("journal_size_limit(%d)", int64(8*opts.WALAutoCkpt)*4096))
	w.Set("_txlock", "immediate")
	write, err := sql.Open("sqlite", path+"?"+w.Encode())
	if err != nil {
		return nil, err
	}
	write.SetMaxOpenConns(1)
	write.SetMaxIdleConns(1)
	write.SetConnMaxLifetime(0)
	write.SetConnMaxIdleTime(0)
	// Open the writer first so the file exists in WAL mode before readers.
	if err := write.PingContext(ctx); err != nil {
		write.Close()
		return nil, fmt.Errorf("sqlite: open %s: %w", path, err)
	}

	r := cloneValues(common)
	r.Add("_pragma", "query_only(1)")
	read, err := sql.Open("sqlite", path+"?"+r.Encode())
	if err != nil {
		write.Close()
		return nil, err
	}
	read.SetMaxOpenConns(opts.ReadConns)
	read.SetMaxIdleConns(opts.ReadConns)
	read.SetConnMaxIdleTime(0)

	db := persistence.New(Dialect{}, read, write)
	db.CacheStatements(512)
	db.DetachTxStatements()
	db.DirectTxStatements(256)
	if err := startCheckpointer(ctx, db, path, common, opts.WALAutoCkpt, opts.BusyTimeoutMS); err != nil {
		db.Close()
		return nil, err
	}
	if !opts.SkipMigrations {
		if _, err := db.Migrate(ctx); err != nil {
			db.Close()
			return nil, err
		}
	}
	return db, nil
}

func cloneValues(v url.Values) url.Values {
	out := url.Values{}
	for k, vs := range v {
		out[k] = append([]string(nil), vs...)
	}
	return out
}

// Dialect is the SQLite SQL dialect.
type Dialect struct{}

// Name implements persistence.Dialect.
func (Dialect) Name() string { return "sqlite" }

// Placeholder implements persistence.Dialect (SQLite binds `?` in order).
func (Dialect) Placeholder(int) string { return "?" }

// JSONField implements persistence.Dialect.
func (Dialect) JSONField(col string) string { return "CAST((" + col + " ->> ?) AS TEXT)" }

func code(err error) int {
	var se *sqlite.Error
	if errors.As(err, &se) {
		return se.Code()
	}
	return 0
}

// UniqueViolation implements persistence.Dialect. The detail is the
// "table.col, table.col" list from SQLite's message.
func (Dialect) UniqueViolation(err error) (string, bool) {
	c := code(err)
	if c != sqlite3.SQLITE_CONSTRAINT_UNIQUE && c != sqlite3.SQLITE_CONSTRAINT_PRIMARYKEY {
		return "", false
	}
	msg := err.Error()
	if i := strings.Index(msg, "constraint failed: "); i >= 0 {
		detail := msg[i+len("constraint failed: "):]
		if j := strings.Index(detail, " ("); j >= 0 {
			detail = detail[:j]
		}
		return detail, true
	}
	return "", true
}

// ForeignKeyViolation implements persistence.Dialect.
func (Dialect) ForeignKeyViolation(err error) bool {
	return code(err) == sqlite3.SQLITE_CONSTRAINT_FOREIGNKEY
}

// Retryable implements persistence.Dialect.
func (Dialect) Retryable(err error) bool {
	c := code(err) & 0xff
	return c == sqlite3.SQLITE_BUSY || c == sqlite3.SQLITE_LOCKED
}

// startCheckpointer copies the WAL back into the database file in the
// background, so that checkpoints never run inside (and stall) a group
// commit. Every 250 ms a PASSIVE checkpoint, on a connection of its own,
// copies what it can without waiting for anyone or blocking the writer.
//
// Once the WAL holds more than 8×threshold frames and a PASSIVE left at
// most maxTruncateCopy of them to copy, the file is reset with a TRUNCATE.
// That one needs the write lock, so it runs on the writer connection itself, between two group
// commits (the pool hands the connection over in Go, without SQLite's
// busy-handler sleeps of up to 100 ms). After copying the last frames it
// waits at most 10 ms for the readers still using the WAL (readers that
// start meanwhile read the database file, so they finish quickly); if one
// is still there it gives up and is tried again later. The writer waits
// only for the copy of the frames written since the PASSIVE, plus that.
func startCheckpointer(ctx context.Context, db *persistence.DB, path string, common url.Values, threshold, busyMS int) error {
	c := url.Values{}
	for k, vs := range common {
		for _, v := range vs {
			if k == "_pragma" && strings.HasPrefix(v, "busy_timeout(") {
				continue
			}
			c.Add(k, v)
		}
	}
	c.Add("_pragma", "busy_timeout(0)")
	cp, err := sql.Open("sqlite", path+"?"+c.Encode())
	if err != nil {
		return err
	}
	cp.SetMaxOpenConns(1)
	if err := cp.PingContext(ctx); err != nil {
		cp.Close()
		return err
	}
	stop, done := make(chan struct{}), make(chan struct{})
	go func() {
		defer close(done)
		t := time.NewTicker(250 * time.Millisecond)
		defer t.Stop()
		for {
			select {
			case <-stop:
				return
			case <-t.C:
			}
			var busy, logFrames, moved int
			if err := cp.QueryRow("PRAGMA wal_checkpoint(PASSIVE)").Scan(&busy, &logFrames, &moved); err != nil {
				continue
			}
			if logFrames > 8*threshold && logFrames-moved <= maxTruncateCopy {
				truncateWAL(db.WritePool(), busyMS)
			}
		}
	}()
	db.OnClose(func() error {
		close(stop)
		<-done
		_, _ = cp.Exec("PRAGMA wal_checkpoint(PASSIVE)")
		return cp.Close()
	})
	return nil
}

// maxTruncateCopy is how many WAL frames (4 KiB pages) a TRUNCATE may
// still have to copy while it holds the write lock: about 1 MiB, a few
// milliseconds.
const maxTruncateCopy = 256

// truncateWAL runs a TRUNCATE checkpoint on the writer connection, waiting
// at most 10 ms for readers, then restores the writer's busy timeout. Only
// getting the connection is bounded by a context: a pragma takes effect when
// it is prepared, so one cut short by a context could leave the writer with
// the short timeout. If anything fails after the first pragma, the
// connection is dropped and the pool opens a fresh one with its DSN pragmas.
func truncateWAL(write *sql.DB, busyMS int) {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	conn, err := write.Conn(ctx)
	if err != nil {
		return
	}
	defer conn.Close()
	bg := context.Background()
	_, err = conn.ExecContext(bg, "PRAGMA busy_timeout = 10")
	if err == nil {
		var busy, logFrames, moved int
		_ = conn.QueryRowContext(bg, "PRAGMA wal_checkpoint(TRUNCATE)").Scan(&busy, &logFrames, &moved)
		_, err = conn.ExecContext(bg, fmt.Sprintf("PRAGMA busy_timeout = %d", busyMS))
	}
	if err != nil {
		_ = conn.Raw(func(any) error { return driver.ErrBadConn })
	}
}
