package writebehind_test

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/gamend-go/gamend/persistence"
	"github.com/gamend-go/gamend/persistence/persistencetest"
	"github.com/gamend-go/gamend/persistence/writebehind"
)

func setup(t testing.TB, db *persistence.DB) {
	t.Helper()
	if _, err := db.Exec(context.Background(), `CREATE TABLE wb_test (k TEXT NOT NULL, seq INTEGER NOT NULL, ord INTEGER NOT NULL, PRIMARY KEY (k, seq))`); err != nil {
		t.Fatal(err)
	}
}

// insert appends row (k, seq) and records how many rows of k existed before
// it, which equals seq exactly when ops of one key run in submission order.
func insert(k string, seq int) writebehind.Op {
	return func(ctx context.Context, tx *persistence.Tx) error {
		_, err := tx.Exec(ctx, `INSERT INTO wb_test (k, seq, ord) VALUES (?, ?, (SELECT count(*) FROM wb_test WHERE k = ?))`, k, seq, k)
		return err
	}
}

func count(t testing.TB, db *persistence.DB) int {
	t.Helper()
	var n int
	if err := db.QueryRow(context.Background(), `SELECT count(*) FROM wb_test`).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

func TestGroupCommitAcknowledgesEveryWrite(t *testing.T) {
	persistencetest.Dialects(t, func(t *testing.T, tg persistencetest.Target) {
		setup(t, tg.DB)
		q := writebehind.New(tg.DB, writebehind.Options{MaxBatch: 64, MaxDelay: time.Millisecond})
		defer q.Close(context.Background())
		const writers, per = 32, 20
		var wg sync.WaitGroup
		errs := make(chan error, writers*per)
		for w := range writers {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for i := range per {
					errs <- q.Do(context.Background(), fmt.Sprint("w", w), insert(fmt.Sprint("w", w), i))
				}
			}()
		}
		wg.Wait()
		close(errs)
		for err := range errs {
			if err != nil {
				t.Fatalf("acknowledged with error: %v", err)
			}
		}
		if got := count(t, tg.DB); got != writers*per {
			t.Fatalf("rows = %d, want %d", got, writers*per)
		}
		st := q.Stats()
		if st.Batches >= st.Ops {
			t.Fatalf("no batching happened: %+v", st)
		}
	})
}

func TestFailingOpFailsAlone(t *testing.T) {
	persistencetest.Dialects(t, func(t *testing.T, tg persistencetest.Target) {
		setup(t, tg.DB)
		q := writebehind.New(tg.DB, writebehind.Options{MaxBatch: 64, MaxDelay: 20 * time.Millisecond})
		defer q.Close(context.Background())
		if err := q.Do(context.Background(), "a", insert("dup", 0)); err != nil {
			t.Fatal(err)
		}
		boom := errors.New("boom")
		ops := []writebehind.Op{
			insert("x", 0),
			insert("dup", 0), // unique violation
			insert("x", 1),
			func(context.Context, *persistence.Tx) error { return boom },
			insert("x", 2),
			func(context.Context, *persistence.Tx) error { panic("kaboom") },
			insert("x", 3),
		}
		pend := make([]writebehind.Pending, len(ops))
		for i, op := range ops {
			pend[i] = q.Submit(fmt.Sprint("k", i), op)
		}
		for i, p := range pend {
			err := p.Wait()
			switch i {
			case 1:
				if _, ok := persistence.IsUnique(err); !ok {
					t.Fatalf("op %d: want unique violation, got %v", i, err)
				}
			case 3:
				if !errors.Is(err, boom) {
					t.Fatalf("op %d: want boom, got %v", i, err)
				}
			case 5:
				if err == nil {
					t.Fatalf("op %d: panic must fail the op", i)
				}
			default:
				if err != nil {
					t.Fatalf("op %d: %v", i, err)
				}
			}
		}
		if got := count(t, tg.DB); got != 5 { // dup + x0..x3
			t.Fatalf("rows = %d, want 5", got)
		}
	})
}

func TestOrderingPerKey(t *testing.T) {
	persistencetest.Dialects(t, func(t *testing.T, tg persistencetest.Target) {
		setup(t, tg.DB)
		q := writebehind.New(tg.DB, writebehind.Options{MaxBatch: 16, MaxDelay: 100 * time.Microsecond, Shards: 4})
		defer q.Close(context.Background())
		const keys, per = 8, 50
		var wg sync.WaitGroup
		for k := range keys {
			wg.Add(1)
			go func() {
				defer wg.Done()
				key := fmt.Sprint("key", k)
				pend := make([]writebehind.Pending, per)
				for i := range per {
					pend[i] = q.Submit(key, insert(key, i))
				}
				for _, p := range pend {
					if err := p.Wait(); err != nil {
						t.Error(err)
					}
				}
			}()
		}
		wg.Wait()
		var bad int
		if err := tg.DB.QueryRow(context.Background(), `SELECT count(*) FROM wb_test WHERE ord <> seq`).Scan(&bad); err != nil {
			t.Fatal(err)
		}
		if bad != 0 {
			t.Fatalf("%d rows ran out of submission order", bad)
		}
	})
}

func TestCloseDrainsAndRefusesNewWork(t *testing.T) {
	persistencetest.Dialects(t, func(t *testing.T, tg persistencetest.Target) {
		setup(t, tg.DB)
		q := writebehind.New(tg.DB, writebehind.Options{MaxBatch: 8, MaxDelay: time.Millisecond})
		pend := make([]writebehind.Pending, 500)
		for i := range pend {
			pend[i] = q.Submit("k", insert("k", i))
		}
		if err := q.Close(context.Background()); err != nil {
			t.Fatal(err)
		}
		for i, p := range pend {
			select {
			case <-p.Done():
			default:
				t.Fatalf("op %d not acknowledged after Close returned", i)
			}
			if p.Err() != nil {
				t.Fatalf("op %d: %v", i, p.Err())
			}
		}
		if got := count(t, tg.DB); got != 500 {
			t.Fatalf("rows = %d, want 500", got)
		}
		if err := q.Do(context.Background(), "k", insert("k", 999)); !errors.Is(err, persistence.ErrClosed) {
			t.Fatalf("after Close: %v, want ErrClosed", err)
		}
	})
}

func TestCancelledWhileQueuedIsWithdrawn(t *testing.T) {
	tg := persistencetest.SQLite(t)
	setup(t, tg.DB)
	q := writebehind.New(tg.DB, writebehind.Options{MaxBatch: 1})
	defer q.Close(context.Background())
	release := make(chan struct{})
	started := make(chan struct{})
	blocker := q.Submit("k", func(ctx context.Context, tx *persistence.Tx) error {
		close(started)
		<-release
		return nil
	})
	<-started
	ctx, cancel := context.WithCancel(context.Background())
	res := make(chan error, 1)
	go func() { res <- q.Do(ctx, "k", insert("never", 0)) }()
	time.Sleep(10 * time.Millisecond) // let Do enqueue behind the blocker
	cancel()
	if err := <-res; !errors.Is(err, context.Canceled) {
		t.Fatalf("Do = %v, want context.Canceled", err)
	}
	close(release)
	if err := blocker.Wait(); err != nil {
		t.Fatal(err)
	}
	if err := q.Do(context.Background(), "k", insert("after", 0)); err != nil {
		t.Fatal(err)
	}
	var n int
	if err := tg.DB.QueryRow(context.Background(), `SELECT count(*) FROM wb_test WHERE k = 'never'`).Scan(&n); err != nil || n != 0 {
		t.Fatalf("withdrawn op ran: n=%d err=%v", n, err)
	}
}
