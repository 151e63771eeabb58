package registry

import (
	"context"
	"crypto/rand"
	"encoding/binary"
	"hash/fnv"
	"slices"
	"sort"
	"time"

	"github.com/anthdm/hollywood/actor"
	"github.com/anthdm/hollywood/cluster"

	"github.com/gamend-go/gamend/actors/registry/internal/wire"
)

// Member is a node of the cluster.
type Member struct {
	ID      string
	Address string
	Kinds   []string
}

func (m Member) hosts(kind string) bool { return slices.Contains(m.Kinds, kind) }

// Discovery announces this member and lists the others' addresses; the
// PostgreSQL implementation keeps a heartbeat row per node.
type Discovery interface {
	Announce(ctx context.Context, self Member) error
	Peers(ctx context.Context) ([]string, error)
	Leave(ctx context.Context, self Member) error
}

// Members returns the live members as this node sees them, sorted by id.
func (r *Registry) Members() []Member {
	if p := r.members.Load(); p != nil {
		return *p
	}
	return nil
}

func (r *Registry) setMembers(ms []Member) {
	sort.Slice(ms, func(i, j int) bool { return ms[i].ID < ms[j].ID })
	r.members.Store(&ms)
}

// owner picks the member hosting kind/id by rendezvous (highest random
// weight) hashing: every node with the same member view picks the same one,
// and a membership change moves only the keys of the members that changed.
func (r *Registry) owner(kind, id string) (Member, bool) {
	ms := r.Members()
	var best Member
	var bestScore uint64
	found := false
	for _, m := range ms {
		if !m.hosts(kind) {
			continue
		}
		s := score(m.ID, kind, id)
		if !found || s > bestScore {
			best, bestScore, found = m, s, true
		}
	}
	return best, found
}

// Owner returns the id of the member that hosts kind/id.
func (r *Registry) Owner(kind, id string) (string, bool) {
	m, ok := r.owner(kind, id)
	return m.ID, ok
}

func score(member, kind, id string) uint64 {
	h := fnv.New64a()
	h.Write([]byte(member))
	h.Write([]byte{0})
	h.Write([]byte(kind))
	h.Write([]byte{0})
	h.Write([]byte(id))
	// splitmix64 finalizer: fnv alone mixes poorly.
	x := h.Sum64()
	x ^= x >> 30
	x *= 0xbf58476d1ce4e5b9
	x ^= x >> 27
	x *= 0x94d049bb133111eb
	x ^= x >> 31
	return x
}

func rand64() uint64 {
	var b [8]byte
	_, _ = rand.Read(b[:])
	return binary.LittleEndian.Uint64(b[:])
}

type (
	heartbeat    struct{}
	discovered   struct{ addrs []string }
	unreachable  struct{ addr string }
	memberRecord struct {
		m        Member
		lastSeen time.Time
	}
)

// membership is the cluster provider actor: it greets seeds, discovered
// peers and known members every heartbeat with a NodeHello, learns members
// from the hellos it receives (gossiping the addresses they know), drops
// members that fall silent or become unreachable, and pushes the member set
// to the hollywood cluster agent and the registry's placement.
type membership struct {
	r        *Registry
	c        *cluster.Cluster
	known    map[string]*memberRecord // by address
	contacts map[string]time.Time     // addresses to greet (gossip, discovery) -> when last heard of
	seeds    map[string]bool          // configured seeds, greeted forever
	ticks    int
	repeater actor.SendRepeater
}

func (r *Registry) membershipProvider() cluster.Producer {
	return func(c *cluster.Cluster) actor.Producer {
		return func() actor.Receiver {
			return &membership{r: r, c: c, known: map[string]*memberRecord{}, contacts: map[string]time.Time{}, seeds: map[string]bool{}}
		}
	}
}

func membershipPID(addr string) *actor.PID {
	return actor.NewPID(addr, membershipKind+"/"+membershipID)
}

func (p *membership) Receive(ac *actor.Context) {
	switch m := ac.Message().(type) {
	case actor.Started:
		// The provider hollywood spawns has a node-specific id; a second,
		// well-known process lets peers greet us knowing only our address.
		p.r.engine.SpawnFunc(func(c *actor.Context) {
			if h, ok := c.Message().(*wire.NodeHello); ok {
				p.r.engine.Send(ac.PID(), h)
			}
		}, membershipKind, actor.WithID(membershipID))
		for _, s := range p.r.cfg.Seeds {
			if s != p.r.self.Address {
				p.seeds[s] = true
			}
		}
		p.publish()
		p.repeater = ac.SendRepeat(ac.PID(), heartbeat{}, p.r.cfg.HeartbeatInterval)
		p.beat(ac)
	case actor.Stopped:
		p.repeater.Stop()
		p.r.engine.Poison(membershipPID(p.r.self.Address))
	case heartbeat:
		p.beat(ac)
	case *wire.NodeHello:
		p.hello(m)
	case discovered:
		for _, a := range m.addrs {
			if a != p.r.self.Address {
				p.contacts[a] = time.Now()
			}
		}
	case unreachable:
		if _, ok := p.known[m.addr]; ok {
			delete(p.known, m.addr)
			p.publish()
		}
	}
}

func (p *membership) beat(ac *actor.Context) {
	p.ticks++
	hello := &wire.NodeHello{NodeId: p.r.self.ID, Address: p.r.self.Address, Kinds: p.r.self.Kinds}
	for a := range p.known {
		hello.Known = append(hello.Known, a)
	}
	targets := map[string]bool{}
	for a := range p.seeds {
		targets[a] = true
	}
	for a, since := range p.contacts {
		// Forget an address nobody mentioned for a while and that never
		// answered (a node that left, a restarted node's old port).
		if _, member := p.known[a]; !member && time.Since(since) > 10*p.r.cfg.HeartbeatInterval {
			delete(p.contacts, a)
			continue
		}
		targets[a] = true
	}
	for a := range p.known {
		targets[a] = true
	}
	for a := range targets {
		p.r.engine.Send(membershipPID(a), hello)
	}
	// Drop members silent for 4 heartbeats.
	changed := false
	for a, rec := range p.known {
		if time.Since(rec.lastSeen) > 4*p.r.cfg.HeartbeatInterval {
			delete(p.known, a)
			changed = true
		}
	}
	if changed {
		p.publish()
	}
	if d := p.r.cfg.Discovery; d != nil && p.ticks%3 == 1 {
		self, pid, eng := p.r.self, ac.PID(), p.r.engine
		go func() {
			ctx, cancel := context.WithTimeout(context.Background(), 3*time.Second)
			defer cancel()
			if err := d.Announce(ctx, self); err != nil {
				p.r.log.Warn("cluster discovery announce failed", "err", err)
			}
			addrs, err := d.Peers(ctx)
			if err != nil {
				p.r.log.Warn("cluster discovery lookup failed", "err", err)
				return
			}
			eng.Send(pid, discovered{addrs: addrs})
		}()
	}
}

func (p *membership) hello(h *wire.NodeHello) {
	if h.Address == p.r.self.Address {
		return
	}
	for _, a := range h.Known {
		if a != p.r.self.Address {
			if _, ok := p.known[a]; !ok {
				p.contacts[a] = time.Now()
			}
		}
	}
	rec, ok := p.known[h.Address]
	m := Member{ID: h.NodeId, Address: h.Address, Kinds: append([]string(nil), h.Kinds...)}
	if ok && rec.m.ID == m.ID && slices.Equal(rec.m.Kinds, m.Kinds) {
		rec.lastSeen = time.Now()
		return
	}
	p.known[h.Address] = &memberRecord{m: m, lastSeen: time.Now()}
	p.publish()
}

// publish pushes the member set to the registry's placement and to the
// hollywood cluster agent (which emits MemberJoin/LeaveEvents).
func (p *membership) publish() {
	ms := []Member{p.r.self}
	cms := []*cluster.Member{p.c.Member()}
	for _, rec := range p.known {
		ms = append(ms, rec.m)
		cms = append(cms, &cluster.Member{ID: rec.m.ID, Host: rec.m.Address, Kinds: rec.m.Kinds, Region: "default"})
	}
	p.r.setMembers(ms)
	p.r.engine.Send(p.c.PID(), &cluster.Members{Members: cms})
	p.r.log.Info("cluster members changed", "members", len(ms))
}

// onEvent watches the engine's event stream.
func (r *Registry) onEvent(ac *actor.Context) {
	switch ev := ac.Message().(type) {
	case actor.RemoteUnreachableEvent:
		r.engine.Send(actor.NewPID(r.engine.Address(), "provider/"+r.cfg.NodeID), unreachable{addr: ev.ListenAddr})
	case actor.ActorMaxRestartsExceededEvent:
		// The entity died for good: forget it so the next message activates
		// a fresh instance from the store.
		for i := range r.shards {
			sh := &r.shards[i]
			sh.mu.Lock()
			for k, e := range sh.m {
				if e.pid.Equals(ev.PID) {
					delete(sh.m, k)
				}
			}
			sh.mu.Unlock()
		}
	case actor.DeadLetterEvent:
		switch m := ev.Message.(type) {
		case *call:
			if m.reply != nil && !m.timer {
				m.reply(nil, ErrStopped)
			}
		case stopNow:
			m.done.Done() // the entity stopped before Stop reached it
		}
	}
}
