package phoenix_test

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/gamend-go/gamend/transport/phoenix"
	"github.com/gamend-go/gamend/transport/phoenix/internal/frame"
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
// RedisBudget count a user's pushes and joins together; another user's
// budget is apart; the counter key expires with its window.
func TestPushBudgetSharedInRedis(t *testing.T) {
	rc, prefix := redisClient(t)
	const limit = 5 // two joins and three pushes of u1
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
	// has seen only a join and one push of it.
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

// TestPushBudgetRedisDown: when the shared budget fails, pushes and
// joins are counted per node instead (neither all refused nor unlimited),
// and the failure is logged.
func TestPushBudgetRedisDown(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close() // nothing listens there now
	rc := redis.NewClient(&redis.Options{Addr: addr, MaxRetries: -1, DialTimeout: 200 * time.Millisecond})
	t.Cleanup(func() { rc.Close() })
	s := startServer(t, phoenix.Config{PushLimit: 3, PushWindow: time.Hour, PushBudget: phoenix.NewRedisBudget(rc, "x:", 3, time.Hour)})
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

// TestJoinBudget (regression): a phx_join is charged to the user's push
// budget like a push, on every topic and whatever the answer (accepted,
// refused by the channel, unmatched), so joins cannot replay a channel's
// join burst for free. Over budget, the join gets the rate_limited reply,
// the channel's Join is never called (no burst is pushed) and an
// existing channel on the topic is left as it was.
func TestJoinBudget(t *testing.T) {
	s := startServer(t, phoenix.Config{PushLimit: 5, PushWindow: time.Hour})
	a, b, other := s.dial(t, "u1"), s.dial(t, "u1"), s.dial(t, "u2")
	a.send(`["1","1","room:a","phx_join",{}]`)
	a.expect(`["1","1","room:a","phx_reply",{"status":"ok","response":{"joined":"room:a","user":"u1"}}]`)
	s.ch.nextJoin(t)
	a.send(`["2","2","nope:1","phx_join",{}]`)
	a.expect(`["2","2","nope:1","phx_reply",{"status":"error","response":{"reason":"unmatched topic"}}]`)
	a.send(`["3","3","room:reject","phx_join",{}]`)
	a.expect(`["3","3","room:reject","phx_reply",{"status":"error","response":{"reason":"not_a_member"}}]`)
	b.send(`["1","1","room:burst","phx_join",{"n":3,"size":100}]`)
	b.expect(`["1","1","room:burst","phx_reply",{"status":"ok","response":{"joined":"room:burst","user":"u1"}}]`)
	b.expectBurst("room:burst", 3, 100)
	s.ch.nextJoin(t)
	a.send(`["1","4","room:a","echo",{}]`) // the 5th charge: a push
	a.expect(`["1","4","room:a","phx_reply",{"status":"ok","response":{}}]`)

	// The 6th charge is a join on the other socket: refused before Join,
	// so the burst it asks for never comes; the heartbeat's reply is the
	// next frame.
	b.send(`["5","5","room:burst2","phx_join",{"n":50,"size":10000}]`)
	b.expect(`["5","5","room:burst2","phx_reply",{"status":"error","response":{"reason":"rate_limited","error":"rate_limited"}}]`)
	b.send(`[null,"6","phoenix","heartbeat",{}]`)
	b.expect(`[null,"6","phoenix","phx_reply",{"status":"ok","response":{}}]`)
	// A refused rejoin of a joined topic leaves the joined channel alone.
	b.send(`["7","7","room:burst","phx_join",{"n":3,"size":100}]`)
	b.expect(`["7","7","room:burst","phx_reply",{"status":"error","response":{"reason":"rate_limited","error":"rate_limited"}}]`)
	b.send(`[null,"8","phoenix","heartbeat",{}]`)
	b.expect(`[null,"8","phoenix","phx_reply",{"status":"ok","response":{}}]`)
	select {
	case c := <-s.ch.joins:
		t.Fatalf("Join called over budget for %s", c.Topic())
	case l := <-s.ch.leaves:
		t.Fatalf("over-budget join ended %s (%v)", l.conn.Topic(), l.reason)
	default:
	}
	if st := s.ep.Stats(); st.RateLimited != 2 || st.ChannelsJoined != 2 {
		t.Fatalf("stats %+v", st)
	}
	// u2 has a budget of its own.
	other.send(`["1","1","room:a","phx_join",{}]`)
	other.expect(`["1","1","room:a","phx_reply",{"status":"ok","response":{"joined":"room:a","user":"u2"}}]`)
}

// TestJoinFloodBounded (regression): a client that joins a topic with a
// large join burst over and over receives at most the budget's worth of
// bursts; every join past the budget costs one short reply.
func TestJoinFloodBounded(t *testing.T) {
	const limit, joins, n, size = 3, 100, 20, 5000
	s := startServer(t, phoenix.Config{PushLimit: limit, PushWindow: time.Hour})
	c := s.dial(t, "u1")
	for i := range joins {
		c.send(fmt.Sprintf(`["%d","%d","room:burst","phx_join",{"n":%d,"size":%d}]`, i, i, n, size))
	}
	c.send(`[null,"end","phoenix","heartbeat",{}]`)
	received, replies := 0, 0
	for {
		raw := c.recvRaw()
		received += len(raw)
		f, err := frame.Decode(raw)
		if err != nil {
			t.Fatal(err)
		}
		if f.Topic == "phoenix" {
			break
		}
		if f.Event == "phx_reply" {
			replies++
		}
	}
	if replies != joins {
		t.Fatalf("%d join replies, want %d", replies, joins)
	}
	// limit bursts of n frames of about size bytes, and joins short replies.
	if bound := limit*n*(size+64) + joins*200; received > bound {
		t.Fatalf("received %d bytes over %d joins, want at most %d", received, joins, bound)
	}
	if got := s.ep.Stats().RateLimited; got != joins-limit {
		t.Fatalf("RateLimited = %d, want %d", got, joins-limit)
	}
}
