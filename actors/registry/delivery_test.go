package registry_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/gamend-go/gamend/actors/registry"
	"github.com/gamend-go/gamend/persistence"
	"github.com/gamend-go/gamend/persistence/writebehind"
)

// TestLocalDeliveryRefusesUnregisteredTypes: a message or reply type that
// could not cross nodes fails on a single node too, with a clear error,
// instead of working locally and failing only in a cluster.
func TestLocalDeliveryRefusesUnregisteredTypes(t *testing.T) {
	eachDB(t, func(t *testing.T, db *persistence.DB) {
		n := newNode(t, db, time.Hour)
		type unregistered struct{ By int }

		_, err := n.reg.Request(context.Background(), "counter", "u1", unregistered{By: 1})
		if !errors.Is(err, registry.ErrUnregisteredMessage) {
			t.Fatalf("local request with an unregistered type = %v, want ErrUnregisteredMessage", err)
		}
		if err := n.reg.Send("counter", "u1", unregistered{By: 1}); !errors.Is(err, registry.ErrUnregisteredMessage) {
			t.Fatalf("local send with an unregistered type = %v, want ErrUnregisteredMessage", err)
		}
		if err := n.reg.SendIfActive("counter", "u1", unregistered{}); !errors.Is(err, registry.ErrUnregisteredMessage) {
			t.Fatalf("local SendIfActive with an unregistered type = %v, want ErrUnregisteredMessage", err)
		}
		if a := n.activations.Load(); a != 0 {
			t.Fatalf("a refused message activated the entity (%d activations)", a)
		}
		if err := n.reg.SendNode(n.reg.NodeID(), "any", unregistered{}); !errors.Is(err, registry.ErrUnregisteredMessage) {
			t.Fatalf("SendNode to self with an unregistered type = %v", err)
		}
		if err := n.reg.BroadcastNodes("any", unregistered{}); !errors.Is(err, registry.ErrUnregisteredMessage) {
			t.Fatalf("BroadcastNodes with an unregistered type = %v", err)
		}

		// A registered request whose reply type is not registered.
		request(t, n.reg, "u2", Inc{By: 3})
		_, err = n.reg.Request(context.Background(), "counter", "u2", LocalReply{})
		if !errors.Is(err, registry.ErrUnregisteredMessage) {
			t.Fatalf("local reply of an unregistered type = %v, want ErrUnregisteredMessage", err)
		}
		// The error names the type, so the fix is obvious.
		if want := "registry_test.localOnly"; err == nil || !strings.Contains(err.Error(), want) {
			t.Fatalf("error %q does not name %s", err, want)
		}
		// Registered types keep working, and the entity is unharmed.
		if got := request(t, n.reg, "u2", Get{}); got != 3 {
			t.Fatalf("after refused reply: %v, want 3", got)
		}
	})
}

// TestRequestReturnsAtDeadline: an entity that never answers leaves the
// caller with its context deadline (or the registry's RequestTimeout when
// the context has none), locally and across nodes, and the entity keeps
// serving other messages.
func TestRequestReturnsAtDeadline(t *testing.T) {
	eachDB(t, func(t *testing.T, db *persistence.DB) {
		const deadline = 150 * time.Millisecond
		a := newNode(t, db, time.Hour)
		b := newNode(t, db, time.Hour, a.reg.Address())
		waitFor(t, "both members", func() bool { return len(a.reg.Members()) == 2 && len(b.reg.Members()) == 2 })
		var onA string
		for i := 0; onA == ""; i++ {
			if owner, _ := b.reg.Owner("counter", fmt.Sprint("h", i)); owner == a.reg.NodeID() {
				onA = fmt.Sprint("h", i)
			}
		}
		for _, tc := range []struct {
			name string
			from *registry.Registry
		}{{"local", a.reg}, {"remote", b.reg}} {
			t.Run(tc.name, func(t *testing.T) {
				ctx, cancel := context.WithTimeout(context.Background(), deadline)
				defer cancel()
				start := time.Now()
				_, err := tc.from.Request(ctx, "counter", onA, Hang{})
				elapsed := time.Since(start)
				if !errors.Is(err, context.DeadlineExceeded) {
					t.Fatalf("request to a silent entity = %v, want context.DeadlineExceeded", err)
				}
				if elapsed < deadline {
					t.Fatalf("returned after %v, before the %v deadline", elapsed, deadline)
				}
				if elapsed > deadline+5*time.Second {
					t.Fatalf("returned after %v, long past the %v deadline", elapsed, deadline)
				}
				if got := request(t, tc.from, onA, Get{}); got != 0 {
					t.Fatalf("entity after a dropped reply: %v", got)
				}
			})
		}

		// Without a deadline on ctx, RequestTimeout applies.
		q := writebehind.New(db, writebehind.Options{})
		reg := registry.New(registry.Config{Store: q, RequestTimeout: deadline})
		reg.Register(registry.Kind{Name: "counter", New: func(id string) registry.Entity {
			return &counter{id: id, activations: &atomic.Int32{}}
		}})
		if err := reg.Start(); err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { reg.Stop(context.Background()); q.Close(context.Background()) })
		start := time.Now()
		_, err := reg.Request(context.Background(), "counter", "silent", Hang{})
		if !errors.Is(err, context.DeadlineExceeded) || time.Since(start) < deadline {
			t.Fatalf("request without a ctx deadline = %v after %v, want DeadlineExceeded after RequestTimeout %v", err, time.Since(start), deadline)
		}
	})
}
