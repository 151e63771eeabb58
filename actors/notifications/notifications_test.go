package notifications_test

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/gamend-go/gamend/actors/notifications"
	"github.com/gamend-go/gamend/persistence"
	"github.com/gamend-go/gamend/persistence/persistencetest"
	"github.com/gamend-go/gamend/persistence/writebehind"
)

type recorder struct {
	mu  sync.Mutex
	got []notifications.Notification
}

func (r *recorder) NotificationCreated(n notifications.Notification) {
	r.mu.Lock()
	r.got = append(r.got, n)
	r.mu.Unlock()
}

func newUser(t testing.TB, db *persistence.DB, name string) string {
	t.Helper()
	id, now := persistence.NewID(), persistence.Now()
	if _, err := db.Exec(context.Background(), `INSERT INTO users (id, username, display_name, inserted_at, updated_at) VALUES (?, ?, ?, ?, ?)`,
		id, name, name, now, now); err != nil {
		t.Fatal(err)
	}
	return id
}

// newService is the notification service over tg's database with a
// recorder as its pusher; the write-behind queue closes with the test.
func newService(t *testing.T, tg persistencetest.Target) (*notifications.Service, *recorder) {
	t.Helper()
	q := writebehind.New(tg.DB, writebehind.Options{})
	t.Cleanup(func() { q.Close(context.Background()) })
	svc := notifications.New(q, notifications.Limits{})
	rec := &recorder{}
	svc.SetPusher(rec)
	return svc, rec
}

func TestSystemNotificationsCountRetractAndPush(t *testing.T) {
	persistencetest.Dialects(t, func(t *testing.T, tg persistencetest.Target) {
		ctx := context.Background()
		svc, rec := newService(t, tg)
		alice, bob := newUser(t, tg.DB, "alice"), newUser(t, tg.DB, "bob")

		// Chat notifications count messages in one row per chat.
		for range 3 {
			if _, err := svc.CreateCounting(ctx, notifications.ChatFriend(bob)); err != nil {
				t.Fatal(err)
			}
		}
		list, total, err := svc.List(ctx, bob, 10, 0)
		if err != nil || total != 1 || list[0].Metadata["message_count"] != float64(3) || list[0].Metadata["type"] != "chat_friend" {
			t.Fatalf("counting: total=%d list=%+v err=%v", total, list, err)
		}
		// Concurrent counting is atomic.
		var wg sync.WaitGroup
		for range 10 {
			wg.Add(1)
			go func() { defer wg.Done(); svc.CreateCounting(ctx, notifications.ChatGroup(bob, "g1", "Guild")) }()
		}
		wg.Wait()
		n, _ := svc.Latest(ctx, bob, 50)
		if len(n) != 2 || n[1].Metadata["message_count"] != float64(10) || n[1].Title != "New messages from Guild" {
			t.Fatalf("concurrent counting: %+v", n)
		}

		// A friend request notification is retracted by its friendship id.
		fr := notifications.FriendRequest(alice, "alice", bob, "f-1")
		created, err := svc.Create(ctx, fr)
		if err != nil || created.Title != "alice sent you a friend request" || created.SenderName != "alice" {
			t.Fatalf("friend request: %+v %v", created, err)
		}
		if err := svc.RetractType(ctx, bob, notifications.TypeFriendRequest, "friendship_id", "f-1"); err != nil {
			t.Fatal(err)
		}
		if _, err := svc.Get(ctx, bob, created.ID); err != notifications.ErrNotFound {
			t.Fatalf("retracted notification still there: %v", err)
		}
		rec.mu.Lock()
		pushed := len(rec.got)
		rec.mu.Unlock()
		if pushed != 3+10+1 {
			t.Fatalf("pushed %d notifications, want 14", pushed)
		}
	})
}

func TestCatalogTitles(t *testing.T) {
	g := notifications.GroupRef{ID: "g", Name: "Cool Guild"}
	tests := []struct {
		c          notifications.Create
		title, typ string
		metaKey    string
		metaValue  any
	}{
		{notifications.FriendRequest("u1", "", "u2", "f"), "User #u1 sent you a friend request", "friend_request", "friendship_id", "f"},
		{notifications.FriendAccepted("u2", "Bo", "u1", "f"), "Bo accepted your friend request", "friend_accepted", "friendship_id", "f"},
		{notifications.FriendRejected("u2", "Bo", "u1", "f"), "Bo declined your friend request", "friend_rejected", "friendship_id", "f"},
		{notifications.GroupInvite(g, "a", "Al", "b", "Bo"), "Invited to Cool Guild", "group_invite", "sender_name", "Al"},
		{notifications.GroupInviteDeclined(g, "b", "Bo", "a", true), "Bo couldn't join Cool Guild — full", "group_invite_declined", "reason", "full"},
		{notifications.GroupJoinRequestApproved(g, "a", "Al", "b"), "Approved to join Cool Guild", "group_join_request_approved", "admin_name", "Al"},
		{notifications.GroupKicked(g, "a", "b"), "Removed from Cool Guild", "group_kicked", "group_name", "Cool Guild"},
		{notifications.PartyInviteDeclined("p", "b", "Bo", "a", true), "Bo couldn't join — party full", "party_invite_declined", "reason", "party_full"},
		{notifications.PartyKicked("p", "a", "b"), "Removed from party", "party_kicked", "party_id", "p"},
		{notifications.LobbyKicked("l", "Arena", "a", "b"), "Removed from Arena", "lobby_kicked", "lobby_name", "Arena"},
		{notifications.AchievementUnlocked("u", "ach", "first", "First!", true), "Secret achievement unlocked", "achievement_unlocked", "achievement_slug", "first"},
		{notifications.ChatParty("u", "p"), "New message in party", "chat_party", "chat_type", "party"},
	}
	for _, tt := range tests {
		if tt.c.Title != tt.title || tt.c.Metadata["type"] != tt.typ || tt.c.Metadata[tt.metaKey] != tt.metaValue || tt.c.Content != "" {
			t.Errorf("%s: got title %q meta %v", tt.typ, tt.c.Title, tt.c.Metadata)
		}
	}
	n := notifications.GroupNotify(g, "a", "b", "", "hi", map[string]any{"x": 1})
	if n.Title != "Group Notification" || n.Metadata["group_id"] != "g" || n.Metadata["type"] != nil {
		t.Errorf("group notify: %+v", n)
	}
	types := notifications.NewTypes()
	if !types.Known("chat_lobby") || types.Known("bogus") {
		t.Error("type registry")
	}
	types.Register("plugin_gift")
	if !types.Known("plugin_gift") {
		t.Error("plugin type")
	}
}

// TestRetract: Retract deletes exactly the notification keyed (sender,
// recipient, title) — not the same title from another sender, nor another
// title — and pushes nothing: API.md §8 retractions delete the row and
// §5.4 has no live event for it (clients drop it on their next list).
// Retracting what is not there is not an error.
func TestRetract(t *testing.T) {
	persistencetest.Dialects(t, func(t *testing.T, tg persistencetest.Target) {
		ctx := context.Background()
		svc, rec := newService(t, tg)
		alice, bob, carol := newUser(t, tg.DB, "alice"), newUser(t, tg.DB, "bob"), newUser(t, tg.DB, "carol")
		invite, err := svc.Create(ctx, notifications.PartyInvite("p1", alice, "alice", bob, "bob"))
		if err != nil {
			t.Fatal(err)
		}
		keep := []notifications.Create{
			{SenderID: carol, RecipientID: bob, Title: invite.Title},   // same title, other sender
			{SenderID: alice, RecipientID: bob, Title: "other title"},  // same pair, other title
			{SenderID: alice, RecipientID: carol, Title: invite.Title}, // same sender and title, other recipient
		}
		for _, c := range keep {
			if _, err := svc.Create(ctx, c); err != nil {
				t.Fatal(err)
			}
		}
		rec.mu.Lock()
		pushed := len(rec.got)
		rec.mu.Unlock()

		if err := svc.Retract(ctx, alice, bob, invite.Title); err != nil {
			t.Fatal(err)
		}
		if _, err := svc.Get(ctx, bob, invite.ID); err != notifications.ErrNotFound {
			t.Fatalf("retracted notification still there: %v", err)
		}
		list, total, err := svc.List(ctx, bob, 10, 0)
		if err != nil || total != 2 {
			t.Fatalf("bob keeps %d notifications (%v), want 2: %+v", total, err, list)
		}
		for _, n := range list {
			if n.SenderID == alice && n.Title == invite.Title {
				t.Fatalf("retracted notification listed: %+v", n)
			}
		}
		if _, total, _ := svc.List(ctx, carol, 10, 0); total != 1 {
			t.Fatalf("carol keeps %d notifications, want 1", total)
		}
		if err := svc.Retract(ctx, alice, bob, invite.Title); err != nil {
			t.Fatalf("retracting again: %v", err)
		}
		rec.mu.Lock()
		defer rec.mu.Unlock()
		if len(rec.got) != pushed {
			t.Fatalf("retraction pushed %d notifications", len(rec.got)-pushed)
		}
	})
}

// An upsert on (sender, recipient, title) updates the existing row: same
// id and inserted_at, new content; the per-recipient cap refuses only new
// rows, never an update of an existing one.
func TestUpsertKeepsRowAndCap(t *testing.T) {
	persistencetest.Dialects(t, func(t *testing.T, tg persistencetest.Target) {
		ctx := context.Background()
		q := writebehind.New(tg.DB, writebehind.Options{})
		t.Cleanup(func() { q.Close(context.Background()) })
		svc := notifications.New(q, notifications.Limits{MaxPerUser: 2})
		alice, bob := newUser(t, tg.DB, "alice"), newUser(t, tg.DB, "bob")
		first, err := svc.Create(ctx, notifications.Create{SenderID: alice, RecipientID: bob, Title: "hi", Content: "one"})
		if err != nil {
			t.Fatal(err)
		}
		stored, err := svc.Get(ctx, bob, first.ID)
		if err != nil || !stored.InsertedAt.Equal(first.InsertedAt) {
			t.Fatalf("created inserted_at %v, stored %v (%v)", first.InsertedAt, stored.InsertedAt, err)
		}
		time.Sleep(5 * time.Millisecond)
		again, err := svc.Create(ctx, notifications.Create{SenderID: alice, RecipientID: bob, Title: "hi", Content: "two"})
		if err != nil || again.ID != first.ID || !again.InsertedAt.Equal(first.InsertedAt) || again.Content != "two" {
			t.Fatalf("upsert: %+v (first %+v) %v", again, first, err)
		}
		// A resent notification is unread again; an unread one stays so.
		if err := svc.MarkRead(ctx, bob, first.ID); err != nil {
			t.Fatal(err)
		}
		for _, content := range []string{"read, resent", "unread, resent"} {
			if _, err := svc.Create(ctx, notifications.Create{SenderID: alice, RecipientID: bob, Title: "hi", Content: content}); err != nil {
				t.Fatal(err)
			}
			if got, err := svc.Get(ctx, bob, first.ID); err != nil || got.Read || got.Content != content {
				t.Fatalf("after %q: read %v, content %q (%v)", content, got.Read, got.Content, err)
			}
		}
		if _, err := svc.Create(ctx, notifications.Create{SenderID: alice, RecipientID: bob, Title: "second"}); err != nil {
			t.Fatal(err)
		}
		if _, err := svc.Create(ctx, notifications.Create{SenderID: alice, RecipientID: bob, Title: "third"}); err != notifications.ErrTooMany {
			t.Fatalf("third notification over a cap of 2: %v", err)
		}
		if _, err := svc.Create(ctx, notifications.Create{SenderID: alice, RecipientID: bob, Title: "hi", Content: "three"}); err != nil {
			t.Fatalf("update at the cap: %v", err)
		}
		if _, total, _ := svc.List(ctx, bob, 10, 0); total != 2 {
			t.Fatalf("%d rows, want 2", total)
		}
	})
}
