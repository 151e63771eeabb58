package registry_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/gamend-go/gamend/actors/registry"
	"github.com/gamend-go/gamend/persistence"
	"github.com/gamend-go/gamend/persistence/persistencetest"
	"github.com/gamend-go/gamend/persistence/writebehind"
)

// counter is the test kind: a persistent integer per id.
type (
	Inc       struct{ By int }
	Get       struct{}
	Boom      struct{}
	Fail      struct{}
	KeepAlive struct{ On bool }
	// Hang takes the reply and never answers it.
	Hang struct{}
	// LocalReply answers with a type that is not registered.
	LocalReply struct{}
	localOnly  struct{ N int }
)

var ErrOdd = errors.New("counter: odd failure")

func init() {
	registry.RegisterMessage[Inc]("test.Inc")
	registry.RegisterMessage[Get]("test.Get")
	registry.RegisterMessage[Boom]("test.Boom")
	registry.RegisterMessage[Fail]("test.Fail")
	registry.RegisterMessage[KeepAlive]("test.KeepAlive")
	registry.RegisterMessage[Hang]("test.Hang")
	registry.RegisterMessage[LocalReply]("test.LocalReply")
	registry.RegisterError("test.odd", ErrOdd)
}

type counter struct {
	id          string
	n           int
	keep        bool
	activations *atomic.Int32
}

func (c *counter) Activate(ctx context.Context, rc *registry.Context) error {
	c.activations.Add(1)
	err := rc.Store().DB().QueryRow(ctx, `SELECT n FROM counters WHERE id = ?`, c.id).Scan(&c.n)
	if errors.Is(persistence.NotFound(err), persistence.ErrNotFound) {
		return nil
	}
	return err
}

func (c *counter) Handle(rc *registry.Context, msg any) (any, error) {
	switch m := msg.(type) {
	case Inc:
		c.n += m.By
		n, id := c.n, c.id
		return rc.Commit(func(ctx context.Context, tx *persistence.Tx) error {
			_, err := tx.Exec(ctx, `INSERT INTO counters (id, n) VALUES (?, ?) ON CONFLICT (id) DO UPDATE SET n = excluded.n`, id, n)
			return err
		}, func(err error) (any, error) {
			if err != nil {
				c.n -= m.By
				return nil, err
			}
			return n, nil
		})
	case Get:
		return c.n, nil
	case Boom:
		panic("boom")
	case Fail:
		return nil, fmt.Errorf("while failing: %w", ErrOdd)
	case KeepAlive:
		c.keep = m.On
		return nil, nil
	case Hang:
		_ = rc.Reply() // dropped: the caller only has its deadline
		return registry.Deferred, nil
	case LocalReply:
		return localOnly{N: c.n}, nil
	}
	return nil, fmt.Errorf("unknown message %T", msg)
}

func (c *counter) KeepAlive() bool { return c.keep }

type node struct {
	reg         *registry.Registry
	activations *atomic.Int32
}

func newNode(t *testing.T, db *persistence.DB, idle time.Duration, seeds ...string) node {
	t.Helper()
	return startNode(t, db, idle, registry.Config{Seeds: seeds})
}

// startNode starts a node with the test kind on cfg (store and timeouts
// filled in).
func startNode(t *testing.T, db *persistence.DB, idle time.Duration, cfg registry.Config) node {
	t.Helper()
	q := writebehind.New(db, writebehind.Options{})
	acts := &atomic.Int32{}
	cfg.Store, cfg.IdleTimeout, cfg.RequestTimeout, cfg.HeartbeatInterval = q, time.Hour, 3*time.Second, 50*time.Millisecond
	reg := registry.New(cfg)
	reg.Register(registry.Kind{Name: "counter", IdleTimeout: idle, New: func(id string) registry.Entity {
		return &counter{id: id, activations: acts}
	}})
	if err := reg.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		if err := reg.Stop(ctx); err != nil {
			t.Error(err)
		}
		q.Close(ctx)
	})
	return node{reg: reg, activations: acts}
}

// eachDB runs fn on a fresh database with the counters table, once per
// dialect: SQLite always, PostgreSQL (a schema of its own) when
// GAMEND_TEST_POSTGRES_URL is set.
func eachDB(t *testing.T, fn func(t *testing.T, db *persistence.DB)) {
	t.Helper()
	persistencetest.Dialects(t, func(t *testing.T, tg persistencetest.Target) {
		if _, err := tg.DB.Exec(context.Background(), `CREATE TABLE counters (id TEXT PRIMARY KEY, n INTEGER NOT NULL)`); err != nil {
			t.Fatal(err)
		}
		fn(t, tg.DB)
	})
}

// eachNode runs fn, on each dialect, against a node with remoting and a
// standalone one (no remote, as on SQLite): entities behave the same.
func eachNode(t *testing.T, idle time.Duration, fn func(t *testing.T, db *persistence.DB, n node)) {
	t.Helper()
	eachDB(t, func(t *testing.T, db *persistence.DB) {
		for _, standalone := range []bool{false, true} {
			t.Run(fmt.Sprintf("standalone=%v", standalone), func(t *testing.T) {
				if _, err := db.Exec(context.Background(), `DELETE FROM counters`); err != nil {
					t.Fatal(err)
				}
				fn(t, db, startNode(t, db, idle, registry.Config{Standalone: standalone}))
			})
		}
	})
}

func request(t *testing.T, reg *registry.Registry, id string, msg any) any {
	t.Helper()
	v, err := reg.Request(context.Background(), "counter", id, msg)
	if err != nil {
		t.Fatalf("request %T to %s: %v", msg, id, err)
	}
	return v
}

func TestActivationLoadsStateAndSerializesMutations(t *testing.T) {
	eachNode(t, time.Hour, func(t *testing.T, db *persistence.DB, n node) {
		if _, err := db.Exec(context.Background(), `INSERT INTO counters (id, n) VALUES ('c1', 5)`); err != nil {
			t.Fatal(err)
		}
		if got := request(t, n.reg, "c1", Get{}); got != 5 {
			t.Fatalf("loaded %v, want 5", got)
		}
		var wg sync.WaitGroup
		for range 100 {
			wg.Add(1)
			go func() { defer wg.Done(); request(t, n.reg, "c1", Inc{By: 1}) }()
		}
		wg.Wait()
		if got := request(t, n.reg, "c1", Get{}); got != 105 {
			t.Fatalf("after 100 increments: %v, want 105", got)
		}
		var stored int
		if err := db.QueryRow(context.Background(), `SELECT n FROM counters WHERE id = 'c1'`).Scan(&stored); err != nil || stored != 105 {
			t.Fatalf("stored %d (%v), want 105", stored, err)
		}
		if a := n.activations.Load(); a != 1 {
			t.Fatalf("activations = %d, want 1", a)
		}
		if err := n.reg.Send("counter", "c2", Inc{By: 2}); err != nil {
			t.Fatal(err)
		}
		if got := request(t, n.reg, "c2", Get{}); got != 2 {
			t.Fatalf("after Send: %v, want 2", got)
		}
	})
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

func TestPassivationAfterIdle(t *testing.T) {
	eachNode(t, 60*time.Millisecond, func(t *testing.T, db *persistence.DB, n node) {
		request(t, n.reg, "p1", Inc{By: 7})
		waitFor(t, "passivation", func() bool { return !n.reg.Active("counter", "p1") })
		if got := request(t, n.reg, "p1", Get{}); got != 7 {
			t.Fatalf("reactivated with %v, want 7 from the store", got)
		}
		if a := n.activations.Load(); a != 2 {
			t.Fatalf("activations = %d, want 2", a)
		}
		// An entity that asks to be kept alive is not passivated.
		request(t, n.reg, "p2", KeepAlive{On: true})
		time.Sleep(300 * time.Millisecond)
		if !n.reg.Active("counter", "p2") {
			t.Fatal("kept-alive entity was passivated")
		}
		request(t, n.reg, "p2", KeepAlive{On: false})
		waitFor(t, "passivation after keep-alive ends", func() bool { return !n.reg.Active("counter", "p2") })
	})
}

func TestPanicRestartsFromStore(t *testing.T) {
	eachNode(t, time.Hour, func(t *testing.T, db *persistence.DB, n node) {
		request(t, n.reg, "x", Inc{By: 3})
		_, err := n.reg.Request(context.Background(), "counter", "x", Boom{})
		if !errors.Is(err, registry.ErrPanic) {
			t.Fatalf("panic reply = %v, want ErrPanic", err)
		}
		if got := request(t, n.reg, "x", Get{}); got != 3 {
			t.Fatalf("after restart: %v, want 3", got)
		}
		if a := n.activations.Load(); a != 2 {
			t.Fatalf("activations = %d, want 2 (restart reloads from the store)", a)
		}
		// The node and other entities are unaffected.
		if got := request(t, n.reg, "y", Inc{By: 1}); got != 1 {
			t.Fatalf("other entity: %v", got)
		}
	})
}

func TestTwoNodesRemoteCall(t *testing.T) {
	eachDB(t, func(t *testing.T, db *persistence.DB) {
		a := newNode(t, db, time.Hour)
		b := newNode(t, db, time.Hour, a.reg.Address())
		waitFor(t, "both members", func() bool { return len(a.reg.Members()) == 2 && len(b.reg.Members()) == 2 })

		// Find ids owned by node A, and call them from node B.
		var onA []string
		for i := 0; len(onA) < 5; i++ {
			id := fmt.Sprint("r", i)
			if owner, _ := b.reg.Owner("counter", id); owner == a.reg.NodeID() {
				onA = append(onA, id)
			}
		}
		for _, id := range onA {
			if got := request(t, b.reg, id, Inc{By: 4}); got != 4 {
				t.Fatalf("remote Inc on %s = %v, want 4", id, got)
			}
			if !a.reg.Active("counter", id) || b.reg.Active("counter", id) {
				t.Fatalf("%s must live on node A only", id)
			}
			if got := request(t, a.reg, id, Get{}); got != 4 {
				t.Fatalf("local Get on A: %v", got)
			}
		}
		// Errors keep their identity across nodes.
		_, err := b.reg.Request(context.Background(), "counter", onA[0], Fail{})
		if !errors.Is(err, ErrOdd) {
			t.Fatalf("remote error = %v, want ErrOdd", err)
		}
		_, err = b.reg.Request(context.Background(), "counter", onA[1], Boom{})
		if !errors.Is(err, registry.ErrPanic) {
			t.Fatalf("remote panic = %v, want ErrPanic", err)
		}
		// One-way messages cross too.
		if err := b.reg.Send("counter", onA[2], Inc{By: 1}); err != nil {
			t.Fatal(err)
		}
		waitFor(t, "remote Send", func() bool {
			v, _ := a.reg.Request(context.Background(), "counter", onA[2], Get{})
			return v == 5
		})
		// An unregistered message type cannot cross and says so.
		type local struct{}
		if _, err := b.reg.Request(context.Background(), "counter", onA[0], local{}); err == nil {
			t.Fatal("unregistered message type crossed nodes")
		}
	})
}

func TestSendIfActiveNeverActivates(t *testing.T) {
	eachDB(t, func(t *testing.T, db *persistence.DB) {
		a := newNode(t, db, time.Hour)
		b := newNode(t, db, time.Hour, a.reg.Address())
		waitFor(t, "both members", func() bool { return len(a.reg.Members()) == 2 && len(b.reg.Members()) == 2 })
		for i := range 6 {
			id := fmt.Sprint("ia", i)
			if err := b.reg.SendIfActive("counter", id, Inc{By: 1}); err != nil {
				t.Fatal(err)
			}
		}
		time.Sleep(100 * time.Millisecond) // a delivery would have activated by now
		if a.activations.Load()+b.activations.Load() != 0 {
			t.Fatal("SendIfActive activated an entity")
		}
		for i := range 6 {
			id := fmt.Sprint("ia", i)
			request(t, b.reg, id, Get{}) // activate on the owner
			if err := b.reg.SendIfActive("counter", id, Inc{By: 2}); err != nil {
				t.Fatal(err)
			}
			waitFor(t, "if-active delivery", func() bool {
				v, _ := b.reg.Request(context.Background(), "counter", id, Get{})
				return v == 2
			})
		}
	})
}

type NodePing struct{ N int }

func init() { registry.RegisterMessage[NodePing]("test.NodePing") }

func TestNodeHandlersAcrossNodes(t *testing.T) {
	eachDB(t, func(t *testing.T, db *persistence.DB) {
		got := make(chan string, 16)
		mk := func(seeds ...string) *registry.Registry {
			q := writebehind.New(db, writebehind.Options{})
			reg := registry.New(registry.Config{Store: q, HeartbeatInterval: 50 * time.Millisecond, Seeds: seeds})
			reg.Register(registry.Kind{Name: "counter", New: func(id string) registry.Entity { return &counter{id: id, activations: &atomic.Int32{}} }})
			reg.HandleNode("ping", func(msg any) {
				if p, ok := msg.(NodePing); ok {
					got <- fmt.Sprintf("%d", p.N)
				}
			})
			if err := reg.Start(); err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { reg.Stop(context.Background()); q.Close(context.Background()) })
			return reg
		}
		a := mk()
		b := mk(a.Address())
		waitFor(t, "both members", func() bool { return len(a.Members()) == 2 && len(b.Members()) == 2 })
		if err := b.SendNode(a.NodeID(), "ping", NodePing{N: 7}); err != nil {
			t.Fatal(err)
		}
		if v := <-got; v != "7" {
			t.Fatalf("remote node handler got %s", v)
		}
		if err := a.BroadcastNodes("ping", NodePing{N: 9}); err != nil {
			t.Fatal(err)
		}
		for range 2 {
			select {
			case v := <-got:
				if v != "9" {
					t.Fatalf("broadcast got %s", v)
				}
			case <-time.After(3 * time.Second):
				t.Fatal("broadcast did not reach both nodes")
			}
		}
	})
}

// TestRepeatedPanicsNeverStopTheNode: an entity that panics again and
// again answers ErrPanic each time, reloads from the store, and the node
// (and the entity) keep working.
func TestRepeatedPanicsNeverStopTheNode(t *testing.T) {
	eachNode(t, time.Hour, func(t *testing.T, db *persistence.DB, n node) {
		request(t, n.reg, "p", Inc{By: 2})
		for i := range 12 {
			if _, err := n.reg.Request(context.Background(), "counter", "p", Boom{}); !errors.Is(err, registry.ErrPanic) {
				t.Fatalf("panic %d: %v", i, err)
			}
		}
		if got := request(t, n.reg, "p", Inc{By: 1}); got != 3 {
			t.Fatalf("after 12 panics: %v, want 3 (state reloaded from the store)", got)
		}
	})
}

// TestPanicWaitsForQueuedWrites: a panic right after a commit was submitted
// must not let the next activation load state older than that commit.
func TestPanicWaitsForQueuedWrites(t *testing.T) {
	eachNode(t, time.Hour, func(t *testing.T, db *persistence.DB, n node) {
		for i := range 20 {
			id := fmt.Sprint("w", i)
			_ = n.reg.Send("counter", id, Inc{By: 5})                         // commit in flight …
			_, _ = n.reg.Request(context.Background(), "counter", id, Boom{}) // … then a panic
			if got := request(t, n.reg, id, Get{}); got != 5 {
				t.Fatalf("%s: reactivated with %v, want 5", id, got)
			}
		}
	})
}

// TestStandaloneListensNowhere: a standalone node has no remote, refuses
// the settings that only make sense in a cluster, and still hosts node
// handlers.
func TestStandaloneListensNowhere(t *testing.T) {
	eachDB(t, func(t *testing.T, db *persistence.DB) {
		got := make(chan int, 1)
		q := writebehind.New(db, writebehind.Options{})
		reg := registry.New(registry.Config{Store: q, Standalone: true})
		reg.Register(registry.Kind{Name: "counter", New: func(id string) registry.Entity { return &counter{id: id, activations: &atomic.Int32{}} }})
		reg.HandleNode("ping", func(msg any) {
			if p, ok := msg.(NodePing); ok {
				got <- p.N
			}
		})
		if err := reg.Start(); err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { reg.Stop(context.Background()); q.Close(context.Background()) })
		n := node{reg: reg}
		if err := reg.BroadcastNodes("ping", NodePing{N: 4}); err != nil {
			t.Fatal(err)
		}
		if v := <-got; v != 4 {
			t.Fatalf("node handler got %d, want 4", v)
		}
		if got := request(t, reg, "s1", Inc{By: 2}); got != 2 {
			t.Fatalf("entity on a standalone node: %v, want 2", got)
		}
		if addr := n.reg.Address(); addr != n.reg.Engine().Address() || strings.Contains(addr, ":") {
			t.Fatalf("standalone address %q: want the engine's local address, no host:port", addr)
		}
		if m := n.reg.Members(); len(m) != 1 {
			t.Fatalf("members = %v, want only this node", m)
		}
		for _, bad := range []registry.Config{
			{Standalone: true, Seeds: []string{"127.0.0.1:1"}},
			{Standalone: true, AdvertiseAddr: "127.0.0.1:1"},
		} {
			if err := registry.New(bad).Start(); err == nil {
				t.Errorf("Start(%+v) = nil, want an error", bad)
			}
		}
	})
}
