package phoenix_test

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/gamend-go/gamend/transport/phoenix"
)

// redisClient returns a client of the Redis on 127.0.0.1:6379 and a
// fresh key prefix, or skips when none runs.
func redisClient(t *testing.T) (*redis.Client, string) {
	t.Helper()
	c, err := net.DialTimeout("tcp", "127.0.0.1:6379", time.Second)
	if err != nil {
		t.Skip("redis not reachable on 127.0.0.1:6379: shared push budget test skipped")
	}
	c.Close()
	rc := redis.NewClient(&redis.Options{Addr: "127.0.0.1:6379"})
	t.Cleanup(func() { rc.Close() })
	b := make([]byte, 6)
	_, _ = rand.Read(b)
	return rc, "test-" + hex.EncodeToString(b) + ":"
}

// TestPushBudgetSharedInRedis: two endpoints (two nodes) with one
// RedisBudget count a user's pushes together; another user's budget is
// apart; the counter key expires with its window.
func TestPushBudgetSharedInRedis(t *testing.T) {
	rc, prefix := redisClient(t)
	const limit = 3
	cfg := phoenix.Config{PushLimit: limit, PushWindow: time.Hour, PushBudget: phoenix.NewRedisBudget(rc, prefix, limit, time.Hour)}
	n1, n2 := startServer(t, cfg), startServer(t, cfg)
	a, b, other := n1.dial(t, "u1"), n2.dial(t, "u1"), n2.dial(t, "u2")
	for _, c := range []*client{a, b, other} {
		c.send(`["1","1","room:a","phx_join",{}]`)
		c.recv()
	}
	a.send(`["1","2","room:a","echo",{}]`)
	a.expect(`["1","2","room:a","phx_reply",{"status":"ok","response":{}}]`)
	b.send(`["1","2","room:a","echo",{}]`)
	b.expect(`["1","2","room:a","phx_reply",{"status":"ok","response":{}}]`)
	a.send(`["1","3","room:a","echo",{}]`)
	a.expect(`["1","3","room:a","phx_reply",{"status":"ok","response":{}}]`)
	// The fourth push of u1 is over the shared budget, on the node that
	// has seen only one push of it.
	b.send(`["1","3","room:a","echo",{"_request_id":"r4"}]`)
	b.expect(`["1","3","room:a","phx_reply",{"status":"error","response":{"error":"rate_limited","_request_id":"r4"}}]`)
	b.expect(`["1","1","room:a","phx_close",{}]`)
	other.send(`["1","2","room:a","echo",{"x":1}]`)
	other.expect(`["1","2","room:a","phx_reply",{"status":"ok","response":{"x":1}}]`)
	if n1.ep.Stats().RateLimited != 0 || n2.ep.Stats().RateLimited != 1 {
		t.Fatalf("rate limited: node 1 %d, node 2 %d", n1.ep.Stats().RateLimited, n2.ep.Stats().RateLimited)
	}
	keys, err := rc.Keys(context.Background(), prefix+"ws:u1:*").Result()
	if err != nil || len(keys) != 1 {
		t.Fatalf("counter keys %v %v", keys, err)
	}
	if ttl := rc.PTTL(context.Background(), keys[0]).Val(); ttl <= 0 || ttl > time.Hour+time.Second {
		t.Fatalf("counter TTL %v, want within the window", ttl)
	}
}

// TestPushBudgetRedisDown: when the shared budget fails, pushes are
// counted per node instead (neither all refused nor unlimited), and the
// failure is logged.
func TestPushBudgetRedisDown(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close() // nothing listens there now
	rc := redis.NewClient(&redis.Options{Addr: addr, MaxRetries: -1, DialTimeout: 200 * time.Millisecond})
	t.Cleanup(func() { rc.Close() })
	s := startServer(t, phoenix.Config{PushLimit: 2, PushWindow: time.Hour, PushBudget: phoenix.NewRedisBudget(rc, "x:", 2, time.Hour)})
	c := s.dial(t, "u1")
	c.send(`["1","1","room:a","phx_join",{}]`)
	c.recv()
	c.send(`["1","2","room:a","echo",{}]`)
	c.expect(`["1","2","room:a","phx_reply",{"status":"ok","response":{}}]`)
	c.send(`["1","3","room:a","echo",{}]`)
	c.expect(`["1","3","room:a","phx_reply",{"status":"ok","response":{}}]`)
	c.send(`["1","4","room:a","echo",{}]`)
	c.expect(`["1","4","room:a","phx_reply",{"status":"error","response":{"error":"rate_limited"}}]`)
	if !strings.Contains(s.logs.String(), "shared push budget failed; counting on this node") {
		t.Fatalf("failure not logged:\n%s", s.logs)
	}
}
