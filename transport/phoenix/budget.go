package phoenix

import (
	"context"
	"fmt"
	"strconv"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/gamend-go/gamend/transport/phoenix/internal/ratelimit"
)

// PushBudget is a per-user budget of client pushes and joins shared by
// several nodes (API.md §7: RATE_LIMIT_WS_* counters are per node by default and
// shared with RATE_LIMIT_BACKEND=redis). Set it as Config.PushBudget;
// without one, each node counts on its own. When AllowPush fails (the
// store is unreachable), the endpoint falls back to its per-node count
// for that push, so an outage neither blocks every push nor lifts the
// limit.
type PushBudget interface {
	// AllowPush charges one push or join of userID at now and reports
	// whether it is within the budget.
	AllowPush(ctx context.Context, userID string, now time.Time) (bool, error)
}

// RedisBudget is a PushBudget in Redis: fixed windows aligned to the
// Unix epoch, as the per-node count, one counter key per user and window
// ("<prefix>ws:<user id>:<window number>") that expires with its window.
// One round trip (a Lua script: INCR, and PEXPIRE on the first push of a
// window) per push.
type RedisBudget struct {
	client redis.Scripter
	prefix string
	limit  int
	window time.Duration
}

// NewRedisBudget returns a budget of limit pushes per window per user on
// client, keys namespaced by prefix (RATE_LIMIT_REDIS_PREFIX). A
// non-positive limit or window allows everything.
func NewRedisBudget(client redis.Scripter, prefix string, limit int, window time.Duration) *RedisBudget {
	return &RedisBudget{client: client, prefix: prefix, limit: limit, window: window}
}

var incrWindow = redis.NewScript(`
local n = redis.call('INCR', KEYS[1])
if n == 1 then redis.call('PEXPIRE', KEYS[1], ARGV[1]) end
return n`)

// AllowPush implements PushBudget.
func (b *RedisBudget) AllowPush(ctx context.Context, userID string, now time.Time) (bool, error) {
	if b.limit <= 0 || b.window <= 0 {
		return true, nil
	}
	bucket := now.UnixNano() / int64(b.window)
	key := b.prefix + "ws:" + userID + ":" + strconv.FormatInt(bucket, 10)
	// The key lives until its window ends, plus a second of clock skew
	// between nodes.
	ttl := ratelimit.ResetIn(now, b.window) + time.Second
	n, err := incrWindow.Run(ctx, b.client, []string{key}, ttl.Milliseconds()).Int64()
	if err != nil {
		return false, fmt.Errorf("phoenix: redis push budget: %w", err)
	}
	return n <= int64(b.limit), nil
}
