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
	subs   subscribers
	online bool
	gen    int // invalidates pending goOffline timers
	stop   func() bool
}

func (a *actor) Activate(ctx context.Context, c *registry.Context) error {
	r, err := a.p.opts.Cache.Get(ctx, c.Store().DB(), a.id)
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

// Passivate writes the user offline when the actor stops while online (a
// node shutting down): nobody else would. The write is queued, not awaited:
// at shutdown the write-behind queue is drained after the actors stopped,
// so thousands of users go offline in a few group commits.
func (a *actor) Passivate(_ context.Context, c *registry.Context) {
	if !a.online {
		return
	}
	id := a.id
	now := persistence.Now()
	c.Store().Submit(c.Kind()+"/"+id, func(ctx context.Context, tx *persistence.Tx) error {
		_, err := tx.Exec(ctx, `UPDATE users SET is_online = ?, last_seen_at = ? WHERE id = ?`, false, now, id)
		return err
	})
	a.online = false
}

// KeepAlive keeps the actor while channels are joined or presence is
// online (the offline transition must run before passivation).
func (a *actor) KeepAlive() bool { return len(a.subs) > 0 || a.online }

func (a *actor) Handle(c *registry.Context, msg any) (any, error) {
	switch m := msg.(type) {
	case Subscribe:
		a.subs = a.subs.add(m.Sub)
		a.gen++
		if a.online {
			friends, err := a.friends(c)
			return SubscribeReply{User: a.row, Friends: friends}, err
		}
		return a.setOnline(c, true, func(friends []Friend) (any, error) {
			return SubscribeReply{User: a.row, Friends: friends}, nil
		})
	case Unsubscribe:
		a.subs = a.subs.remove(m.Sub)
		if len(a.subs) == 0 {
			a.gen++
			c.After(a.p.opts.Grace, goOffline{Gen: a.gen})
		}
		return nil, nil
	case goOffline:
		if m.Gen != a.gen || len(a.subs) > 0 || !a.online {
			return nil, nil
		}
		return a.setOnline(c, false, func([]Friend) (any, error) {
			if len(a.subs) == 0 && !a.online {
				c.Stop() // nothing left to serve: passivate now
			}
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
	case Swept:
		if !a.online {
			return nil, nil
		}
		return a.writeOnline(c)
	}
	return nil, fmt.Errorf("user: unexpected message %T", msg)
}

// friends loads the user's accepted friends with their rows (≤ 1000).
func (a *actor) friends(c *registry.Context) ([]Friend, error) {
	ctx, cancel := context.WithTimeout(context.Background(), registryTimeout)
	defer cancel()
	return Friends(ctx, c.Store().DB(), a.id, 1000)
}

// setOnline persists the online flag and last_seen_at, then announces the
// change (loading the friend list once, for the announcement and for done)
// and runs done for the reply.
func (a *actor) setOnline(c *registry.Context, online bool, done func(friends []Friend) (any, error)) (any, error) {
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
		var friends []Friend
		var refs []FriendRef
		if online {
			var ferr error
			if friends, ferr = Friends(ctx, c.Store().DB(), a.id, 1000); ferr != nil {
				c.Logger().Warn("loading friends failed; presence not announced to them", "err", ferr)
			}
			refs = make([]FriendRef, len(friends))
			for i, f := range friends {
				refs[i] = FriendRef{UserID: f.User.ID, FriendshipID: f.FriendshipID}
			}
		}
		a.p.announce(ctx, c.Store().DB(), a.row, change, refs)
		a.deliverSelf()
		return done(friends)
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
	a.subs = a.subs.keep(func(s Subscriber) bool { return live[s.Node] })
	if len(a.subs) == 0 {
		a.gen++
		c.Tell(goOffline{Gen: a.gen})
		return nil, nil
	}
	a.scheduleRefresh(c)
	return a.writeOnline(c)
}

// writeOnline moves last_seen_at to now and (re)asserts is_online: the
// refresh, and the answer to a sweep that wrote an online user offline.
func (a *actor) writeOnline(c *registry.Context) (any, error) {
	now := persistence.Now()
	a.row.LastSeenAt = &now
	id := a.id
	return c.Commit(func(ctx context.Context, tx *persistence.Tx) error {
		_, err := tx.Exec(ctx, `UPDATE users SET is_online = ?, last_seen_at = ? WHERE id = ?`, true, now, id)
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
	a.deliverSelf()
	a.p.announce(ctx, c.Store().DB(), a.row, ProfileUpdated, nil)
	return nil, nil
}

// deliverSelf delivers the user's row as it is now: a copy, since
// subscribers may keep the event (held during a join, debounced) while the
// actor changes its row. The row's maps are replaced, never modified, so
// a shallow copy is enough.
func (a *actor) deliverSelf() {
	row := a.row
	a.deliver(Event{Self: &row})
}

// deliver hands ev to every subscriber. Events are shared, read-only.
func (a *actor) deliver(ev Event) {
	d := a.p.opts.Deliverer
	if d == nil {
		return
	}
	for _, s := range a.subs {
		d.Deliver(s, ev)
	}
}
