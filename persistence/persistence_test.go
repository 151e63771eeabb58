package persistence_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/gamend-go/gamend/persistence"
	"github.com/gamend-go/gamend/persistence/persistencetest"
)

func TestMigrateIsIdempotentAndConventionsHold(t *testing.T) {
	persistencetest.Dialects(t, func(t *testing.T, tg persistencetest.Target) {
		ctx := context.Background()
		applied, err := tg.DB.Migrate(ctx)
		if err != nil || len(applied) != 0 {
			t.Fatalf("second Migrate applied %v, err %v", applied, err)
		}
		now := persistence.Now()
		id := persistence.NewID()
		_, err = tg.DB.Exec(ctx, `INSERT INTO users (id, email, username, metadata, is_admin, inserted_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?)`,
			id, "Ann@Example.com", "ann", `{"a":1}`, true, now, now)
		if err != nil {
			t.Fatal(err)
		}
		var (
			gotAt    time.Time
			meta     string
			isAdmin  bool
			activ    bool
			lastSeen *time.Time
		)
		err = tg.DB.QueryRow(ctx, `SELECT inserted_at, metadata, is_admin, is_activated, last_seen_at FROM users WHERE id = ?`, id).
			Scan(&gotAt, &meta, &isAdmin, &activ, &lastSeen)
		if err != nil {
			t.Fatal(err)
		}
		if !gotAt.Equal(now) || !isAdmin || !activ || lastSeen != nil || !strings.Contains(meta, `"a"`) {
			t.Fatalf("round trip: at=%v(%v) meta=%s admin=%v activated=%v lastSeen=%v", gotAt, now, meta, isAdmin, activ, lastSeen)
		}
		// Case-insensitive email uniqueness is classified as a unique violation.
		_, err = tg.DB.Exec(ctx, `INSERT INTO users (id, email, username, inserted_at, updated_at) VALUES (?, ?, ?, ?, ?)`,
			persistence.NewID(), "ann@example.COM", "ann2", now, now)
		detail, ok := persistence.IsUnique(err)
		if !ok || !strings.Contains(detail, "email") {
			t.Fatalf("duplicate email: ok=%v detail=%q err=%v", ok, detail, err)
		}
		_, err = tg.DB.Exec(ctx, `INSERT INTO users (id, username, inserted_at, updated_at) VALUES (?, ?, ?, ?)`,
			persistence.NewID(), "ann", now, now)
		if detail, ok := persistence.IsUnique(err); !ok || !strings.Contains(detail, "username") {
			t.Fatalf("duplicate username: ok=%v detail=%q err=%v", ok, detail, err)
		}
	})
}

func TestIDsAreTimeOrdered(t *testing.T) {
	prev := persistence.NewID()
	for range 10000 {
		id := persistence.NewID()
		if id <= prev || !persistence.ValidID(id) {
			t.Fatalf("id %s after %s", id, prev)
		}
		prev = id
	}
	if persistence.ValidID("nope") || persistence.ValidID("") {
		t.Fatal("ValidID accepted garbage")
	}
}

func TestSplitStatements(t *testing.T) {
	got := persistence.SplitStatements("-- c\nCREATE TABLE a (x int);\n\nCREATE INDEX i\n  ON a (x);\n")
	if len(got) != 2 || got[0] != "CREATE TABLE a (x int)" || !strings.HasPrefix(got[1], "CREATE INDEX i") {
		t.Fatalf("%q", got)
	}
}
