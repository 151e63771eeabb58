package persistence

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"errors"
	"fmt"
	"sync"
	"time"
)

// Querier is the read/write surface shared by *DB and *Tx, so store
// functions can run inside a write-behind transaction or directly.
type Querier interface {
	Exec(ctx context.Context, query string, args ...any) (sql.Result, error)
	Query(ctx context.Context, query string, args ...any) (*sql.Rows, error)
	QueryRow(ctx context.Context, query string, args ...any) *sql.Row
	Dialect() Dialect
}

// DB is an open database: a pool for reads and a pool for writes (the same
// pool on PostgreSQL; a single connection on SQLite, which has one writer).
// Writes that must be acknowledged durably go through writebehind; DB.WriteTx
// is the plain one-transaction-per-call path.
type DB struct {
	dialect  Dialect
	rb       *rebinder
	read     *sql.DB
	write    *sql.DB
	readStmt *stmtCache
	txStmt   *stmtCache
	direct   *directStmts
	onClose  []func() error
	detachTx bool
}

// New wraps the given pools. read and write may be the same *sql.DB.
func New(d Dialect, read, write *sql.DB) *DB {
	return &DB{dialect: d, rb: newRebinder(d), read: read, write: write}
}

// CacheStatements keeps up to max prepared statements per pool (SQLite,
// whose driver prepares every query from scratch; pgx caches on its own).
// Reads prepare on first use. Statements run in transactions are prepared
// in the background after their first use, because preparing on the pool
// from inside a transaction would wait for the writer connection the
// transaction itself holds; later transactions reuse them.
func (db *DB) CacheStatements(max int) {
	db.readStmt = newStmtCache(db.read, max)
	db.txStmt = newStmtCache(db.write, max)
}

// DetachTxStatements makes the statements of write transactions run
// without their context's cancellation (SQLite). The modernc driver starts
// a goroutine per statement to watch a cancellable context: in a group
// commit of hundreds of ops, hundreds of goroutines started and woken by
// the one writer. What is given up is interrupting a statement already running
// on the local file when its context ends: a statement issued after the
// context ended still fails at once, and the write-behind queue still fails
// an op that overran its deadline and rolls its writes back.
func (db *DB) DetachTxStatements() { db.detachTx = true }

// DirectTxStatements makes the statements of write transactions run
// directly on the driver connection, with up to max prepared statements
// cached on it (SQLite: see direct.go). Exec and QueryRowFast use it.
func (db *DB) DirectTxStatements(max int) { db.direct = &directStmts{max: max} }

// OnClose registers a function to run when the DB is closed.
func (db *DB) OnClose(fn func() error) { db.onClose = append(db.onClose, fn) }

// Dialect returns the SQL dialect of this database.
func (db *DB) Dialect() Dialect { return db.dialect }

// ReadPool exposes the read pool (for stats and tests).
func (db *DB) ReadPool() *sql.DB { return db.read }

// WritePool exposes the write pool (for stats and tests).
func (db *DB) WritePool() *sql.DB { return db.write }

// Rebind rewrites `?` placeholders for this dialect.
func (db *DB) Rebind(q string) string { return db.rb.rebind(q) }

// Query runs a read query on the read pool.
func (db *DB) Query(ctx context.Context, q string, args ...any) (*sql.Rows, error) {
	q = db.rb.rebind(q)
	if st := db.readStmt.get(ctx, q); st != nil {
		return st.QueryContext(ctx, args...)
	}
	return db.read.QueryContext(ctx, q, args...)
}

// QueryRow runs a single-row read query on the read pool.
func (db *DB) QueryRow(ctx context.Context, q string, args ...any) *sql.Row {
	q = db.rb.rebind(q)
	if st := db.readStmt.get(ctx, q); st != nil {
		return st.QueryRowContext(ctx, args...)
	}
	return db.read.QueryRowContext(ctx, q, args...)
}

// Exec runs one statement on the write pool in its own implicit transaction.
// Prefer writebehind for acknowledged application writes.
func (db *DB) Exec(ctx context.Context, q string, args ...any) (sql.Result, error) {
	res, err := db.write.ExecContext(ctx, db.rb.rebind(q), args...)
	return res, db.classify(err)
}

// WriteTx runs fn in one write transaction and commits it (the naive path:
// one commit per call). fn's error rolls the transaction back.
func (db *DB) WriteTx(ctx context.Context, fn func(tx *Tx) error) error {
	tx, err := db.Begin(ctx)
	if err != nil {
		return err
	}
	if err := fn(tx); err != nil {
		_ = tx.Rollback()
		return err
	}
	return tx.Commit()
}

// Begin starts a write transaction.
func (db *DB) Begin(ctx context.Context) (*Tx, error) {
	if db.direct == nil {
		stx, err := db.write.BeginTx(ctx, nil)
		if err != nil {
			return nil, db.classify(err)
		}
		return &Tx{tx: stx, db: db}, nil
	}
	// The transaction runs on a connection held by hand, so that its
	// statements can also reach the driver connection (Conn.Raw).
	conn, err := db.write.Conn(ctx)
	if err != nil {
		return nil, db.classify(err)
	}
	stx, err := conn.BeginTx(ctx, nil)
	if err != nil {
		conn.Close()
		return nil, db.classify(err)
	}
	return &Tx{tx: stx, conn: conn, db: db}, nil
}

// Close closes both pools and runs OnClose hooks.
func (db *DB) Close() error {
	var errs []error
	for _, fn := range db.onClose {
		errs = append(errs, fn())
	}
	if db.direct != nil {
		// Finalized on their connection, before it closes.
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		if conn, err := db.write.Conn(ctx); err == nil {
			_ = conn.Raw(func(any) error { db.direct.close(); return nil })
			conn.Close()
		}
		cancel()
	}
	if db.write != db.read {
		errs = append(errs, db.write.Close())
	}
	db.readStmt.close()
	db.txStmt.close()

	errs = append(errs, db.read.Close())
	return errors.Join(errs...)
}

// classify wraps driver errors into the package's error types.
func (db *DB) classify(err error) error {
	if err == nil {
		return nil
	}
	if d, ok := db.dialect.UniqueViolation(err); ok {
		return &UniqueError{Detail: d, Err: err}
	}
	return err
}

// Tx is a write transaction. All statements are rebound for the dialect and
// their errors classified (unique violations become *UniqueError).
type Tx struct {
	tx *sql.Tx
	// conn is the connection the transaction runs on when statements may
	// run directly on the driver (DirectTxStatements); nil otherwise.
	conn *sql.Conn
	db   *DB
	sp   int
	// stmts holds the transaction's handles of cached statements: a group
	// commit runs the same few statements for every op of its batch.
	mu    sync.Mutex
	stmts map[*sql.Stmt]*sql.Stmt
	// nvs is the argument slice of direct statements, reused while the
	// driver connection is held (see direct).
	nvs []driver.NamedValue
}

// stmtCtx is the context a statement of the transaction runs with (see
// DetachTxStatements).
func (t *Tx) stmtCtx(ctx context.Context) context.Context {
	if !t.db.detachTx || ctx.Err() != nil {
		return ctx
	}
	return context.WithoutCancel(ctx)
}

// stmt returns the transaction's handle of the cached statement st.
func (t *Tx) stmt(ctx context.Context, st *sql.Stmt) *sql.Stmt {
	t.mu.Lock()
	defer t.mu.Unlock()
	if ts := t.stmts[st]; ts != nil {
		return ts
	}
	ts := t.tx.StmtContext(ctx, st)
	if t.stmts == nil {
		t.stmts = make(map[*sql.Stmt]*sql.Stmt, 4)
	}
	t.stmts[st] = ts
	return ts
}

// Dialect returns the SQL dialect of the transaction's database.
func (t *Tx) Dialect() Dialect { return t.db.dialect }

// Exec runs a statement inside the transaction.
func (t *Tx) Exec(ctx context.Context, q string, args ...any) (sql.Result, error) {
	ctx = t.stmtCtx(ctx)
	q = t.db.rb.rebind(q)
	if t.conn != nil && ctx.Err() == nil {
		res, err := t.directExec(ctx, q, args)
		return res, t.db.classify(err)
	}
	if st := t.db.txStmt.lookup(q); st != nil {
		res, err := t.stmt(ctx, st).ExecContext(ctx, args...)
		return res, t.db.classify(err)
	}
	t.db.txStmt.prepareLater(q)
	res, err := t.tx.ExecContext(ctx, q, args...)
	return res, t.db.classify(err)
}

// Query runs a query inside the transaction (it sees the transaction's own
// uncommitted writes).
func (t *Tx) Query(ctx context.Context, q string, args ...any) (*sql.Rows, error) {
	ctx = t.stmtCtx(ctx)
	rows, err := t.tx.QueryContext(ctx, t.db.rb.rebind(q), args...)
	return rows, t.db.classify(err)
}

// QueryRow runs a single-row query inside the transaction.
func (t *Tx) QueryRow(ctx context.Context, q string, args ...any) *sql.Row {
	ctx = t.stmtCtx(ctx)
	q = t.db.rb.rebind(q)
	if st := t.db.txStmt.lookup(q); st != nil {
		return t.stmt(ctx, st).QueryRowContext(ctx, args...)
	}
	t.db.txStmt.prepareLater(q)
	return t.tx.QueryRowContext(ctx, q, args...)
}

// Savepoint runs fn inside a savepoint: if fn fails, only its own writes are
// rolled back and the transaction stays usable.
func (t *Tx) Savepoint(ctx context.Context, fn func() error) error {
	ctx = t.stmtCtx(ctx)
	t.sp++
	name := fmt.Sprintf("sp%d", t.sp)
	if _, err := t.tx.ExecContext(ctx, "SAVEPOINT "+name); err != nil {
		return err
	}
	if ferr := fn(); ferr != nil {
		if _, err := t.tx.ExecContext(ctx, "ROLLBACK TO SAVEPOINT "+name); err != nil {
			return errors.Join(ferr, err)
		}
		if _, err := t.tx.ExecContext(ctx, "RELEASE SAVEPOINT "+name); err != nil {
			return errors.Join(ferr, err)
		}
		return ferr
	}
	_, err := t.tx.ExecContext(ctx, "RELEASE SAVEPOINT "+name)
	return err
}

// Commit commits the transaction.
func (t *Tx) Commit() error {
	err := t.tx.Commit()
	t.release()
	return t.db.classify(err)
}

// Rollback aborts the transaction.
func (t *Tx) Rollback() error {
	err := t.tx.Rollback()
	t.release()
	return err
}

// release returns a connection held by hand to the pool once the
// transaction is over.
func (t *Tx) release() {
	if t.conn != nil {
		_ = t.conn.Close()
	}
}
