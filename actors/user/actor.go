package user

import (
	"context"
	"errors"
	"fmt"

	"github.com/gamend-go/gamend/actors/registry"
	"github.com/gamend-go/gamend/persistence"
	"github.com/gamend-go/gamend/persistence/users"
)

// ErrNoSuchUser is returned when a channel subscribes to a user that does
// not exist (deleted account).
var ErrNoSuchUser = errors.New("user: no such user")

func init() { registry.RegisterError("user.no_such_user", ErrNoSuchUser) }

// actor is the user entity: it owns the user's presence (is_online,
// last_seen_at) and the set of joined user:{id} channels, and fans
// profile, presence and notification events out to them.
type actor struct {
	id     string
	p      *Presence
	row    users.Row
	subs   map[Subscriber]struct{}
	online bool
	gen    int // invalidates pending goOffline timers
	stop   func() bool
}

func (a *actor) Activate(ctx context.Context, c *registry.Context) error {
	r, err := users.Get(ctx, c.Store().DB(), a.id)
	if errors.Is(err, persistence.ErrNotFound) {
		return ErrNoSuchUser
	}
	if err != nil {
		return err
	}
	a.row = Sanitize(*r)
	// Presence is recomputed from live channels: whatever the row says,
	// this activation starts offline and goes online with its first
	// subscriber (a resync brings back channels a crashed activation held).
	a.online = false
	if a.p.opts.Resync != nil {
		a.p.opts.Resync(a.id)
	}
	return nil
}

// KeepAlive keeps the actor while channels are joined or presence is
// online (the offline transition must run before passivation).
func (a *actor) KeepAlive() bool { return len(a.subs) > 0 || a.online }

func (a *actor) Handle(c *registry.Context, msg any) (any, error) {
	switch m := msg.(type) {
	case Subscribe:
		a.subs[m.Sub] = struct{}{}
		a.gen++
		if a.online {
			return SubscribeReply{User: a.row}, nil
		}
		return a.setOnline(c, true, func() (any, error) { return SubscribeReply{User: a.row}, nil })
	case Unsubscribe:
		delete(a.subs, m.Sub)
		if len(a.subs) == 0 {
			a.gen++
			c.After(a.p.opts.Grace, goOffline{Gen: a.gen})
		}
		return nil, nil
	case goOffline:
		if m.Gen != a.gen || len(a.subs) > 0 || !a.online {
			return nil, nil
		}
		return a.setOnline(c, false, func() (any, error) {
			c.Stop() // nothing left to serve: passivate now
			return nil, nil
		})
	case refresh:
		return a.refresh(c)
	case ProfileChanged:
		return a.reload(c)
	case Deliver:
		a.deliver(m.Event)
		return nil, nil
	case FriendChanged:
		a.deliver(Event{Friends: []Friend{m.Friend}})
		return nil, nil
	}
	return nil, fmt.Errorf("user: unexpected message %T", msg)
}

// setOnline persists the online flag and last_seen_at, then announces the
// change and runs done for the reply.
func (a *actor) setOnline(c *registry.Context, online bool, done func() (any, error)) (any, error) {
	now := persistence.Now()
	prev := a.row
	a.online, a.row.IsOnline, a.row.LastSeenAt = online, online, &now
	id := a.id
	return c.Commit(func(ctx context.Context, tx *persistence.Tx) error {
		_, err := tx.Exec(ctx, `UPDATE users SET is_online = ?, last_seen_at = ? WHERE id = ?`, online, now, id)
		return err
	}, func(err error) (any, error) {
		if err != nil {
			a.row, a.online = prev, prev.IsOnline
			return nil, err
		}
		change := WentOffline
		if online {
			change = WentOnline
			a.scheduleRefresh(c)
		} else if a.stop != nil {
			a.stop()
			a.stop = nil
		}
		ctx, cancel := context.WithTimeout(context.Background(), registryTimeout)
		defer cancel()
		a.p.announce(ctx, c.Store().DB(), a.row, change)
		a.deliver(Event{Self: &a.row})
		return done()
	})
}

func (a *actor) scheduleRefresh(c *registry.Context) {
	if a.stop != nil {
		a.stop()
	}
	a.stop = c.After(a.p.opts.RefreshEvery, refresh{})
}

// refresh moves last_seen_at forward while online, and drops subscribers on
// nodes that left the cluster.
func (a *actor) refresh(c *registry.Context) (any, error) {
	if !a.online {
		return nil, nil
	}
	live := map[string]bool{}
	for _, m := range c.Registry().Members() {
		live[m.ID] = true
	}
	for s := range a.subs {
		if !live[s.Node] {
			delete(a.subs, s)
		}
	}
	if len(a.subs) == 0 {
		a.gen++
		c.Tell(goOffline{Gen: a.gen})
		return nil, nil
	}
	now := persistence.Now()
	a.row.LastSeenAt = &now
	id := a.id
	a.scheduleRefresh(c)
	return c.Commit(func(ctx context.Context, tx *persistence.Tx) error {
		_, err := tx.Exec(ctx, `UPDATE users SET last_seen_at = ? WHERE id = ?`, now, id)
		return err
	}, func(err error) (any, error) { return nil, err })
}

// reload re-reads the profile after a change made elsewhere (REST, admin)
// and announces it; presence stays the actor's own.
func (a *actor) reload(c *registry.Context) (any, error) {
	ctx, cancel := context.WithTimeout(context.Background(), registryTimeout)
	defer cancel()
	r, err := users.Get(ctx, c.Store().DB(), a.id)
	if err != nil {
		if errors.Is(err, persistence.ErrNotFound) {
			c.Stop() // the account was deleted
			return nil, nil
		}
		return nil, err
	}
	row := Sanitize(*r)
	row.IsOnline, row.LastSeenAt = a.online, a.row.LastSeenAt
	a.row = row
	a.deliver(Event{Self: &a.row})
	a.p.announce(ctx, c.Store().DB(), a.row, ProfileUpdated)
	return nil, nil
}

func (a *actor) deliver(ev Event) {
	d := a.p.opts.Deliverer
	if d == nil {
		return
	}
	for s := range a.subs {
		d.Deliver(s, ev)
	}
}
