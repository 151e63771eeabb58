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

// TestAcknowledgementsInSubmissionOrderPerKey: within one batch, an op that
// fails and is isolated must not be acknowledged after a later op of the
// same key that committed (an actor reacting to the acknowledgements would
// otherwise see B's success before A's failure).
func TestAcknowledgementsInSubmissionOrderPerKey(t *testing.T) {
	persistencetest.Dialects(t, func(t *testing.T, tg persistencetest.Target) {
		setup(t, tg.DB)
		q := writebehind.New(tg.DB, writebehind.Options{MaxBatch: 64})
		defer q.Close(context.Background())
		blocker, release := blockFlusher(t, q)
		defer release()

		boom := errors.New("boom")
		acks := make(chan string, 8)
		ack := func(name string) func(error) {
			return func(err error) { acks <- fmt.Sprintf("%s:%v", name, err) }
		}
		// All queued behind the blocker, so they form one batch: A fails
		// and is isolated, the rest are retried with savepoints and commit.
		q.SubmitFunc("k", func(context.Context, *persistence.Tx) error { return boom }, ack("A"))
		q.SubmitFunc("k", insert("k", 0), ack("B"))
		q.SubmitFunc("other", insert("other", 0), ack("C"))
		q.SubmitFunc("k", insert("k", 1), ack("D"))
		release()
		if err := blocker.Wait(); err != nil {
			t.Fatal(err)
		}
		want := []string{"A:boom", "B:<nil>", "C:<nil>", "D:<nil>"}
		for i, w := range want {
			select {
			case got := <-acks:
				if got != w {
					t.Fatalf("acknowledgement %d = %s, want %s (order %v)", i, got, w, want)
				}
			case <-time.After(10 * time.Second):
				t.Fatalf("acknowledgement %d (%s) never came", i, w)
			}
		}
		if st := q.Stats(); st.Batches != 2 || st.Failed != 1 {
			t.Fatalf("stats %+v: want the blocker's batch and one batch of 4 with one failure", st)
		}
		if got := rows(t, tg.DB, "k"); got != 2 {
			t.Fatalf("rows of k = %d, want 2", got)
		}
	})
}

// TestBatchNeverExceedsMaxBatch: ops queued while the flusher is busy are
// committed in batches of at most MaxBatch, and full batches are made.
func TestBatchNeverExceedsMaxBatch(t *testing.T) {
	persistencetest.Dialects(t, func(t *testing.T, tg persistencetest.Target) {
		setup(t, tg.DB)
		const maxBatch, n = 8, 100
		q := writebehind.New(tg.DB, writebehind.Options{MaxBatch: maxBatch})
		defer q.Close(context.Background())
		blocker, release := blockFlusher(t, q)
		pend := make([]writebehind.Pending, n)
		for i := range pend {
			key := fmt.Sprint("k", i%5)
			pend[i] = q.Submit(key, insert(key, i/5))
		}
		release()
		if err := blocker.Wait(); err != nil {
			t.Fatal(err)
		}
		for i, p := range pend {
			if err := p.Wait(); err != nil {
				t.Fatalf("op %d: %v", i, err)
			}
		}
		st := q.Stats()
		wantBatches := uint64(1 + (n+maxBatch-1)/maxBatch) // the blocker alone, then full batches
		if st.LargestBatch != maxBatch || st.Batches != wantBatches {
			t.Fatalf("stats %+v: want largest batch %d and %d batches", st, maxBatch, wantBatches)
		}
		if got := count(t, tg.DB); got != n {
			t.Fatalf("rows = %d, want %d", got, n)
		}
	})
}

// TestLoneOpFlushedAfterMaxDelay: a single op waits up to MaxDelay for
// company, then commits alone; it is never held back for a batch that does
// not fill.
func TestLoneOpFlushedAfterMaxDelay(t *testing.T) {
	persistencetest.Dialects(t, func(t *testing.T, tg persistencetest.Target) {
		setup(t, tg.DB)
		const delay = 40 * time.Millisecond
		q := writebehind.New(tg.DB, writebehind.Options{MaxBatch: 64, MaxDelay: delay})
		defer q.Close(context.Background())
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		start := time.Now()
		if err := q.Do(ctx, "lone", insert("lone", 0)); err != nil {
			t.Fatalf("lone op: %v", err)
		}
		// The flusher waited for more ops (a lower bound, never flaky).
		if elapsed := time.Since(start); elapsed < delay {
			t.Fatalf("lone op committed after %v, before MaxDelay %v", elapsed, delay)
		}
		if st := q.Stats(); st.Batches != 1 || st.LargestBatch != 1 || st.Ops != 1 {
			t.Fatalf("stats %+v: want one batch of one op", st)
		}
	})
}

// TestFullBatchDoesNotWaitForMaxDelay: a batch that reaches MaxBatch is
// committed at once, however long MaxDelay is.
func TestFullBatchDoesNotWaitForMaxDelay(t *testing.T) {
	persistencetest.Dialects(t, func(t *testing.T, tg persistencetest.Target) {
		setup(t, tg.DB)
		q := writebehind.New(tg.DB, writebehind.Options{MaxBatch: 4, MaxDelay: time.Hour})
		defer q.Close(context.Background())
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		pend := make([]writebehind.Pending, 4)
		for i := range pend {
			pend[i] = q.Submit("k", insert("k", i))
		}
		for i, p := range pend {
			select {
			case <-p.Done():
				if p.Err() != nil {
					t.Fatalf("op %d: %v", i, p.Err())
				}
			case <-ctx.Done():
				t.Fatalf("op %d: a full batch waited for MaxDelay", i)
			}
		}
		if st := q.Stats(); st.Batches != 1 || st.LargestBatch != 4 {
			t.Fatalf("stats %+v: want one batch of 4", st)
		}
	})
}
