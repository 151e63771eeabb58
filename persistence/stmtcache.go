package persistence

import (
	"context"
	"database/sql"
	"sync"
	"sync/atomic"
)

// stmtCache keeps prepared statements per query text for one pool, so hot
// queries are parsed once per connection instead of on every call (SQLite
// spends more time preparing a small query than running it). database/sql
// re-prepares a cached *sql.Stmt lazily on each pool connection, and
// Tx.StmtContext reuses it on the transaction's connection.
//
// The cache is bounded: queries built with a variable shape (IN lists,
// optional filters) stop being cached once max entries exist.
type stmtCache struct {
	pool    *sql.DB
	max     int
	mu      sync.RWMutex
	stmts   map[string]*sql.Stmt
	pending map[string]bool // async preparations in flight
	size    atomic.Int32
}

func newStmtCache(pool *sql.DB, max int) *stmtCache {
	return &stmtCache{pool: pool, max: max, stmts: map[string]*sql.Stmt{}, pending: map[string]bool{}}
}

// lookup returns the prepared statement for q if there is one, without
// preparing it.
func (c *stmtCache) lookup(q string) *sql.Stmt {
	if c == nil {
		return nil
	}
	c.mu.RLock()
	defer c.mu.RUnlock()
	return c.stmts[q]
}

// prepareLater prepares q on the pool in the background. For the writer
// pool of SQLite (one connection), the caller is inside a transaction
// holding that connection: the preparation waits until it is released.
func (c *stmtCache) prepareLater(q string) {
	if c == nil {
		return
	}
	c.mu.Lock()
	if c.stmts[q] != nil || c.pending[q] || int(c.size.Load())+len(c.pending) >= c.max {
		c.mu.Unlock()
		return
	}
	c.pending[q] = true
	c.mu.Unlock()
	go func() {
		st, err := c.pool.PrepareContext(context.Background(), q)
		c.mu.Lock()
		defer c.mu.Unlock()
		delete(c.pending, q)
		if err == nil {
			c.stmts[q] = st
			c.size.Add(1)
		}
	}()
}

// get returns the prepared statement for q, preparing it on first use; nil
// when the cache is full or preparing failed (the caller runs q directly).
func (c *stmtCache) get(ctx context.Context, q string) *sql.Stmt {
	if c == nil {
		return nil
	}
	c.mu.RLock()
	st := c.stmts[q]
	c.mu.RUnlock()
	if st != nil || int(c.size.Load()) >= c.max {
		return st
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if st = c.stmts[q]; st != nil {
		return st
	}
	st, err := c.pool.PrepareContext(ctx, q)
	if err != nil {
		return nil
	}
	c.stmts[q] = st
	c.size.Add(1)
	return st
}

func (c *stmtCache) close() {
	if c == nil {
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	for _, st := range c.stmts {
		st.Close()
	}
	c.stmts = map[string]*sql.Stmt{}
}
