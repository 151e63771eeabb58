package users

import (
	"context"
	"sync"
	"sync/atomic"
	"time"

	"github.com/gamend-go/gamend/persistence"
)

// Cache is a node-local read-through cache of users rows with a short
// time-to-live, shared by token checks (every authenticated request and
// socket connect loads the user) and user actor activation (which follows
// a socket connect within milliseconds).
//
// Consistency: writers on this node call Invalidate after a committed
// change (token version, credentials, profile); from then on this node
// never serves the row from before the change: a fill that read the row
// before Invalidate and stores it after is discarded (see Get). Other
// nodes see a change within the TTL. Rows handed out are shared: callers
// must not mutate them.
type Cache struct {
	ttl     time.Duration
	max     int
	mu      sync.Mutex
	m       map[string]cached
	fills   map[string]*fill // keys with a database read in flight
	inserts int
	loaded  atomic.Pointer[func(id string)]
}

type cached struct {
	row *Row
	at  time.Time
}

// fill tracks the database reads in flight for one key: Invalidate bumps
// gen, and a read stores its row only if gen is what it was when the
// read began.
type fill struct {
	n   int
	gen uint64
}

// NewCache returns a cache keeping rows for ttl, at most max of them.
func NewCache(ttl time.Duration, max int) *Cache {
	return &Cache{ttl: ttl, max: max, m: make(map[string]cached), fills: make(map[string]*fill)}
}

// Get returns the user with id, from the cache when fresh, else from q.
// A row read from q is stored only when no Invalidate of id ran while it
// was being read (it may predate that change); it is returned either
// way, as it was current when the read began. A nil *Cache reads through
// to q.
func (c *Cache) Get(ctx context.Context, q persistence.Querier, id string) (*Row, error) {
	if c == nil {
		return Get(ctx, q, id)
	}
	now := time.Now()
	c.mu.Lock()
	if e, ok := c.m[id]; ok && now.Sub(e.at) < c.ttl {
		c.mu.Unlock()
		return e.row, nil
	}
	f := c.fills[id]
	if f == nil {
		f = &fill{}
		c.fills[id] = f
	}
	f.n++
	gen := f.gen
	c.mu.Unlock()

	r, err := Get(ctx, q, id)
	if hook := c.loaded.Load(); hook != nil {
		(*hook)(id)
	}

	c.mu.Lock()
	defer c.mu.Unlock()
	if f.n--; f.n == 0 {
		delete(c.fills, id)
	}
	if err != nil {
		return nil, err
	}
	if f.gen != gen {
		return r, nil // invalidated meanwhile: r may be from before the change
	}
	c.inserts++
	// Expired rows are dropped every 1024 inserts (and when full), so the
	// cache holds about a TTL's worth of users, not everyone ever seen.
	if len(c.m) >= c.max || c.inserts%1024 == 0 {
		c.evictLocked(now)
	}
	c.m[id] = cached{row: r, at: now}
	return r, nil
}

// Invalidate drops id (call after a committed change of the user) and
// makes every read of id in flight discard its row.
func (c *Cache) Invalidate(id string) {
	if c == nil {
		return
	}
	c.mu.Lock()
	delete(c.m, id)
	if f := c.fills[id]; f != nil {
		f.gen++
	}
	c.mu.Unlock()
}

// SetLoadHook installs h, called by Get after each database read and
// before the row is stored or discarded; nil removes it. It exists for
// tests, which pause a read there to interleave an Invalidate.
func (c *Cache) SetLoadHook(h func(id string)) {
	if h == nil {
		c.loaded.Store(nil)
		return
	}
	c.loaded.Store(&h)
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
