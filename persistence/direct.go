package persistence

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"errors"
	"fmt"
	"io"
	"sync"
	"time"
)

// Statements of a SQLite write transaction can run directly on the driver
// connection (sql.Conn.Raw) instead of through database/sql. For each
// statement that returns a row, database/sql starts (and later wakes) a
// goroutine watching the transaction's context, and allocates its Rows,
// dependency bookkeeping and argument copies: about 2.5 KB and two
// goroutine switches per statement, on the one writer goroutine every
// group commit runs on. The direct path runs a cached prepared statement of
// the connection and reads the row into a slice.

// directStmts caches prepared driver statements of the SQLite writer
// connection. It is only used inside sql.Conn.Raw, which holds the
// connection, so the statements are never used concurrently.
type directStmts struct {
	max   int
	mu    sync.Mutex
	conn  driver.Conn // the connection the statements belong to
	stmts map[string]driver.Stmt
}

// get returns the statement of q on dc and whether it is cached (an
// uncached one, past the cache's bound, must be closed after use).
func (c *directStmts) get(ctx context.Context, dc driver.Conn, q string) (driver.Stmt, bool, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.conn != dc {
		// database/sql replaced the connection (it only does after a
		// broken one): the old statements went with it.
		c.conn, c.stmts = dc, map[string]driver.Stmt{}
	}
	if st := c.stmts[q]; st != nil {
		return st, true, nil
	}
	st, err := prepare(ctx, dc, q)
	if err != nil {
		return nil, false, err
	}
	if len(c.stmts) >= c.max {
		return st, false, nil
	}
	c.stmts[q] = st
	return st, true, nil
}

func (c *directStmts) close() {
	c.mu.Lock()
	defer c.mu.Unlock()
	for _, st := range c.stmts {
		_ = st.Close()
	}
	c.stmts = nil
}

func prepare(ctx context.Context, dc driver.Conn, q string) (driver.Stmt, error) {
	if p, ok := dc.(driver.ConnPrepareContext); ok {
		return p.PrepareContext(ctx, q)
	}
	return dc.Prepare(q)
}

// namedValues converts arguments as database/sql does for a driver without
// its own checker (the modernc SQLite driver), into buf's storage.
func namedValues(buf []driver.NamedValue, args []any) ([]driver.NamedValue, error) {
	nvs := buf[:0]
	for i, a := range args {
		v, err := driver.DefaultParameterConverter.ConvertValue(a)
		if err != nil {
			return nil, fmt.Errorf("persistence: argument %d: %w", i+1, err)
		}
		nvs = append(nvs, driver.NamedValue{Ordinal: i + 1, Value: v})
	}
	return nvs, nil
}

// direct runs fn with the transaction's prepared driver statement of q
// and args converted (SQLite write transactions only). It holds the
// driver connection, so the statements of one transaction run one at a
// time and share one argument slice (t.nvs): the driver binds the
// arguments and keeps none of them.
func (t *Tx) direct(ctx context.Context, q string, args []any, fn func(st driver.Stmt, nvs []driver.NamedValue) error) error {
	return t.conn.Raw(func(dc any) error {
		nvs, err := namedValues(t.nvs, args)
		if err != nil {
			return err
		}
		t.nvs = nvs
		defer clear(nvs) // keep no argument alive past the statement
		conn, ok := dc.(driver.Conn)
		if !ok {
			return fmt.Errorf("persistence: driver connection %T", dc)
		}
		st, cached, err := t.db.direct.get(ctx, conn, q)
		if err != nil {
			return err
		}
		if !cached {
			defer st.Close()
		}
		return fn(st, nvs)
	})
}

// directExec runs q directly on the driver connection.
func (t *Tx) directExec(ctx context.Context, q string, args []any) (sql.Result, error) {
	var res driver.Result
	err := t.direct(ctx, q, args, func(st driver.Stmt, nvs []driver.NamedValue) error {
		ex, ok := st.(driver.StmtExecContext)
		if !ok {
			return fmt.Errorf("persistence: driver statement %T cannot exec", st)
		}
		var err error
		res, err = ex.ExecContext(ctx, nvs)
		return err
	})
	if err != nil {
		return nil, err
	}
	return res, nil
}

// Row is the result of Tx.QueryRowFast: Scan copies its columns out.
type Row struct {
	db   *DB
	row  *sql.Row
	vals []driver.Value
	err  error
}

// QueryRowFast runs a single-row statement inside the transaction, like
// QueryRow, with errors classified as Exec classifies them (a unique
// violation is a *UniqueError). On SQLite it runs directly on the driver connection (see the
// top of this file), and Scan takes *string, *[]byte, *int, *int64, *bool,
// *float64, *time.Time, *any and sql.Scanner destinations, converted as
// database/sql converts them. Use it for statements every op of a group
// commit runs.
func (t *Tx) QueryRowFast(ctx context.Context, q string, args ...any) *Row {
	if t.conn == nil || ctx.Err() != nil {
		return &Row{db: t.db, row: t.QueryRow(ctx, q, args...)}
	}
	ctx = t.stmtCtx(ctx)
	q = t.db.rb.rebind(q)
	r := &Row{}
	r.err = t.direct(ctx, q, args, func(st driver.Stmt, nvs []driver.NamedValue) error {
		qs, ok := st.(driver.StmtQueryContext)
		if !ok {
			return fmt.Errorf("persistence: driver statement %T cannot query", st)
		}
		rows, err := qs.QueryContext(ctx, nvs)
		if err != nil {
			return err
		}
		vals := make([]driver.Value, len(rows.Columns()))
		err = rows.Next(vals)
		if cerr := rows.Close(); err == nil && cerr != nil {
			return cerr
		}
		if errors.Is(err, io.EOF) {
			return sql.ErrNoRows
		}
		if err != nil {
			return err
		}
		// The driver may reuse what []byte values point to once the
		// statement runs again: keep copies.
		for i, v := range vals {
			if b, ok := v.([]byte); ok {
				vals[i] = append([]byte(nil), b...)
			}
		}
		r.vals = vals
		return nil
	})
	r.err = t.db.classify(r.err)
	return r
}

// Err returns the error of the statement, if any (sql.ErrNoRows when it
// returned no row).
func (r *Row) Err() error {
	if r.row != nil {
		return r.db.classify(r.row.Err())
	}
	return r.err
}

// Scan copies the row's columns into dest, one per column.
func (r *Row) Scan(dest ...any) error {
	if r.row != nil {
		return r.db.classify(r.row.Scan(dest...))
	}
	if r.err != nil {
		return r.err
	}
	if len(dest) != len(r.vals) {
		return fmt.Errorf("persistence: expected %d destination arguments in Scan, not %d", len(r.vals), len(dest))
	}
	for i, d := range dest {
		if err := scanValue(d, r.vals[i]); err != nil {
			return fmt.Errorf("persistence: Scan error on column index %d: %w", i, err)
		}
	}
	return nil
}

// scanValue converts v into dest with database/sql's conversions (through
// sql.Null, whose Scan uses them).
func scanValue(dest any, v driver.Value) error {
	switch d := dest.(type) {
	case sql.Scanner:
		return d.Scan(v)
	case *any:
		if b, ok := v.([]byte); ok {
			v = append([]byte(nil), b...)
		}
		*d = v
		return nil
	case *[]byte:
		if v == nil {
			*d = nil
			return nil
		}
		return scanInto(d, v)
	case *string:
		return scanInto(d, v)
	case *int:
		return scanInto(d, v)
	case *int64:
		return scanInto(d, v)
	case *bool:
		return scanInto(d, v)
	case *float64:
		return scanInto(d, v)
	case *time.Time:
		return scanInto(d, v)
	}
	return fmt.Errorf("unsupported destination %T (use QueryRow)", dest)
}

func scanInto[T any](d *T, v driver.Value) error {
	if v == nil {
		return fmt.Errorf("converting NULL to %T is unsupported", *d)
	}
	var n sql.Null[T]
	if err := n.Scan(v); err != nil {
		return err
	}
	*d = n.V
	return nil
}
