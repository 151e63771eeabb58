package user_test

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/gamend-go/gamend/actors/user"
	"github.com/gamend-go/gamend/auth"
	"github.com/gamend-go/gamend/persistence"
	"github.com/gamend-go/gamend/persistence/persistencetest"
	"github.com/gamend-go/gamend/persistence/users"
	"github.com/gamend-go/gamend/persistence/writebehind"
)

type fixture struct {
	db       *persistence.DB
	auth     *auth.Service
	profiles *user.Profiles

	mu        sync.Mutex
	updated   []string
	deleted   []string
	activated []string
}

func newFixture(t *testing.T, tg persistencetest.Target, opts auth.Options) *fixture {
	t.Helper()
	q := writebehind.New(tg.DB, writebehind.Options{})
	t.Cleanup(func() { q.Close(context.Background()) })
	opts.BcryptCost = 4
	f := &fixture{db: tg.DB, auth: auth.NewService(q, auth.NewTokens([]byte("secret")), opts), profiles: user.NewProfiles(q, user.Options{})}
	f.profiles.OnUpdated(func(id string) { f.mu.Lock(); f.updated = append(f.updated, id); f.mu.Unlock() })
	f.profiles.OnDeleted(func(id string) { f.mu.Lock(); f.deleted = append(f.deleted, id); f.mu.Unlock() })
	f.profiles.OnActivated(func(u *users.Row) { f.mu.Lock(); f.activated = append(f.activated, u.ID); f.mu.Unlock() })
	return f
}

func (f *fixture) events() (updated, deleted, activated int) {
	f.mu.Lock()
	defer f.mu.Unlock()
	return len(f.updated), len(f.deleted), len(f.activated)
}

func (f *fixture) newUser(t *testing.T, n users.New) *users.Row {
	t.Helper()
	u, err := f.auth.CreateUser(context.Background(), n)
	if err != nil {
		t.Fatal(err)
	}
	return u
}

func (f *fixture) exec(t *testing.T, q string, args ...any) {
	t.Helper()
	if _, err := f.db.Exec(context.Background(), q, args...); err != nil {
		t.Fatalf("%s: %v", q, err)
	}
}

func (f *fixture) count(t *testing.T, q string, args ...any) int {
	t.Helper()
	var n int
	if err := f.db.QueryRow(context.Background(), q, args...).Scan(&n); err != nil {
		t.Fatalf("%s: %v", q, err)
	}
	return n
}

func ptr[T any](v T) *T { return &v }

func TestProfilesUpdate(t *testing.T) {
	persistencetest.Dialects(t, func(t *testing.T, tg persistencetest.Target) {
		ctx := context.Background()
		f := newFixture(t, tg, auth.Options{RequireActivation: true})
		admin := f.newUser(t, users.New{Username: "admin-one"})
		bob := f.newUser(t, users.New{Username: "bob-1", DisplayName: "Bob"})
		if bob.IsActivated {
			t.Fatal("fixture: second user should start inactive")
		}

		row, err := f.profiles.Update(ctx, bob.ID, user.Changes{DisplayName: ptr("  Bobby  ")})
		if err != nil || row.DisplayName != "  Bobby  " {
			t.Fatalf("display name: %v %+v", err, row)
		}
		if !row.UpdatedAt.After(bob.UpdatedAt) && !row.UpdatedAt.Equal(bob.UpdatedAt) {
			t.Fatalf("updated_at went back: %v -> %v", bob.UpdatedAt, row.UpdatedAt)
		}
		if u, _, _ := f.events(); u != 1 {
			t.Fatalf("updated events %d, want 1", u)
		}

		row, err = f.profiles.Update(ctx, bob.ID, user.Changes{Username: ptr("New.Name")})
		if err != nil || row.Username != "new.name" {
			t.Fatalf("username: %v %+v", err, row)
		}

		_, err = f.profiles.Update(ctx, bob.ID, user.Changes{Username: ptr("ADMIN-ONE")})
		var verr *user.ValidationError
		if !errors.As(err, &verr) || fmt.Sprint(verr.Fields["username"]) != "[has already been taken]" {
			t.Fatalf("taken username: %v", err)
		}
		_, err = f.profiles.Update(ctx, bob.ID, user.Changes{Username: ptr("x"), DisplayName: ptr("ok")})
		if !errors.As(err, &verr) || len(verr.Fields) != 1 {
			t.Fatalf("invalid username: %v", err)
		}
		if got, _ := f.profiles.Get(ctx, bob.ID); got.Username != "new.name" || got.DisplayName != "  Bobby  " {
			t.Fatalf("a refused change was written: %+v", got)
		}
		if u, _, _ := f.events(); u != 2 {
			t.Fatalf("updated events %d after refused changes, want 2", u)
		}

		meta := map[string]any{"hat": "red", "level": float64(3), "tags": []any{"a"}}
		row, err = f.profiles.Update(ctx, bob.ID, user.Changes{IsActivated: ptr(true), IsAdmin: ptr(true), Metadata: meta})
		if err != nil || !row.IsActivated || !row.IsAdmin || fmt.Sprint(row.Metadata) != fmt.Sprint(meta) {
			t.Fatalf("admin update: %v %+v", err, row)
		}
		if _, _, a := f.events(); a != 1 {
			t.Fatalf("activated events %d, want 1", a)
		}
		row, err = f.profiles.Update(ctx, bob.ID, user.Changes{Metadata: map[string]any{}})
		if err != nil || len(row.Metadata) != 0 {
			t.Fatalf("metadata clear: %v %+v", err, row)
		}

		if _, err := f.profiles.Update(ctx, persistence.NewID(), user.Changes{DisplayName: ptr("x")}); !errors.Is(err, user.ErrNotFound) {
			t.Fatalf("unknown user: %v", err)
		}
		if _, err := f.profiles.Update(ctx, "not-a-uuid", user.Changes{DisplayName: ptr("x")}); !errors.Is(err, user.ErrNotFound) {
			t.Fatalf("bad id: %v", err)
		}
		if got, err := f.profiles.Update(ctx, admin.ID, user.Changes{}); err != nil || got.ID != admin.ID {
			t.Fatalf("empty change: %v", err)
		}
	})
}

func TestProfilesBeforeUpdate(t *testing.T) {
	persistencetest.Dialects(t, func(t *testing.T, tg persistencetest.Target) {
		ctx := context.Background()
		f := newFixture(t, tg, auth.Options{})
		u := f.newUser(t, users.New{})
		f.profiles.BeforeUpdate(func(_ context.Context, cur *users.Row, ch user.Changes) (user.Changes, error) {
			if ch.DisplayName != nil && *ch.DisplayName == "forbidden" {
				return ch, errors.New("name not allowed")
			}
			if ch.DisplayName != nil {
				ch.DisplayName = ptr("[" + *ch.DisplayName + "]")
			}
			return ch, nil
		})
		row, err := f.profiles.Update(ctx, u.ID, user.Changes{DisplayName: ptr("Ann")})
		if err != nil || row.DisplayName != "[Ann]" {
			t.Fatalf("pipeline: %v %+v", err, row)
		}
		_, err = f.profiles.Update(ctx, u.ID, user.Changes{DisplayName: ptr("forbidden")})
		var rej *user.RejectedError
		if !errors.As(err, &rej) || rej.Reason != "name not allowed" {
			t.Fatalf("rejection: %v", err)
		}
	})
}

func TestProfilesDelete(t *testing.T) {
	persistencetest.Dialects(t, func(t *testing.T, tg persistencetest.Target) {
		ctx := context.Background()
		f := newFixture(t, tg, auth.Options{})
		admin := f.newUser(t, users.New{Email: "admin@example.com"})
		gone := f.newUser(t, users.New{Email: "gone@example.com", DeviceID: "dev-gone"})
		friend := f.newUser(t, users.New{})
		now := persistence.Now()
		party, lobby, group := persistence.NewID(), persistence.NewID(), persistence.NewID()
		f.exec(t, `INSERT INTO parties (id, leader_id, inserted_at, updated_at) VALUES (?, ?, ?, ?)`, party, gone.ID, now, now)
		f.exec(t, `UPDATE users SET party_id = ? WHERE id IN (?, ?)`, party, gone.ID, friend.ID)
		f.exec(t, `INSERT INTO lobbies (id, title, host_id, inserted_at, updated_at) VALUES (?, 'l', ?, ?, ?)`, lobby, gone.ID, now, now)
		f.exec(t, `INSERT INTO groups (id, title, creator_id, inserted_at, updated_at) VALUES (?, 'g', ?, ?, ?)`, group, gone.ID, now, now)
		f.exec(t, `INSERT INTO notifications (id, sender_id, recipient_id, title, inserted_at, updated_at) VALUES (?, ?, ?, 't', ?, ?)`, persistence.NewID(), admin.ID, gone.ID, now, now)
		f.exec(t, `INSERT INTO users_tokens (id, user_id, token, context, inserted_at) VALUES (?, ?, ?, 'session', ?)`, persistence.NewID(), gone.ID, []byte("tok"), now)
		f.exec(t, `INSERT INTO chat_messages (id, content, sender_id, chat_type, chat_ref_id, inserted_at, updated_at) VALUES (?, 'hi', ?, 'friend', ?, ?, ?)`,
			persistence.NewID(), friend.ID, gone.ID, now, now)

		var order []string
		f.profiles.BeforeDelete(func(_ context.Context, u *users.Row) error { order = append(order, "before:"+u.Email); return nil })
		f.profiles.DeleteInTx(func(ctx context.Context, tx *persistence.Tx, u *users.Row) error {
			order = append(order, "tx")
			_, err := tx.Exec(ctx, `DELETE FROM chat_messages WHERE chat_type = 'friend' AND chat_ref_id = ?`, u.ID)
			return err
		})
		if err := f.profiles.Delete(ctx, gone.ID); err != nil {
			t.Fatal(err)
		}
		if fmt.Sprint(order) != "[before:gone@example.com tx]" {
			t.Fatalf("hook order %v", order)
		}
		if _, err := f.profiles.Get(ctx, gone.ID); !errors.Is(err, user.ErrNotFound) {
			t.Fatalf("user still there: %v", err)
		}
		for _, c := range []struct {
			q    string
			arg  string
			want int
		}{
			{`SELECT count(*) FROM parties WHERE id = ?`, party, 0}, // a led party cascades
			{`SELECT count(*) FROM users WHERE id = ? AND party_id IS NULL`, friend.ID, 1},
			{`SELECT count(*) FROM lobbies WHERE id = ? AND host_id IS NULL`, lobby, 1},
			{`SELECT count(*) FROM groups WHERE id = ? AND creator_id IS NULL`, group, 1},
			{`SELECT count(*) FROM notifications WHERE recipient_id = ?`, gone.ID, 0},
			{`SELECT count(*) FROM users_tokens WHERE user_id = ?`, gone.ID, 0},
			{`SELECT count(*) FROM chat_messages WHERE chat_type = 'friend' AND chat_ref_id = ?`, gone.ID, 0}, // DeleteInTx
		} {
			if got := f.count(t, c.q, c.arg); got != c.want {
				t.Errorf("%s [%s] = %d, want %d", c.q, c.arg, got, c.want)
			}
		}
		if _, d, _ := f.events(); d != 1 {
			t.Fatalf("deleted events %d", d)
		}
		if err := f.profiles.Delete(ctx, gone.ID); !errors.Is(err, user.ErrNotFound) {
			t.Fatalf("second delete: %v", err)
		}
		// The device id is free again.
		if _, _, err := f.auth.LoginDevice(ctx, "dev-gone"); err != nil {
			t.Fatalf("device reuse: %v", err)
		}

		f.profiles.BeforeDelete(func(context.Context, *users.Row) error { return errors.New("still in a match") })
		if err := f.profiles.Delete(ctx, friend.ID); !errors.Is(err, user.ErrDeleteRefused) {
			t.Fatalf("refused delete: %v", err)
		}
		if _, err := f.profiles.Get(ctx, friend.ID); err != nil {
			t.Fatalf("refused delete removed the user: %v", err)
		}
	})
}

func TestProfilesSearchAndList(t *testing.T) {
	persistencetest.Dialects(t, func(t *testing.T, tg persistencetest.Target) {
		ctx := context.Background()
		f := newFixture(t, tg, auth.Options{})
		mk := func(username, display, email string) *users.Row {
			u := f.newUser(t, users.New{Username: username, DisplayName: display, Email: email})
			time.Sleep(2 * time.Millisecond) // distinct inserted_at for the newest-first order
			return u
		}
		alice := mk("alice", "Alice Liddell", "alice@example.com")
		_ = mk("alfred", "", "")
		pct := mk("pct", "50%off", "")
		_ = mk("pcx", "50xoff", "")
		und := mk("under_score", "", "")
		_ = mk("underxscore", "", "")
		zed := mk("zed", "Alpha Zed", "secret-zed@example.com")

		names := func(rows []*users.Row) string {
			out := ""
			for _, r := range rows {
				out += r.Username + " "
			}
			return out
		}
		tests := []struct {
			q             string
			limit, offset int
			want          string
			total         int
		}{
			{"", 25, 0, "", 0},
			{"   ", 25, 0, "", 0},
			{"al", 25, 0, "alfred alice zed ", 3}, // display "Alpha Zed" matches, ordered by username
			{"AL", 2, 0, "alfred alice ", 3},
			{"AL", 2, 2, "zed ", 3},
			{"50%", 25, 0, "pct ", 1},            // % is literal
			{"under_", 25, 0, "under_score ", 1}, // _ is literal
			{"UNDER_", 25, 0, "under_score ", 1}, // username (stored lower-case) matched by a lower-cased pattern
			{"Pc", 25, 0, "pct pcx ", 2},         // username only
			{"liddell", 25, 0, "", 0},            // prefix only
			{"secret", 25, 0, "", 0},             // e-mail never searched
			{zed.ID, 25, 0, "zed ", 1},
			{alice.ID[:8], 25, 0, "", 0},
		}
		for _, tt := range tests {
			rows, total, err := f.profiles.Search(ctx, tt.q, tt.limit, tt.offset)
			if err != nil {
				t.Fatalf("Search(%q): %v", tt.q, err)
			}
			if got := names(rows); got != tt.want || total != tt.total {
				t.Errorf("Search(%q, %d, %d) = %q (total %d), want %q (total %d)", tt.q, tt.limit, tt.offset, got, total, tt.want, tt.total)
			}
		}
		// A user whose display name is a prefix of their own id is found
		// once and counted once.
		if _, err := f.profiles.Update(ctx, pct.ID, user.Changes{DisplayName: ptr(pct.ID)}); err != nil {
			t.Fatal(err)
		}
		rows, total, _ := f.profiles.Search(ctx, pct.ID, 25, 0)
		if names(rows) != "pct " || total != 1 {
			t.Errorf("dedup: %q total %d", names(rows), total)
		}

		list := []struct {
			q     string
			want  string
			total int
		}{
			{"", "zed underxscore under_score pcx pct alfred alice ", 7},
			{"SECRET-zed", "zed ", 1},
			{"under_", "under_score ", 1},
			{und.ID, "under_score ", 1},
		}
		for _, tt := range list {
			rows, total, err := f.profiles.List(ctx, user.ListQuery{Q: tt.q, Limit: 25})
			if err != nil {
				t.Fatal(err)
			}
			if got := names(rows); got != tt.want || total != tt.total {
				t.Errorf("List(%q) = %q (total %d), want %q (total %d)", tt.q, got, total, tt.want, tt.total)
			}
		}
	})
}
