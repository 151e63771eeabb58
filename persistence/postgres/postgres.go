// Package postgres opens a PostgreSQL database through pgx/v5 (its
// database/sql driver, pooled) for multi-node deployments.
package postgres

import (
	"context"
	"database/sql"
	"errors"
	"fmt"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/stdlib"

	"github.com/gamend-go/gamend/persistence"
)

// Options tunes the PostgreSQL pool (API.md §11 POOL_SIZE).
type Options struct {
	PoolSize       int // default 10
	SkipMigrations bool
}

// Open connects to the database at url (postgres://...), checks it answers,
// and runs the embedded migrations unless opts.SkipMigrations.
func Open(ctx context.Context, url string, opts Options) (*persistence.DB, error) {
	if opts.PoolSize <= 0 {
		opts.PoolSize = 10
	}
	cfg, err := pgx.ParseConfig(url)
	if err != nil {
		return nil, fmt.Errorf("postgres: %w", err)
	}
	pool := stdlib.OpenDB(*cfg)
	pool.SetMaxOpenConns(opts.PoolSize)
	pool.SetMaxIdleConns(opts.PoolSize)
	if err := pool.PingContext(ctx); err != nil {
		pool.Close()
		return nil, fmt.Errorf("postgres: connect: %w", err)
	}
	db := persistence.New(Dialect{}, pool, pool)
	if !opts.SkipMigrations {
		if _, err := db.Migrate(ctx); err != nil {
			db.Close()
			return nil, err
		}
	}
	return db, nil
}

// OpenSQL is Open for an already configured *sql.DB (tests).
func OpenSQL(pool *sql.DB) *persistence.DB { return persistence.New(Dialect{}, pool, pool) }

// Dialect is the PostgreSQL SQL dialect.
type Dialect struct{}

// Name implements persistence.Dialect.
func (Dialect) Name() string { return "postgres" }

// Placeholder implements persistence.Dialect.
func (Dialect) Placeholder(n int) string { return persistence.DollarPlaceholder(n) }

// JSONField implements persistence.Dialect.
func (Dialect) JSONField(col string) string { return "(" + col + " ->> ?)" }

func pgCode(err error) (*pgconn.PgError, bool) {
	var pe *pgconn.PgError
	if errors.As(err, &pe) {
		return pe, true
	}
	return nil, false
}

// UniqueViolation implements persistence.Dialect; the detail is the
// constraint (index) name.
func (Dialect) UniqueViolation(err error) (string, bool) {
	if pe, ok := pgCode(err); ok && pe.Code == "23505" {
		return pe.ConstraintName, true
	}
	return "", false
}

// ForeignKeyViolation implements persistence.Dialect.
func (Dialect) ForeignKeyViolation(err error) bool {
	pe, ok := pgCode(err)
	return ok && pe.Code == "23503"
}

// Retryable implements persistence.Dialect.
func (Dialect) Retryable(err error) bool {
	pe, ok := pgCode(err)
	return ok && (pe.Code == "40001" || pe.Code == "40P01")
}
