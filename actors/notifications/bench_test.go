package notifications_test

import (
	"context"
	"fmt"
	"sync/atomic"
	"testing"

	"github.com/gamend-go/gamend/actors/notifications"
	"github.com/gamend-go/gamend/persistence/persistencetest"
	"github.com/gamend-go/gamend/persistence/writebehind"
)

// BenchmarkCreate is the durable part of POST /admin/notifications: 64
// concurrent creations through the write-behind queue (group commit) on
// SQLite, each for one of 1,000 recipients. CPU per op here is mostly the
// flusher's, the serial part of the notification push path.
//
//	go test -run '^$' -bench Create -benchtime 20000x ./actors/notifications/
func BenchmarkCreate(b *testing.B) {
	// insert: every notification a new row. update: the same (sender,
	// recipient, title) resent, so the upsert updates the row (as a
	// system notification resent, or the socket benchmark's load).
	for _, mode := range []string{"insert", "update"} {
		b.Run(mode, func(b *testing.B) {
			tg := persistencetest.SQLite(b)
			q := writebehind.New(tg.DB, writebehind.Options{})
			b.Cleanup(func() { q.Close(context.Background()) })
			svc := notifications.New(q, notifications.Limits{MaxPerUser: 1 << 30})
			sender := newUser(b, tg.DB, "sender")
			recipients := make([]string, 1000)
			for i := range recipients {
				recipients[i] = newUser(b, tg.DB, fmt.Sprintf("r%d", i))
			}
			var n atomic.Int64
			b.SetParallelism(32) // 64 goroutines on 2 cores
			b.ReportAllocs()
			b.ResetTimer()
			b.RunParallel(func(pb *testing.PB) {
				ctx := context.Background()
				for pb.Next() {
					i := n.Add(1)
					title := "same"
					if mode == "insert" {
						title = fmt.Sprintf("t%d", i)
					}
					if _, err := svc.Create(ctx, notifications.Create{SenderID: sender, RecipientID: recipients[i%1000],
						Title: title, Content: "hello", Metadata: map[string]any{"k": "v"}}); err != nil {
						b.Fatal(err)
					}
				}
			})
		})
	}
}
