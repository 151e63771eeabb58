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
