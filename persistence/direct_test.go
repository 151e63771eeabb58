package persistence_test

import (
	"bytes"
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/gamend-go/gamend/persistence"
	"github.com/gamend-go/gamend/persistence/persistencetest"
)

// QueryRowFast gives what QueryRow gives, for every destination type it
// takes, on both dialects (on SQLite it runs on the driver connection).
func TestQueryRowFastMatchesQueryRow(t *testing.T) {
	persistencetest.Dialects(t, func(t *testing.T, tg persistencetest.Target) {
		db := tg.DB
		ctx := context.Background()
		if _, err := db.Exec(ctx, `CREATE TABLE fast_t (id TEXT PRIMARY KEY, s TEXT, i BIGINT, b BOOLEAN, f DOUBLE PRECISION, bl BYTEA, at TIMESTAMP, n TEXT)`); err != nil {
			// SQLite spells the blob type differently; the rest is shared.
			if _, err := db.Exec(ctx, `CREATE TABLE fast_t (id TEXT PRIMARY KEY, s TEXT, i BIGINT, b BOOLEAN, f DOUBLE PRECISION, bl BLOB, at DATETIME, n TEXT)`); err != nil {
				t.Fatal(err)
			}
		}
		at := time.Date(2026, 12, 5, 18, 0, 0, 123456000, time.UTC)
		type row struct {
			s     string
			i     int64
			n     int
			b     bool
			f     float64
			bl    []byte
			at    time.Time
			null  sql.NullString
			nullB []byte
			anyS  any
		}
		scanAll := func(scan func(dest ...any) error) (row, error) {
			var r row
			err := scan(&r.s, &r.i, &r.n, &r.b, &r.f, &r.bl, &r.at, &r.null, &r.nullB, &r.anyS)
			return r, err
		}
		const sel = `SELECT s, i, i, b, f, bl, at, n, bl2, s FROM (SELECT s, i, b, f, bl, at, n, NULL AS bl2 FROM fast_t WHERE id = ?) x`
		for _, tc := range []struct {
			id, s string
			i     int64
			b     bool
			bl    []byte
		}{
			{"a", "hello", 42, true, []byte{0, 1, 2}},
			{"b", "", -7, false, []byte{}},
			{"c", "ünï", 1 << 40, true, bytes.Repeat([]byte{9}, 300)},
		} {
			err := db.WriteTx(ctx, func(tx *persistence.Tx) error {
				res, err := tx.Exec(ctx, `INSERT INTO fast_t (id, s, i, b, f, bl, at, n) VALUES (?, ?, ?, ?, ?, ?, ?, NULL)`,
					tc.id, tc.s, tc.i, tc.b, 1.5, tc.bl, at)
				if err != nil {
					return err
				}
				if n, err := res.RowsAffected(); err != nil || n != 1 {
					return fmt.Errorf("rows affected %d, %v", n, err)
				}
				want, err := scanAll(tx.QueryRow(ctx, sel, tc.id).Scan)
				if err != nil {
					return fmt.Errorf("QueryRow: %w", err)
				}
				got, err := scanAll(tx.QueryRowFast(ctx, sel, tc.id).Scan)
				if err != nil {
					return fmt.Errorf("QueryRowFast: %w", err)
				}
				if fmt.Sprintf("%#v", got) != fmt.Sprintf("%#v", want) {
					return fmt.Errorf("QueryRowFast gave\n%#v\nQueryRow gave\n%#v", got, want)
				}
				if got.s != tc.s || got.i != tc.i || got.n != int(tc.i) || got.b != tc.b || !bytes.Equal(got.bl, tc.bl) ||
					!got.at.Equal(at) || got.null.Valid || got.nullB != nil || got.anyS == nil {
					return fmt.Errorf("row %q read back as %#v", tc.id, got)
				}
				return nil
			})
			if err != nil {
				t.Fatalf("%s: %v", tc.id, err)
			}
		}

		err := db.WriteTx(ctx, func(tx *persistence.Tx) error {
			// A returned row is a copy: running the statement again does
			// not change what an earlier Scan gave.
			var first, second []byte
			if err := tx.QueryRowFast(ctx, `SELECT bl FROM fast_t WHERE id = ?`, "c").Scan(&first); err != nil {
				return err
			}
			if err := tx.QueryRowFast(ctx, `SELECT bl FROM fast_t WHERE id = ?`, "a").Scan(&second); err != nil {
				return err
			}
			if !bytes.Equal(first, bytes.Repeat([]byte{9}, 300)) {
				return fmt.Errorf("first result changed to %v", first)
			}
			// RETURNING, as the hot paths use it.
			var id string
			if err := tx.QueryRowFast(ctx, `UPDATE fast_t SET i = i + 1 WHERE id = ? RETURNING id`, "a").Scan(&id); err != nil || id != "a" {
				return fmt.Errorf("update returning: %q %v", id, err)
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}

		for _, tc := range []struct {
			name string
			q    string
			args []any
			dest []any
			want func(error) bool
		}{
			{"no row", `SELECT s FROM fast_t WHERE id = ?`, []any{"zz"}, []any{new(string)},
				func(err error) bool { return errors.Is(err, sql.ErrNoRows) }},
			{"NULL into string", `SELECT n FROM fast_t WHERE id = ?`, []any{"a"}, []any{new(string)},
				func(err error) bool { return err != nil && strings.Contains(err.Error(), "NULL") }},
			{"too few destinations", `SELECT s, i FROM fast_t WHERE id = ?`, []any{"a"}, []any{new(string)},
				func(err error) bool { return err != nil }},
			{"unique violation", `INSERT INTO fast_t (id) VALUES (?) RETURNING id`, []any{"a"}, []any{new(string)},
				func(err error) bool { var u *persistence.UniqueError; return errors.As(err, &u) }},
			{"bad SQL", `SELEC nothing`, nil, []any{new(string)},
				func(err error) bool { return err != nil }},
		} {
			tx, err := db.Begin(ctx)
			if err != nil {
				t.Fatal(err)
			}
			if err := tx.QueryRowFast(ctx, tc.q, tc.args...).Scan(tc.dest...); !tc.want(err) {
				t.Errorf("%s: unexpected error %v", tc.name, err)
			}
			if err := tx.Rollback(); err != nil {
				t.Fatal(err)
			}
		}

		// A statement on an ended context fails with the context's error.
		tx, err := db.Begin(ctx)
		if err != nil {
			t.Fatal(err)
		}
		done, cancel := context.WithCancel(ctx)
		cancel()
		var s string
		if err := tx.QueryRowFast(done, `SELECT s FROM fast_t WHERE id = ?`, "a").Scan(&s); !errors.Is(err, context.Canceled) {
			t.Errorf("query on an ended context: %v, want context.Canceled", err)
		}
		if err := tx.Rollback(); err != nil {
			t.Fatal(err)
		}
	})
}

// Past the bound of the statement cache, statements still run (prepared
// for one use), and the cached ones keep working.
func TestDirectStatementCacheBound(t *testing.T) {
	tg := persistencetest.SQLite(t)
	db := tg.DB
	db.DirectTxStatements(2)
	ctx := context.Background()
	if _, err := db.Exec(ctx, `CREATE TABLE bound_t (k INTEGER PRIMARY KEY, v INTEGER)`); err != nil {
		t.Fatal(err)
	}
	for round := range 3 {
		err := db.WriteTx(ctx, func(tx *persistence.Tx) error {
			for i := range 5 {
				k := round*5 + i
				// Five different statement texts per round.
				q := fmt.Sprintf(`INSERT INTO bound_t (k, v) VALUES (?, %d) RETURNING v`, i)
				var v int
				if err := tx.QueryRowFast(ctx, q, k).Scan(&v); err != nil || v != i {
					return fmt.Errorf("round %d statement %d: %d %v", round, i, v, err)
				}
				if _, err := tx.Exec(ctx, fmt.Sprintf(`UPDATE bound_t SET v = v + %d WHERE k = ?`, 10), k); err != nil {
					return err
				}
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	var n, sum int
	if err := db.QueryRow(ctx, `SELECT count(*), sum(v) FROM bound_t`).Scan(&n, &sum); err != nil || n != 15 || sum != 3*(0+1+2+3+4)+15*10 {
		t.Fatalf("%d rows, sum %d (%v)", n, sum, err)
	}
}
