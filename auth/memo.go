package auth

import (
	"hash/maphash"
	"strings"
	"sync"
	"time"
)

// A client sends the same access token with every request for its 15
// minutes of life, so verifying it each time (an HMAC and a JSON decode,
// ~1.5 KB of garbage) is repeated work. memo remembers a bounded number of
// tokens that verified, keyed by the whole token string: the same string
// verifies the same way every time, except for the time claims, which a
// hit checks again. Revocation is not the memo's business: Authenticate
// compares the token version with the user's on every request.
type memo struct {
	seed   maphash.Seed
	shards [memoShards]memoShard
}

const (
	memoShards   = 16
	memoShardMax = 256 // 4,096 tokens in all, ~3 MB at most
)

type memoShard struct {
	mu sync.RWMutex
	m  map[string]*Claims
}

func newMemo() *memo {
	m := &memo{seed: maphash.MakeSeed()}
	for i := range m.shards {
		m.shards[i].m = make(map[string]*Claims)
	}
	return m
}

func (m *memo) shard(token string) *memoShard {
	return &m.shards[maphash.String(m.seed, token)%memoShards]
}

// get returns the claims of token if it verified before and its time
// claims still hold at now: nbf and iat reached, exp not yet (the
// library's checks, less the boundary instants, which go the full way).
func (m *memo) get(token string, now time.Time) *Claims {
	s := m.shard(token)
	s.mu.RLock()
	c := s.m[token]
	s.mu.RUnlock()
	if c == nil || !timely(c, now) {
		return nil
	}
	return c
}

func timely(c *Claims, now time.Time) bool {
	if c.ExpiresAt == nil || !now.Before(c.ExpiresAt.Time) {
		return false
	}
	if c.NotBefore != nil && now.Before(c.NotBefore.Time) {
		return false
	}
	return c.IssuedAt == nil || !now.Before(c.IssuedAt.Time)
}

// put remembers that token verified to c. A full shard first drops its
// expired entries, then a quarter of the rest (map order is random).
func (m *memo) put(token string, c *Claims, now time.Time) {
	s := m.shard(token)
	s.mu.Lock()
	defer s.mu.Unlock()
	if len(s.m) >= memoShardMax {
		for k, v := range s.m {
			if !timely(v, now) {
				delete(s.m, k)
			}
		}
		for k := range s.m {
			if len(s.m) < memoShardMax*3/4 {
				break
			}
			delete(s.m, k)
		}
	}
	// The caller's string may view a request buffer that is reused.
	s.m[strings.Clone(token)] = c
}
