package writebehind_test

import (
	"context"
	"fmt"
	"path/filepath"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/gamend-go/gamend/persistence"
	"github.com/gamend-go/gamend/persistence/persistencetest"
	"github.com/gamend-go/gamend/persistence/postgres"
	"github.com/gamend-go/gamend/persistence/sqlite"
	"github.com/gamend-go/gamend/persistence/writebehind"
)

// BenchmarkAcknowledgedWrites measures acknowledged single-row writes per
// second with 64 concurrent writers: group commit through the write-behind
// queue against a naive one-transaction-per-write baseline, on SQLite
// (synchronous=FULL) and, when GAMEND_TEST_POSTGRES_URL is set, PostgreSQL.
//
//	go test -run '^$' -bench AcknowledgedWrites -benchtime 20000x ./persistence/writebehind/
func BenchmarkAcknowledgedWrites(b *testing.B) {
	const writers = 64
	open := map[string]func(b *testing.B) *persistence.DB{
		"sqlite-full": func(b *testing.B) *persistence.DB {
			db, err := sqlite.Open(context.Background(), filepath.Join(b.TempDir(), "bench.db"), sqlite.Options{Synchronous: "full"})
			if err != nil {
				b.Fatal(err)
			}
			b.Cleanup(func() { db.Close() })
			return db
		},
		"postgres": func(b *testing.B) *persistence.DB {
			db, err := postgres.Open(context.Background(), persistencetest.PostgresURL(b), postgres.Options{PoolSize: writers})
			if err != nil {
				b.Fatal(err)
			}
			b.Cleanup(func() { db.Close() })
			return db
		},
	}
	for _, name := range []string{"sqlite-full", "postgres"} {
		for _, mode := range []string{"naive", "groupcommit"} {
			b.Run(name+"/"+mode, func(b *testing.B) {
				db := open[name](b)
				setup(b, db)
				var write func(ctx context.Context, key string, op writebehind.Op) error
				if mode == "naive" {
					write = func(ctx context.Context, _ string, op writebehind.Op) error {
						return db.WriteTx(ctx, func(tx *persistence.Tx) error { return op(ctx, tx) })
					}
				} else {
					shards := 1
					if name == "postgres" {
						shards = 4
					}
					q := writebehind.New(db, writebehind.Options{Shards: shards})
					b.Cleanup(func() { q.Close(context.Background()) })
					write = q.Do
				}
				var next atomic.Int64
				var wg sync.WaitGroup
				b.ResetTimer()
				start := time.Now()
				for w := range writers {
					wg.Add(1)
					go func() {
						defer wg.Done()
						key := fmt.Sprint("w", w)
						for {
							i := next.Add(1)
							if i > int64(b.N) {
								return
							}
							op := func(ctx context.Context, tx *persistence.Tx) error {
								_, err := tx.Exec(ctx, `INSERT INTO wb_test (k, seq, ord) VALUES (?, ?, 0)`, key, i)
								return err
							}
							if err := write(context.Background(), key, op); err != nil {
								b.Error(err)
								return
							}
						}
					}()
				}
				wg.Wait()
				b.StopTimer()
				b.ReportMetric(float64(b.N)/time.Since(start).Seconds(), "writes/s")
			})
		}
	}
}
