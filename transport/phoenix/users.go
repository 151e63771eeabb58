package phoenix

import (
	"hash/maphash"
	"slices"
	"sync"
	"time"

	"github.com/gamend-go/gamend/transport/phoenix/internal/ratelimit"
)

// userTable tracks, per user on this node, the open sockets (for the cap,
// DisconnectUser and Shutdown) and the shared push budget. Sharded to keep
// connects and pushes of different users off one lock.
type userTable struct {
	seed       maphash.Seed
	shards     [64]userShard
	maxSockets int
	limit      int
	window     time.Duration
}

type userShard struct {
	mu sync.Mutex
	m  map[string]*userEntry
}

type userEntry struct {
	sockets []*Socket
	budget  ratelimit.Window
}

func newUserTable(maxSockets, limit int, window time.Duration) *userTable {
	t := &userTable{seed: maphash.MakeSeed(), maxSockets: maxSockets, limit: limit, window: window}
	for i := range t.shards {
		t.shards[i].m = map[string]*userEntry{}
	}
	return t
}

func (t *userTable) shard(userID string) *userShard {
	return &t.shards[maphash.String(t.seed, userID)%uint64(len(t.shards))]
}

// full reports whether userID is at the socket cap.
func (t *userTable) full(userID string) bool {
	if t.maxSockets <= 0 {
		return false
	}
	sh := t.shard(userID)
	sh.mu.Lock()
	defer sh.mu.Unlock()
	e := sh.m[userID]
	return e != nil && len(e.sockets) >= t.maxSockets
}

// add registers s; false when the cap is reached.
func (t *userTable) add(s *Socket) bool {
	sh := t.shard(s.userID)
	sh.mu.Lock()
	defer sh.mu.Unlock()
	e := sh.m[s.userID]
	if e == nil {
		e = &userEntry{}
		sh.m[s.userID] = e
	}
	if t.maxSockets > 0 && len(e.sockets) >= t.maxSockets {
		return false
	}
	e.sockets = append(e.sockets, s)
	return true
}

func (t *userTable) remove(s *Socket, now time.Time) {
	sh := t.shard(s.userID)
	sh.mu.Lock()
	defer sh.mu.Unlock()
	e := sh.m[s.userID]
	if e == nil {
		return
	}
	if i := slices.Index(e.sockets, s); i >= 0 {
		e.sockets = slices.Delete(e.sockets, i, i+1)
	}
	// Keep a spent budget until its window ends, so reconnecting does not
	// reset it; sweep drops it later.
	if len(e.sockets) == 0 && e.budget.Idle(now, t.window) {
		delete(sh.m, s.userID)
	}
}

// allowPush charges one client push or join to userID's budget.
func (t *userTable) allowPush(userID string, now time.Time) bool {
	sh := t.shard(userID)
	sh.mu.Lock()
	defer sh.mu.Unlock()
	e := sh.m[userID]
	if e == nil { // socket raced with its own removal
		return false
	}
	return e.budget.Allow(now, t.limit, t.window)
}

// sweep drops users without sockets whose budget window has ended.
func (t *userTable) sweep(now time.Time) {
	for i := range t.shards {
		sh := &t.shards[i]
		sh.mu.Lock()
		for id, e := range sh.m {
			if len(e.sockets) == 0 && e.budget.Idle(now, t.window) {
				delete(sh.m, id)
			}
		}
		sh.mu.Unlock()
	}
}

// sockets returns userID's open sockets, or every socket when userID is "".
func (t *userTable) sockets(userID string) []*Socket {
	var out []*Socket
	if userID != "" {
		sh := t.shard(userID)
		sh.mu.Lock()
		if e := sh.m[userID]; e != nil {
			out = append(out, e.sockets...)
		}
		sh.mu.Unlock()
		return out
	}
	for i := range t.shards {
		sh := &t.shards[i]
		sh.mu.Lock()
		for _, e := range sh.m {
			out = append(out, e.sockets...)
		}
		sh.mu.Unlock()
	}
	return out
}
