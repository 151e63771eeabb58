package users_test

import (
	"context"
	"testing"
	"time"

	"github.com/gamend-go/gamend/persistence"
	"github.com/gamend-go/gamend/persistence/persistencetest"
	"github.com/gamend-go/gamend/persistence/users"
)

func TestCache(t *testing.T) {
	tg := persistencetest.SQLite(t)
	ctx := context.Background()
	id, now := persistence.NewID(), persistence.Now()
	if _, err := tg.DB.Exec(ctx, `INSERT INTO users (id, username, display_name, inserted_at, updated_at) VALUES (?, 'c', 'one', ?, ?)`, id, now, now); err != nil {
		t.Fatal(err)
	}
	c := users.NewCache(time.Hour, 2)
	r, err := c.Get(ctx, tg.DB, id)
	if err != nil || r.DisplayName != "one" {
		t.Fatalf("first get: %v %v", r, err)
	}
	if _, err := tg.DB.Exec(ctx, `UPDATE users SET display_name = 'two' WHERE id = ?`, id); err != nil {
		t.Fatal(err)
	}
	if r, _ := c.Get(ctx, tg.DB, id); r.DisplayName != "one" {
		t.Fatal("cached row not served")
	}
	c.Invalidate(id)
	if r, _ := c.Get(ctx, tg.DB, id); r.DisplayName != "two" {
		t.Fatal("invalidated row served")
	}
	short := users.NewCache(time.Millisecond, 10)
	short.Get(ctx, tg.DB, id)
	tg.DB.Exec(ctx, `UPDATE users SET display_name = 'three' WHERE id = ?`, id)
	time.Sleep(5 * time.Millisecond)
	if r, _ := short.Get(ctx, tg.DB, id); r.DisplayName != "three" {
		t.Fatal("expired row served")
	}
	if _, err := c.Get(ctx, tg.DB, persistence.NewID()); err != persistence.ErrNotFound {
		t.Fatalf("unknown user: %v", err)
	}
	var nilCache *users.Cache
	if r, err := nilCache.Get(ctx, tg.DB, id); err != nil || r == nil {
		t.Fatal("nil cache must read through")
	}
}

// pausedFill starts c.Get(id) on its own goroutine and returns once that
// read has loaded its row and is paused before storing it; release lets
// it finish and returns what Get returned.
func pausedFill(t *testing.T, c *users.Cache, db persistence.Querier, id string) (release func() *users.Row) {
	t.Helper()
	loaded, resume := persistencetest.PauseNextUserLoad(t, c, id)
	done := make(chan *users.Row, 1)
	go func() {
		r, err := c.Get(context.Background(), db, id)
		if err != nil {
			t.Errorf("paused fill: %v", err)
		}
		done <- r
	}()
	<-loaded
	return func() *users.Row {
		resume()
		return <-done
	}
}

// TestCacheFillRacingInvalidate (regression): a fill that read a row
// before a change and stored it after the change's Invalidate used to
// cache the stale row for the TTL (a revoked token then passed on this
// node). The interleavings are forced with the load hook; run with -race.
func TestCacheFillRacingInvalidate(t *testing.T) {
	persistencetest.Dialects(t, func(t *testing.T, tg persistencetest.Target) {
		ctx := context.Background()
		id, now := persistence.NewID(), persistence.Now()
		if _, err := tg.DB.Exec(ctx, `INSERT INTO users (id, username, display_name, token_version, inserted_at, updated_at) VALUES (?, 'r', 'r', 1, ?, ?)`, id, now, now); err != nil {
			t.Fatal(err)
		}
		revoke := func(c *users.Cache) {
			t.Helper()
			if _, err := tg.DB.Exec(ctx, `UPDATE users SET token_version = token_version + 1 WHERE id = ?`, id); err != nil {
				t.Fatal(err)
			}
			c.Invalidate(id)
		}
		version := func(c *users.Cache) int {
			t.Helper()
			r, err := c.Get(ctx, tg.DB, id)
			if err != nil {
				t.Fatal(err)
			}
			return r.TokenVersion
		}
		current := func() int {
			t.Helper()
			r, err := users.Get(ctx, tg.DB, id)
			if err != nil {
				t.Fatal(err)
			}
			return r.TokenVersion
		}

		t.Run("fill then invalidate then store", func(t *testing.T) {
			c := users.NewCache(time.Hour, 10)
			before := current()
			release := pausedFill(t, c, tg.DB, id)
			revoke(c)
			if r := release(); r.TokenVersion != before {
				t.Fatalf("the paused fill returned version %d, want the %d it read", r.TokenVersion, before)
			}
			if got := version(c); got != before+1 {
				t.Fatalf("cache serves version %d after the revocation, want %d", got, before+1)
			}
			// Fills that no Invalidate raced are still stored.
			if _, err := tg.DB.Exec(ctx, `UPDATE users SET display_name = 'unseen' WHERE id = ?`, id); err != nil {
				t.Fatal(err)
			}
			if r, _ := c.Get(ctx, tg.DB, id); r.DisplayName == "unseen" {
				t.Fatal("the fresh fill was not stored")
			}
		})

		t.Run("a later fill stores first", func(t *testing.T) {
			c := users.NewCache(time.Hour, 10)
			release := pausedFill(t, c, tg.DB, id)
			revoke(c)
			fresh := version(c) // a fill begun after the Invalidate: stored
			release()
			if got := version(c); got != fresh || got != current() {
				t.Fatalf("cache serves version %d, want %d", got, current())
			}
		})
	})
}
