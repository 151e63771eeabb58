package writebehind_test

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/gamend-go/gamend/persistence"
	"github.com/gamend-go/gamend/persistence/persistencetest"
	"github.com/gamend-go/gamend/persistence/writebehind"
)

// blockFlusher submits an op that holds the (single) flusher until the
// returned release function is called.
func blockFlusher(t *testing.T, q *writebehind.Queue) (writebehind.Pending, func()) {
	t.Helper()
	release, started := make(chan struct{}), make(chan struct{})
	p := q.Submit("blocker", func(ctx context.Context, tx *persistence.Tx) error {
		close(started)
		<-release
		return nil
	})
	<-started
	var done bool
	return p, func() {
		if !done {
			done = true
			close(release)
		}
	}
}

func rows(t *testing.T, db *persistence.DB, k string) int {
	t.Helper()
	var n int
	if err := db.QueryRow(context.Background(), `SELECT count(*) FROM wb_test WHERE k = ?`, k).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

// TestDoGivesUpWhileQueueIsFull: Do waiting for room in a full shard queue
// returns ctx's error when ctx ends (the op never runs), and Close is not
// held up by a sender blocked on a full queue.
func TestDoGivesUpWhileQueueIsFull(t *testing.T) {
	persistencetest.Dialects(t, func(t *testing.T, tg persistencetest.Target) {
		setup(t, tg.DB)
		q := writebehind.New(tg.DB, writebehind.Options{MaxBatch: 1, QueueSize: 1})
		blocker, release := blockFlusher(t, q)
		defer release()
		queued := q.Submit("k", insert("queued", 0)) // fills the queue

		ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
		defer cancel()
		start := time.Now()
		if err := q.Do(ctx, "k", insert("never", 0)); !errors.Is(err, context.DeadlineExceeded) {
			t.Fatalf("Do on a full queue = %v, want context.DeadlineExceeded", err)
		}
		if d := time.Since(start); d > 5*time.Second {
			t.Fatalf("Do returned after %v", d)
		}
		// An already-ended context does not queue anything either.
		if err := q.Do(ctx, "k", insert("never", 1)); !errors.Is(err, context.DeadlineExceeded) {
			t.Fatalf("Do with an ended ctx = %v", err)
		}

		// A Submit blocked on the full queue must not keep Close from
		// returning; it fails with ErrClosed.
		blocked := make(chan writebehind.Pending, 1)
		go func() { blocked <- q.Submit("k", insert("never", 2)) }()
		time.Sleep(20 * time.Millisecond) // let it block
		closeCtx, cancelClose := context.WithTimeout(context.Background(), 100*time.Millisecond)
		defer cancelClose()
		closed := make(chan error, 1)
		go func() { closed <- q.Close(closeCtx) }()
		select {
		case err := <-closed:
			if err == nil {
				t.Fatal("Close drained while the flusher is blocked")
			}
		case <-time.After(5 * time.Second):
			t.Fatal("Close blocked by a sender waiting on a full queue")
		}
		select {
		case p := <-blocked:
			if err := p.Wait(); !errors.Is(err, persistence.ErrClosed) {
				t.Fatalf("blocked Submit = %v, want ErrClosed", err)
			}
		case <-time.After(5 * time.Second):
			t.Fatal("Submit still blocked after Close")
		}

		// What was queued before Close still commits once the flusher moves.
		release()
		if err := blocker.Wait(); err != nil {
			t.Fatal(err)
		}
		if err := queued.Wait(); err != nil {
			t.Fatalf("queued op: %v", err)
		}
		if n := rows(t, tg.DB, "queued"); n != 1 {
			t.Fatalf("queued rows = %d", n)
		}
		if n := rows(t, tg.DB, "never"); n != 0 {
			t.Fatalf("withdrawn ops ran: %d rows", n)
		}
		if err := q.Do(context.Background(), "k", insert("after", 0)); !errors.Is(err, persistence.ErrClosed) {
			t.Fatalf("after Close: %v", err)
		}
	})
}

// TestOpOverrunningTimeoutFailsAlone: an op still running when the
// transaction timeout expires fails alone (whether it notices the deadline
// or not); the other ops of its batch commit in a fresh transaction.
func TestOpOverrunningTimeoutFailsAlone(t *testing.T) {
	persistencetest.Dialects(t, func(t *testing.T, tg persistencetest.Target) {
		setup(t, tg.DB)
		const timeout = 300 * time.Millisecond
		q := writebehind.New(tg.DB, writebehind.Options{MaxBatch: 64, OpTimeout: timeout})
		defer q.Close(context.Background())
		blocker, release := blockFlusher(t, q)
		defer release()

		ops := []writebehind.Op{
			insert("ok", 0),
			func(ctx context.Context, tx *persistence.Tx) error { // ignores ctx
				if err := insert("slow", 0)(ctx, tx); err != nil {
					return err
				}
				time.Sleep(2 * timeout)
				return nil
			},
			insert("ok", 1),
			func(ctx context.Context, tx *persistence.Tx) error { // waits for the deadline
				if err := insert("slow", 1)(ctx, tx); err != nil {
					return err
				}
				<-ctx.Done()
				return ctx.Err()
			},
			insert("ok", 2),
		}
		pend := make([]writebehind.Pending, len(ops))
		for i, op := range ops {
			pend[i] = q.Submit(fmt.Sprint("k", i), op) // queued behind the blocker: one batch
		}
		release()
		if err := blocker.Wait(); err != nil {
			t.Fatal(err)
		}
		for i, p := range pend {
			err := p.Wait()
			switch i {
			case 1, 3:
				if !errors.Is(err, context.DeadlineExceeded) {
					t.Errorf("slow op %d: %v, want context.DeadlineExceeded", i, err)
				}
			default:
				if err != nil {
					t.Errorf("op %d failed with its batch: %v", i, err)
				}
			}
		}
		if n := rows(t, tg.DB, "ok"); n != 3 {
			t.Fatalf("ok rows = %d, want 3", n)
		}
		if n := rows(t, tg.DB, "slow"); n != 0 {
			t.Fatalf("slow ops' writes committed: %d rows", n)
		}
		if st := q.Stats(); st.Failed != 2 || st.Retries < 2 {
			t.Fatalf("stats %+v", st)
		}
	})
}

func TestExecAffected(t *testing.T) {
	persistencetest.Dialects(t, func(t *testing.T, tg persistencetest.Target) {
		setup(t, tg.DB)
		q := writebehind.New(tg.DB, writebehind.Options{})
		ctx := context.Background()
		for i := range 3 {
			if err := q.Do(ctx, "k", insert("a", i)); err != nil {
				t.Fatal(err)
			}
		}
		n, err := q.ExecAffected(ctx, "k", `UPDATE wb_test SET ord = ord + 10 WHERE k = ? AND seq < ?`, "a", 2)
		if err != nil || n != 2 {
			t.Fatalf("ExecAffected = %d, %v; want 2", n, err)
		}
		if n, err := q.ExecAffected(ctx, "k", `DELETE FROM wb_test WHERE k = ?`, "none"); err != nil || n != 0 {
			t.Fatalf("no rows: %d, %v", n, err)
		}
		if n, err := q.ExecAffected(ctx, "k", `INSERT INTO wb_test (k, seq, ord) VALUES (?, ?, ?)`, "a", 0, 0); n != 0 || err == nil {
			t.Fatalf("failing statement: %d, %v", n, err)
		} else if _, ok := persistence.IsUnique(err); !ok {
			t.Fatalf("want a unique violation, got %v", err)
		}
		if err := q.Close(ctx); err != nil {
			t.Fatal(err)
		}
		if _, err := q.ExecAffected(ctx, "k", `DELETE FROM wb_test`); !errors.Is(err, persistence.ErrClosed) {
			t.Fatalf("after Close: %v", err)
		}
	})
}
