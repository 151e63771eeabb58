package user_test

import (
	"context"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/gamend-go/gamend/actors/user"
	"github.com/gamend-go/gamend/persistence"
	"github.com/gamend-go/gamend/persistence/persistencetest"
)

func (w world) exec(t *testing.T, q string, args ...any) {
	t.Helper()
	if _, err := w.db.Exec(context.Background(), q, args...); err != nil {
		t.Fatalf("%s: %v", q, err)
	}
}

func (w world) lastSeen(t *testing.T, id string) time.Time {
	t.Helper()
	var ts *time.Time
	if err := w.db.QueryRow(context.Background(), `SELECT last_seen_at FROM users WHERE id = ?`, id).Scan(&ts); err != nil {
		t.Fatal(err)
	}
	if ts == nil {
		return time.Time{}
	}
	return *ts
}

func (w world) subscribe(t *testing.T, id, key string) user.Subscriber {
	t.Helper()
	s := user.Subscriber{Node: w.reg.NodeID(), Key: key}
	if _, err := w.reg.Request(context.Background(), user.Kind, id, user.Subscribe{Sub: s}); err != nil {
		t.Fatal(err)
	}
	return s
}

// befriend stores an accepted friendship.
func (w world) befriend(t *testing.T, a, b string) string {
	t.Helper()
	id, now := persistence.NewID(), persistence.Now()
	w.exec(t, `INSERT INTO friendships (id, requester_id, target_id, status, inserted_at, updated_at) VALUES (?, ?, ?, 'accepted', ?, ?)`, id, a, b, now, now)
	return id
}

// TestLastSeenRefreshed: while a user is online the actor moves
// last_seen_at forward every RefreshEvery (3 min in production, well
// inside the sweeper's 300 s), and stops once the user is offline.
func TestLastSeenRefreshed(t *testing.T) {
	persistencetest.Dialects(t, func(t *testing.T, tg persistencetest.Target) {
		w := newWorldWith(t, tg, user.PresenceOptions{Grace: 20 * time.Millisecond, RefreshEvery: 100 * time.Millisecond})
		id := w.newUser(t)
		sub := w.subscribe(t, id, "a")
		first := w.lastSeen(t, id)
		if first.IsZero() {
			t.Fatal("no last_seen_at after going online")
		}
		// Two refreshes, each later than the one before.
		prev := first
		for range 2 {
			waitFor(t, "last_seen_at refreshed", func() bool { return w.lastSeen(t, id).After(prev) })
			prev = w.lastSeen(t, id)
		}
		if !w.online(t, id) {
			t.Fatal("refresh left the user offline")
		}
		_ = w.reg.Send(user.Kind, id, user.Unsubscribe{Sub: sub})
		waitFor(t, "offline", func() bool { return !w.online(t, id) })
		// The actor passivates: no refresh timer keeps it alive.
		waitFor(t, "passivation", func() bool { return !w.reg.Active(user.Kind, id) })
	})
}

type hookLog struct {
	mu  sync.Mutex
	got []user.PresenceChange
}

func (h *hookLog) hook(_ context.Context, ch user.PresenceChange) {
	h.mu.Lock()
	h.got = append(h.got, ch)
	h.mu.Unlock()
}

// wait returns the first change of userID of the given kind.
func (h *hookLog) wait(t *testing.T, userID string, change user.Change) user.PresenceChange {
	t.Helper()
	var out user.PresenceChange
	waitFor(t, "presence hook", func() bool {
		h.mu.Lock()
		defer h.mu.Unlock()
		for _, ch := range h.got {
			if ch.User.ID == userID && ch.Change == change {
				out = ch
				return true
			}
		}
		return false
	})
	return out
}

func (h *hookLog) count(userID string, change user.Change) int {
	h.mu.Lock()
	defer h.mu.Unlock()
	n := 0
	for _, ch := range h.got {
		if ch.User.ID == userID && ch.Change == change {
			n++
		}
	}
	return n
}

// TestPresenceHooksSeeMemberships: with fixture rows (a lobby, a party,
// group memberships) the presence hooks get online, updated and offline
// with the lobby, party and groups the user belongs to at that moment,
// for connected users and for a profile change of a user who is not.
func TestPresenceHooksSeeMemberships(t *testing.T) {
	persistencetest.Dialects(t, func(t *testing.T, tg persistencetest.Target) {
		hl := &hookLog{}
		w := newWorldWith(t, tg, user.PresenceOptions{Grace: 20 * time.Millisecond})
		w.p.AddHook(hl.hook)
		alice, bob, carol := w.newUser(t), w.newUser(t), w.newUser(t)
		now := persistence.Now()
		lobby, party, g1, g2 := persistence.NewID(), persistence.NewID(), persistence.NewID(), persistence.NewID()
		w.exec(t, `INSERT INTO lobbies (id, title, host_id, inserted_at, updated_at) VALUES (?, 'Arena', ?, ?, ?)`, lobby, alice, now, now)
		w.exec(t, `INSERT INTO parties (id, leader_id, inserted_at, updated_at) VALUES (?, ?, ?, ?)`, party, alice, now, now)
		for _, g := range []string{g1, g2} {
			w.exec(t, `INSERT INTO groups (id, title, inserted_at, updated_at) VALUES (?, ?, ?, ?)`, g, "g-"+g, now, now)
			w.exec(t, `INSERT INTO group_members (id, group_id, user_id, role, inserted_at, updated_at) VALUES (?, ?, ?, 'member', ?, ?)`,
				persistence.NewID(), g, alice, now, now)
		}
		w.exec(t, `INSERT INTO group_members (id, group_id, user_id, role, inserted_at, updated_at) VALUES (?, ?, ?, 'admin', ?, ?)`,
			persistence.NewID(), g2, carol, now, now)
		w.exec(t, `UPDATE users SET lobby_id = ?, party_id = ? WHERE id = ?`, lobby, party, alice)
		w.exec(t, `UPDATE users SET lobby_id = ? WHERE id = ?`, lobby, bob)
		groups := []string{g1, g2}
		slices.Sort(groups)

		sub := w.subscribe(t, alice, "a")
		on := hl.wait(t, alice, user.WentOnline)
		if on.User.LobbyID != lobby || on.User.PartyID != party || !slices.Equal(on.GroupIDs, groups) || !on.User.IsOnline {
			t.Fatalf("online: lobby %q party %q groups %v online %v", on.User.LobbyID, on.User.PartyID, on.GroupIDs, on.User.IsOnline)
		}
		if on.User.HashedPassword != "" {
			t.Fatal("hook got the password hash")
		}
		bsub := w.subscribe(t, bob, "b")
		if b := hl.wait(t, bob, user.WentOnline); b.User.LobbyID != lobby || b.User.PartyID != "" || b.GroupIDs != nil {
			t.Fatalf("bob online: lobby %q party %q groups %v", b.User.LobbyID, b.User.PartyID, b.GroupIDs)
		}

		// Alice leaves the party and one group, then changes her profile.
		w.exec(t, `UPDATE users SET party_id = NULL, display_name = 'Alice' WHERE id = ?`, alice)
		w.exec(t, `DELETE FROM group_members WHERE group_id = ? AND user_id = ?`, g1, alice)
		w.p.ProfileChanged(alice)
		up := hl.wait(t, alice, user.ProfileUpdated)
		if up.User.DisplayName != "Alice" || up.User.PartyID != "" || up.User.LobbyID != lobby || !slices.Equal(up.GroupIDs, []string{g2}) || !up.User.IsOnline {
			t.Fatalf("updated: %+v groups %v", up.User, up.GroupIDs)
		}

		_ = w.reg.Send(user.Kind, alice, user.Unsubscribe{Sub: sub})
		off := hl.wait(t, alice, user.WentOffline)
		if off.User.IsOnline || off.User.LobbyID != lobby || !slices.Equal(off.GroupIDs, []string{g2}) {
			t.Fatalf("offline: %+v groups %v", off.User, off.GroupIDs)
		}

		// A user who is not connected: the change is announced directly.
		w.exec(t, `UPDATE users SET display_name = 'Carol' WHERE id = ?`, carol)
		w.p.ProfileChanged(carol)
		if c := hl.wait(t, carol, user.ProfileUpdated); c.User.DisplayName != "Carol" || c.User.IsOnline || !slices.Equal(c.GroupIDs, []string{g2}) {
			t.Fatalf("offline user's update: %+v groups %v", c.User, c.GroupIDs)
		}
		_ = w.reg.Send(user.Kind, bob, user.Unsubscribe{Sub: bsub})
		hl.wait(t, bob, user.WentOffline)
		if n := hl.count(alice, user.WentOnline); n != 1 {
			t.Fatalf("alice announced online %d times", n)
		}
	})
}

// TestSweeperAnnouncesOffline: a user the sweeper writes offline (their
// node died: no actor refreshes them) is announced like any user going
// offline, to friends (friend_updated with is_online false) and to the
// presence hooks. A user whose actor is still online is written back
// online and not announced.
func TestSweeperAnnouncesOffline(t *testing.T) {
	persistencetest.Dialects(t, func(t *testing.T, tg persistencetest.Target) {
		hl := &hookLog{}
		w := newWorldWith(t, tg, user.PresenceOptions{Grace: time.Hour})
		w.p.AddHook(hl.hook)
		sw := user.StartSweeper(w.q, user.SweeperOptions{Every: time.Hour, Presence: w.p})
		t.Cleanup(sw.Stop)
		ghost, friend, live := w.newUser(t), w.newUser(t), w.newUser(t)
		fsID := w.befriend(t, ghost, friend)
		w.befriend(t, live, friend)
		// friend is connected; ghost was left online by a dead node.
		fsub := w.subscribe(t, friend, "f")
		w.subscribe(t, live, "l")
		stale := persistence.Now().Add(-10 * time.Minute)
		w.exec(t, `UPDATE users SET is_online = ?, last_seen_at = ? WHERE id = ?`, true, stale, ghost)
		// live's actor is online, but its row looks stale (a refresh that
		// fell behind).
		w.exec(t, `UPDATE users SET last_seen_at = ? WHERE id = ?`, stale, live)

		n, err := sw.Sweep(context.Background())
		if err != nil || n != 2 {
			t.Fatalf("sweep: n=%d err=%v", n, err)
		}
		if w.online(t, ghost) {
			t.Fatal("ghost still online")
		}
		off := hl.wait(t, ghost, user.WentOffline)
		if off.User.IsOnline {
			t.Fatalf("offline hook: %+v", off.User)
		}
		waitFor(t, "friend told", func() bool {
			w.rec.mu.Lock()
			defer w.rec.mu.Unlock()
			for _, ev := range w.rec.evs[fsub] {
				for _, f := range ev.Friends {
					if f.User.ID == ghost && !f.User.IsOnline && f.FriendshipID == fsID {
						return true
					}
				}
			}
			return false
		})
		// live is back online with a fresh last_seen_at, announced to nobody.
		waitFor(t, "live written back online", func() bool { return w.online(t, live) && w.lastSeen(t, live).After(stale) })
		if hl.count(live, user.WentOffline) != 0 {
			t.Fatal("an online user was announced offline")
		}
		w.rec.mu.Lock()
		defer w.rec.mu.Unlock()
		for _, ev := range w.rec.evs[fsub] {
			for _, f := range ev.Friends {
				if f.User.ID == live && !f.User.IsOnline {
					t.Fatal("friend told that an online user went offline")
				}
			}
		}
	})
}
