package user_test

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/gamend-go/gamend/actors/notifications"
	"github.com/gamend-go/gamend/actors/registry"
	"github.com/gamend-go/gamend/actors/user"
	"github.com/gamend-go/gamend/persistence"
	"github.com/gamend-go/gamend/persistence/persistencetest"
	"github.com/gamend-go/gamend/persistence/writebehind"
)

type recorder struct {
	mu  sync.Mutex
	evs map[user.Subscriber][]user.Event
}

func (r *recorder) Deliver(s user.Subscriber, ev user.Event) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.evs == nil {
		r.evs = map[user.Subscriber][]user.Event{}
	}
	r.evs[s] = append(r.evs[s], ev)
}

type world struct {
	reg *registry.Registry
	q   *writebehind.Queue
	db  *persistence.DB
	rec *recorder
	p   *user.Presence
}

func newWorld(t *testing.T, grace time.Duration) world {
	t.Helper()
	return newWorldWith(t, persistencetest.SQLite(t), user.PresenceOptions{Grace: grace})
}

// newWorldWith starts a registry with user actors configured by opts (the
// recorder is their Deliverer) on tg's database.
func newWorldWith(t *testing.T, tg persistencetest.Target, opts user.PresenceOptions) world {
	t.Helper()
	q := writebehind.New(tg.DB, writebehind.Options{})
	rec := &recorder{}
	reg := registry.New(registry.Config{Store: q, RequestTimeout: 5 * time.Second})
	opts.Deliverer = rec
	p := user.NewPresence(opts)
	p.Attach(reg)
	reg.Register(p.Kind())
	if err := reg.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		reg.Stop(context.Background())
		q.Close(context.Background())
	})
	return world{reg: reg, q: q, db: tg.DB, rec: rec, p: p}
}

func (w world) newUser(t *testing.T) string {
	t.Helper()
	id, now := persistence.NewID(), persistence.Now()
	if _, err := w.db.Exec(context.Background(), `INSERT INTO users (id, username, inserted_at, updated_at) VALUES (?, ?, ?, ?)`, id, "u"+id[len(id)-8:], now, now); err != nil {
		t.Fatal(err)
	}
	return id
}

func (w world) online(t *testing.T, id string) bool {
	var on bool
	if err := w.db.QueryRow(context.Background(), `SELECT is_online FROM users WHERE id = ?`, id).Scan(&on); err != nil {
		t.Fatal(err)
	}
	return on
}

func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

func TestPresenceFollowsSubscribers(t *testing.T) {
	w := newWorld(t, 30*time.Millisecond)
	id := w.newUser(t)
	s1 := user.Subscriber{Node: w.reg.NodeID(), Key: "a"}
	s2 := user.Subscriber{Node: w.reg.NodeID(), Key: "b"}
	for _, s := range []user.Subscriber{s1, s2} {
		v, err := w.reg.Request(context.Background(), user.Kind, id, user.Subscribe{Sub: s})
		if err != nil || !v.(user.SubscribeReply).User.IsOnline {
			t.Fatalf("subscribe: %v %v", v, err)
		}
	}
	if !w.online(t, id) {
		t.Fatal("not online in the store")
	}
	_ = w.reg.Send(user.Kind, id, user.Unsubscribe{Sub: s1})
	time.Sleep(100 * time.Millisecond)
	if !w.online(t, id) {
		t.Fatal("went offline with a channel still joined")
	}
	_ = w.reg.Send(user.Kind, id, user.Unsubscribe{Sub: s2})
	waitFor(t, "offline after the grace period", func() bool { return !w.online(t, id) })
	waitFor(t, "passivation", func() bool { return !w.reg.Active(user.Kind, id) })
	if _, err := w.reg.Request(context.Background(), user.Kind, persistence.NewID(), user.Subscribe{Sub: s1}); err == nil {
		t.Fatal("subscribing to an unknown user succeeded")
	}
}

// TestResubscribeDuringOfflineCommit: a channel that subscribes while the
// offline write is still being committed must keep the actor alive and the
// user online (the offline continuation must not passivate it).
func TestResubscribeDuringOfflineCommit(t *testing.T) {
	w := newWorld(t, 20*time.Millisecond)
	id := w.newUser(t)
	s1 := user.Subscriber{Node: w.reg.NodeID(), Key: "a"}
	if _, err := w.reg.Request(context.Background(), user.Kind, id, user.Subscribe{Sub: s1}); err != nil {
		t.Fatal(err)
	}
	// Hold the single writer so the offline commit stays in flight.
	release := make(chan struct{})
	started := make(chan struct{})
	blocker := w.q.Submit("blocker", func(context.Context, *persistence.Tx) error { close(started); <-release; return nil })
	<-started
	_ = w.reg.Send(user.Kind, id, user.Unsubscribe{Sub: s1})
	time.Sleep(80 * time.Millisecond) // grace elapsed: offline commit queued behind the blocker
	s2 := user.Subscriber{Node: w.reg.NodeID(), Key: "b"}
	done := make(chan error, 1)
	go func() {
		_, err := w.reg.Request(context.Background(), user.Kind, id, user.Subscribe{Sub: s2})
		done <- err
	}()
	time.Sleep(50 * time.Millisecond)
	close(release)
	if err := blocker.Wait(); err != nil {
		t.Fatal(err)
	}
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	time.Sleep(150 * time.Millisecond)
	if !w.reg.Active(user.Kind, id) {
		t.Fatal("user actor passivated while a channel is subscribed")
	}
	if !w.online(t, id) {
		t.Fatal("user offline while a channel is subscribed")
	}
	// Events still reach the channel.
	_ = w.reg.SendIfActive(user.Kind, id, user.Deliver{Event: user.Event{Notification: &notifications.Notification{ID: "n"}}})
	waitFor(t, "delivery", func() bool {
		w.rec.mu.Lock()
		defer w.rec.mu.Unlock()
		return len(w.rec.evs[s2]) > 0
	})
}

// TestShutdownWritesOffline: stopping the node while a user is online
// leaves the user offline in the store.
func TestShutdownWritesOffline(t *testing.T) {
	w := newWorld(t, time.Hour)
	id := w.newUser(t)
	if _, err := w.reg.Request(context.Background(), user.Kind, id, user.Subscribe{Sub: user.Subscriber{Node: w.reg.NodeID(), Key: "a"}}); err != nil {
		t.Fatal(err)
	}
	if err := w.reg.Stop(context.Background()); err != nil {
		t.Fatal(err)
	}
	if err := w.q.Close(context.Background()); err != nil { // as the server does: actors first, then drain
		t.Fatal(err)
	}
	if w.online(t, id) {
		t.Fatal("still online after the node stopped")
	}
}
