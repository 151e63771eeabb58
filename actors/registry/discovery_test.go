package registry_test

import (
	"context"
	"fmt"
	"sync/atomic"
	"testing"
	"time"

	"github.com/gamend-go/gamend/actors/registry"
	"github.com/gamend-go/gamend/persistence"
	"github.com/gamend-go/gamend/persistence/persistencetest"
	"github.com/gamend-go/gamend/persistence/writebehind"
)

// TestTableDiscoveryOnPostgres is the production way nodes find each
// other: no seeds, only the shared cluster_nodes table. Two registries on
// one PostgreSQL database discover each other through it, a call from B
// reaches an entity living on A, and a node that stops removes its row.
func TestTableDiscoveryOnPostgres(t *testing.T) {
	tg := persistencetest.Postgres(t) // skips without GAMEND_TEST_POSTGRES_URL
	db := tg.DB
	if _, err := db.Exec(context.Background(), `CREATE TABLE counters (id TEXT PRIMARY KEY, n INTEGER NOT NULL)`); err != nil {
		t.Fatal(err)
	}
	start := func(name string) (*registry.Registry, *atomic.Int32) {
		q := writebehind.New(db, writebehind.Options{})
		acts := &atomic.Int32{}
		reg := registry.New(registry.Config{
			NodeID: name, Store: q, RequestTimeout: 3 * time.Second, HeartbeatInterval: 50 * time.Millisecond,
			Discovery: registry.NewTableDiscovery(db, 5*time.Second),
		})
		reg.Register(registry.Kind{Name: "counter", New: func(id string) registry.Entity {
			return &counter{id: id, activations: acts}
		}})
		if err := reg.Start(); err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() {
			ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
			defer cancel()
			_ = reg.Stop(ctx)
			q.Close(ctx)
		})
		return reg, acts
	}
	a, actsA := start("node-a")
	b, actsB := start("node-b")
	waitFor(t, "members found through cluster_nodes", func() bool {
		return len(a.Members()) == 2 && len(b.Members()) == 2
	})
	if got := clusterRows(t, db); got != 2 {
		t.Fatalf("cluster_nodes rows = %d, want 2", got)
	}
	var addr string
	if err := db.QueryRow(context.Background(), `SELECT address FROM cluster_nodes WHERE node_id = ?`, "node-a").Scan(&addr); err != nil || addr != a.Address() {
		t.Fatalf("node-a announced %q (%v), want %q", addr, err, a.Address())
	}

	var onA string
	for i := 0; onA == ""; i++ {
		if owner, _ := b.Owner("counter", fmt.Sprint("d", i)); owner == "node-a" {
			onA = fmt.Sprint("d", i)
		}
	}
	v, err := b.Request(context.Background(), "counter", onA, Inc{By: 6})
	if err != nil || v != 6 {
		t.Fatalf("remote Inc from B = %v, %v; want 6", v, err)
	}
	if !a.Active("counter", onA) || b.Active("counter", onA) || actsA.Load() != 1 || actsB.Load() != 0 {
		t.Fatalf("%s must be activated on node A only (A %d, B %d activations)", onA, actsA.Load(), actsB.Load())
	}
	var stored int
	if err := db.QueryRow(context.Background(), `SELECT n FROM counters WHERE id = ?`, onA).Scan(&stored); err != nil || stored != 6 {
		t.Fatalf("stored %d (%v), want 6", stored, err)
	}

	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := b.Stop(ctx); err != nil {
		t.Fatal(err)
	}
	if got := clusterRows(t, db); got != 1 {
		t.Fatalf("cluster_nodes rows after node-b stopped = %d, want 1", got)
	}
	waitFor(t, "node-b dropped from A's members", func() bool { return len(a.Members()) == 1 })
}

func clusterRows(t *testing.T, db *persistence.DB) int {
	t.Helper()
	var n int
	if err := db.QueryRow(context.Background(), `SELECT count(*) FROM cluster_nodes`).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}
