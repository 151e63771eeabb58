package notifications_test

import (
	"context"
	"fmt"
	"testing"

	"github.com/gamend-go/gamend/actors/notifications"
	"github.com/gamend-go/gamend/persistence"
	"github.com/gamend-go/gamend/persistence/persistencetest"
)

// TestDeleteCapsIDs: Delete considers only the first MaxDeleteIDs ids, so a
// huge list never turns into an oversized statement (more bind parameters
// than either dialect accepts) and ids past the cap are left alone.
func TestDeleteCapsIDs(t *testing.T) {
	persistencetest.Dialects(t, func(t *testing.T, tg persistencetest.Target) {
		ctx := context.Background()
		svc, _ := newService(t, tg)
		alice, bob := newUser(t, tg.DB, "alice"), newUser(t, tg.DB, "bob")
		var ids []string
		for i := range 3 {
			n, err := svc.Create(ctx, notifications.Create{SenderID: alice, RecipientID: bob, Title: fmt.Sprint("hello ", i)})
			if err != nil {
				t.Fatal(err)
			}
			ids = append(ids, n.ID)
		}
		unknown := persistence.NewID()
		filler := func(n int) []string {
			out := make([]string, n)
			for i := range out {
				out[i] = unknown
			}
			return out
		}

		// 70 000 ids: past the cap, so the real ids at the end are ignored.
		got, err := svc.Delete(ctx, bob, append(filler(70000), ids[0]))
		if err != nil || got != 0 {
			t.Fatalf("Delete(70001 ids) = %d, %v; want 0 (ids past the cap ignored)", got, err)
		}
		// The 1000th id is still considered, the 1001st is not.
		got, err = svc.Delete(ctx, bob, append(filler(notifications.MaxDeleteIDs-1), ids[0], ids[1]))
		if err != nil || got != 1 {
			t.Fatalf("Delete(1001 ids) = %d, %v; want 1", got, err)
		}
		if _, err := svc.Get(ctx, bob, ids[1]); err != nil {
			t.Fatalf("id past the cap was deleted: %v", err)
		}
		// Unparseable ids are skipped; others' notifications are untouched.
		if got, err := svc.Delete(ctx, alice, []string{ids[1], "nope"}); err != nil || got != 0 {
			t.Fatalf("someone else's delete = %d, %v", got, err)
		}
		if got, err := svc.Delete(ctx, bob, []string{"nope", ids[1], ids[2]}); err != nil || got != 2 {
			t.Fatalf("Delete = %d, %v; want 2", got, err)
		}
		// MarkRead and AdminDelete report missing rows.
		if err := svc.MarkRead(ctx, bob, ids[1]); err != notifications.ErrNotFound {
			t.Fatalf("MarkRead of a deleted notification: %v", err)
		}
		if err := svc.AdminDelete(ctx, ids[2]); err != notifications.ErrNotFound {
			t.Fatalf("AdminDelete of a deleted notification: %v", err)
		}
	})
}
