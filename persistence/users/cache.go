package users

import (
	"context"
	"sync"
	"time"

	"github.com/gamend-go/gamend/persistence"
)

// Cache is a node-local read-through cache of users rows with a short
// time-to-live, shared by token checks (every authenticated request and
// socket connect loads the user) and user actor activation (which follows
// a socket connect within milliseconds).
//
// Consistency: writers on this node call Invalidate after a committed
// change (token version, credentials, profile); other nodes see a change
// within the TTL. Rows handed out are shared: callers must not mutate them.
type Cache struct {
	ttl     time.Duration
	max     int
	mu      sync.Mutex
	m       map[string]cached
	inserts int
}

type cached struct {
	row *Row
	at  time.Time
}

// NewCache returns a cache keeping rows for ttl, at most max of them.
func NewCache(ttl time.Duration, max int) *Cache {
	return &Cache{ttl: ttl, max: max, m: make(map[string]cached)}
}

// Get returns the user with id, from the cache when fresh, else from q.
// A nil *Cache reads through to q.
func (c *Cache) Get(ctx context.Context, q persistence.Querier, id string) (*Row, error) {
	if c == nil {
		return Get(ctx, q, id)
	}
	now := time.Now()
	c.mu.Lock()
	e, ok := c.m[id]
	c.mu.Unlock()
	if ok && now.Sub(e.at) < c.ttl {
		return e.row, nil
	}
	r, err := Get(ctx, q, id)
	if err != nil {
		return nil, err
	}
	c.mu.Lock()
	c.inserts++
	// Expired rows are dropped every 1024 inserts (and when full), so the
	// cache holds about a TTL's worth of users, not everyone ever seen.
	if len(c.m) >= c.max || c.inserts%1024 == 0 {
		c.evictLocked(now)
	}
	c.m[id] = cached{row: r, at: now}
	c.mu.Unlock()
	return r, nil
}

// Invalidate drops id (call after a committed change of the user).
func (c *Cache) Invalidate(id string) {
	if c == nil {
		return
	}
	c.mu.Lock()
	delete(c.m, id)
	c.mu.Unlock()
}

// evictLocked drops expired rows, and everything if none had expired.
func (c *Cache) evictLocked(now time.Time) {
	for k, e := range c.m {
		if now.Sub(e.at) >= c.ttl {
			delete(c.m, k)
		}
	}
	if len(c.m) >= c.max {
		clear(c.m)
	}
}
