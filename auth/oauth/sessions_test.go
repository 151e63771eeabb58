package oauth_test

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/gamend-go/gamend/auth/oauth"
	"github.com/gamend-go/gamend/persistence/persistencetest"
	"github.com/gamend-go/gamend/persistence/writebehind"
)

func TestSessions(t *testing.T) {
	persistencetest.Dialects(t, func(t *testing.T, tg persistencetest.Target) {
		ctx := context.Background()
		q := writebehind.New(tg.DB, writebehind.Options{Shards: 4})
		t.Cleanup(func() { q.Close(ctx) })
		c := &clock{t: time.Now()}
		s := oauth.NewSessions(q, 0, c.Now)

		sess, err := s.Create(ctx, "discord", oauth.SessionData{LinkUserID: "0198c0de-0002-7000-8000-000000000002"})
		if err != nil {
			t.Fatal(err)
		}
		got, err := s.Get(ctx, sess.ID)
		if err != nil || got.Status != oauth.StatusPending || got.Data.LinkUserID != sess.Data.LinkUserID || got.Provider != "discord" {
			t.Fatalf("get %+v %v", got, err)
		}
		if _, err := s.Claim(ctx, sess.ID, "google"); !errors.Is(err, oauth.ErrBadState) {
			t.Fatalf("claim by another provider: %v", err)
		}

		// Concurrent claims: exactly one wins.
		var wg sync.WaitGroup
		wins := make(chan *oauth.Session, 16)
		for range 16 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				if c, err := s.Claim(ctx, sess.ID, "discord"); err == nil {
					wins <- c
				} else if !errors.Is(err, oauth.ErrBadState) {
					t.Error(err)
				}
			}()
		}
		wg.Wait()
		close(wins)
		if len(wins) != 1 {
			t.Fatalf("%d claims won", len(wins))
		}
		if w := <-wins; w.Data.LinkUserID != sess.Data.LinkUserID {
			t.Fatalf("claim lost the link user: %+v", w)
		}
		if got, _ := s.Get(ctx, sess.ID); got.Status != oauth.StatusPending {
			t.Fatalf("claimed session status %q", got.Status)
		}
		done := oauth.SessionData{AccessToken: "a", RefreshToken: "r", ExpiresIn: 900, UserID: "u"}
		if err := s.Finish(ctx, sess.ID, oauth.StatusCompleted, done); err != nil {
			t.Fatal(err)
		}
		// Finish never rewrites a finished session.
		if err := s.Finish(ctx, sess.ID, oauth.StatusError, oauth.SessionData{Details: "x"}); err != nil {
			t.Fatal(err)
		}
		if got, _ := s.Get(ctx, sess.ID); got.Status != oauth.StatusCompleted || got.Data.AccessToken != "a" || got.Data.LinkUserID != "" {
			t.Fatalf("finished session %+v", got)
		}

		// Expiry, and the sweep that deletes expired rows.
		c.Advance(oauth.DefaultSessionTTL)
		if _, err := s.Get(ctx, sess.ID); !errors.Is(err, oauth.ErrSessionNotFound) {
			t.Fatalf("expired session: %v", err)
		}
		c.Advance(time.Minute)
		if _, err := s.Create(ctx, "steam", oauth.SessionData{}); err != nil { // triggers the sweep
			t.Fatal(err)
		}
		for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(10 * time.Millisecond) {
			var n int
			if err := tg.DB.QueryRow(ctx, `SELECT count(*) FROM oauth_sessions WHERE session_id = ?`, sess.ID).Scan(&n); err != nil {
				t.Fatal(err)
			}
			if n == 0 {
				break
			}
			if time.Now().After(deadline) {
				t.Fatal("expired session not swept")
			}
		}
		if _, err := s.Get(ctx, ""); !errors.Is(err, oauth.ErrSessionNotFound) {
			t.Fatal(err)
		}
	})
}
