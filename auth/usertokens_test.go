package auth_test

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/gamend-go/gamend/auth"
	"github.com/gamend-go/gamend/persistence"
	"github.com/gamend-go/gamend/persistence/persistencetest"
	"github.com/gamend-go/gamend/persistence/users"
	"github.com/gamend-go/gamend/persistence/writebehind"
)

func newService(t *testing.T, tg persistencetest.Target, opts auth.Options) (*auth.Service, *auth.UserTokens) {
	t.Helper()
	q := writebehind.New(tg.DB, writebehind.Options{})
	t.Cleanup(func() { q.Close(context.Background()) })
	opts.BcryptCost = 4
	svc := auth.NewService(q, auth.NewTokens([]byte("test-secret-test-secret-test-secret")), opts)
	return svc, auth.NewUserTokens(svc)
}

// age moves every token of the user back in time by d.
func age(t *testing.T, db *persistence.DB, userID string, d time.Duration) {
	t.Helper()
	if _, err := db.Exec(context.Background(), `UPDATE users_tokens SET inserted_at = ? WHERE user_id = ?`, persistence.Now().Add(-d), userID); err != nil {
		t.Fatal(err)
	}
}

func TestEmailTokens(t *testing.T) {
	persistencetest.Dialects(t, func(t *testing.T, tg persistencetest.Target) {
		ctx := context.Background()
		svc, ut := newService(t, tg, auth.Options{})
		u, _, err := svc.Register(ctx, "Ann@Example.com", "password123")
		if err != nil {
			t.Fatal(err)
		}

		t.Run("stored hashed", func(t *testing.T) {
			tok, err := ut.IssueEmailToken(ctx, u, auth.ContextConfirm)
			if err != nil {
				t.Fatal(err)
			}
			var n int
			if err := tg.DB.QueryRow(ctx, `SELECT count(*) FROM users_tokens WHERE token = ?`, []byte(tok)).Scan(&n); err != nil || n != 0 {
				t.Fatalf("raw token found in the table (%d, %v)", n, err)
			}
			var sentTo string
			if err := tg.DB.QueryRow(ctx, `SELECT sent_to FROM users_tokens WHERE user_id = ? AND context = ?`, u.ID, auth.ContextConfirm).Scan(&sentTo); err != nil || sentTo != u.Email {
				t.Fatalf("sent_to %q %v", sentTo, err)
			}
		})

		t.Run("confirm is single use", func(t *testing.T) {
			tok, _ := ut.IssueEmailToken(ctx, u, auth.ContextConfirm)
			if got, err := ut.PeekEmailToken(ctx, auth.ContextConfirm, tok); err != nil || got.ID != u.ID {
				t.Fatalf("peek: %v", err)
			}
			got, err := ut.Confirm(ctx, tok)
			if err != nil || got.ConfirmedAt == nil {
				t.Fatalf("confirm: %v %+v", err, got)
			}
			if _, err := ut.Confirm(ctx, tok); !errors.Is(err, auth.ErrLinkInvalid) {
				t.Fatalf("reuse: %v", err)
			}
			if _, err := ut.LogInWithLink(ctx, tok); !errors.Is(err, auth.ErrLinkInvalid) {
				t.Fatalf("token of another context: %v", err)
			}
		})

		t.Run("garbage", func(t *testing.T) {
			for _, tok := range []string{"", "x", "../../etc", "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA", "!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!"} {
				if _, err := ut.LogInWithLink(ctx, tok); !errors.Is(err, auth.ErrLinkInvalid) {
					t.Fatalf("%q: %v", tok, err)
				}
			}
		})

		t.Run("magic link expires after 15 minutes", func(t *testing.T) {
			tok, _ := ut.IssueEmailToken(ctx, u, auth.ContextLogin)
			age(t, tg.DB, u.ID, 16*time.Minute)
			if _, err := ut.LogInWithLink(ctx, tok); !errors.Is(err, auth.ErrLinkInvalid) {
				t.Fatalf("expired link: %v", err)
			}
			tok, _ = ut.IssueEmailToken(ctx, u, auth.ContextLogin)
			if got, err := ut.LogInWithLink(ctx, tok); err != nil || got.ID != u.ID {
				t.Fatalf("fresh link: %v", err)
			}
		})

		t.Run("concurrent use succeeds once", func(t *testing.T) {
			tok, _ := ut.IssueEmailToken(ctx, u, auth.ContextLogin)
			var wg sync.WaitGroup
			var mu sync.Mutex
			ok := 0
			for range 8 {
				wg.Add(1)
				go func() {
					defer wg.Done()
					if _, err := ut.LogInWithLink(ctx, tok); err == nil {
						mu.Lock()
						ok++
						mu.Unlock()
					} else if !errors.Is(err, auth.ErrLinkInvalid) {
						t.Error(err)
					}
				}()
			}
			wg.Wait()
			if ok != 1 {
				t.Fatalf("%d successful uses", ok)
			}
		})

		t.Run("reset password revokes tokens and sessions", func(t *testing.T) {
			_, pair, err := svc.LoginPassword(ctx, u.Email, "password123")
			if err != nil {
				t.Fatal(err)
			}
			sess, _, err := ut.CreateSession(ctx, u.ID)
			if err != nil {
				t.Fatal(err)
			}
			tok, _ := ut.IssueEmailToken(ctx, u, auth.ContextResetPassword)
			var verr *auth.ValidationError
			if _, err := ut.ResetPassword(ctx, tok, "short", "short"); !errors.As(err, &verr) {
				t.Fatalf("short password: %v", err)
			}
			if _, err := ut.ResetPassword(ctx, tok, "newpassword1", "different1"); !errors.As(err, &verr) || verr.Fields["password_confirmation"] == nil {
				t.Fatalf("mismatch: %v", err)
			}
			if _, err := ut.ResetPassword(ctx, tok, "newpassword1", "newpassword1"); err != nil {
				t.Fatalf("reset: %v", err)
			}
			if _, err := svc.Authenticate(ctx, pair.AccessToken); !errors.Is(err, auth.ErrTokenRevoked) {
				t.Fatalf("old access token: %v", err)
			}
			if _, _, err := ut.SessionUser(ctx, sess); !errors.Is(err, auth.ErrSessionInvalid) {
				t.Fatalf("old session: %v", err)
			}
			if _, err := svc.CheckPassword(ctx, "ann@example.com", "newpassword1"); err != nil {
				t.Fatalf("new password: %v", err)
			}
			if _, err := ut.ResetPassword(ctx, tok, "newpassword2", "newpassword2"); !errors.Is(err, auth.ErrLinkInvalid) {
				t.Fatalf("reuse: %v", err)
			}
		})

		t.Run("change e-mail", func(t *testing.T) {
			u, _ := svc.User(ctx, u.ID)
			if _, err := ut.RequestEmailChange(ctx, u, "ann2@example.com", "wrong-password"); !errors.Is(err, auth.ErrWrongPassword) {
				t.Fatalf("wrong password: %v", err)
			}
			other, _, _ := svc.Register(ctx, "bob@example.com", "password123")
			var verr *auth.ValidationError
			for _, bad := range []string{"bob@example.com", "ANN@example.com", "not an email"} {
				if _, err := ut.RequestEmailChange(ctx, u, bad, "newpassword1"); !errors.As(err, &verr) {
					t.Fatalf("%q: %v", bad, err)
				}
			}
			reset, _ := ut.IssueEmailToken(ctx, u, auth.ContextResetPassword)
			tok, err := ut.RequestEmailChange(ctx, u, "ann2@example.com", "newpassword1")
			if err != nil {
				t.Fatal(err)
			}
			if _, err := ut.ChangeEmail(ctx, other, tok); !errors.Is(err, auth.ErrLinkInvalid) {
				t.Fatalf("someone else's token: %v", err)
			}
			got, err := ut.ChangeEmail(ctx, u, tok)
			if err != nil || got.Email != "ann2@example.com" || got.ConfirmedAt == nil {
				t.Fatalf("change: %v %+v", err, got)
			}
			// A link sent to the old address is dead now.
			if _, err := ut.ResetPassword(ctx, reset, "newpassword3", "newpassword3"); !errors.Is(err, auth.ErrLinkInvalid) {
				t.Fatalf("link to the old address: %v", err)
			}
			if _, err := ut.ChangeEmail(ctx, got, tok); !errors.Is(err, auth.ErrLinkInvalid) {
				t.Fatalf("reuse: %v", err)
			}
		})
	})
}

func TestSessions(t *testing.T) {
	persistencetest.Dialects(t, func(t *testing.T, tg persistencetest.Target) {
		ctx := context.Background()
		svc, ut := newService(t, tg, auth.Options{RequireActivation: true})
		admin, _ := svc.CreateUser(ctx, users.New{Email: "admin@example.com"}) // first user: admin, active
		u, err := svc.CreateUser(ctx, users.New{Email: "user@example.com"})
		if err != nil || u.IsActivated {
			t.Fatalf("inactive user: %v %+v", err, u)
		}
		if _, _, err := ut.CreateSession(ctx, u.ID); !errors.Is(err, auth.ErrNotActivated) {
			t.Fatalf("session for an inactive user: %v", err)
		}
		s1, id1, err := ut.CreateSession(ctx, admin.ID)
		if err != nil {
			t.Fatal(err)
		}
		s2, id2, _ := ut.CreateSession(ctx, admin.ID)
		got, sess, err := ut.SessionUser(ctx, s1)
		if err != nil || got.ID != admin.ID || sess.ID != id1 || sess.ExpiresAt.Sub(sess.InsertedAt) != auth.SessionTTL {
			t.Fatalf("session user: %v %+v", err, sess)
		}
		list, err := ut.Sessions(ctx, admin.ID)
		if err != nil || len(list) != 2 || list[0].ID != id2 {
			t.Fatalf("list: %v %+v", err, list)
		}
		if err := ut.RevokeSession(ctx, u.ID, id1); !errors.Is(err, auth.ErrSessionInvalid) {
			t.Fatalf("revoking someone else's session: %v", err)
		}
		if err := ut.RevokeSession(ctx, admin.ID, id1); err != nil {
			t.Fatal(err)
		}
		if _, _, err := ut.SessionUser(ctx, s1); !errors.Is(err, auth.ErrSessionInvalid) {
			t.Fatalf("revoked session: %v", err)
		}
		if err := ut.EndSession(ctx, s2); err != nil {
			t.Fatal(err)
		}
		if _, _, err := ut.SessionUser(ctx, s2); !errors.Is(err, auth.ErrSessionInvalid) {
			t.Fatalf("ended session: %v", err)
		}
		s3, id3, _ := ut.CreateSession(ctx, admin.ID)
		_, _, _ = ut.CreateSession(ctx, admin.ID)
		if err := ut.RevokeSessions(ctx, admin.ID, id3); err != nil {
			t.Fatal(err)
		}
		if list, _ := ut.Sessions(ctx, admin.ID); len(list) != 1 || list[0].ID != id3 {
			t.Fatalf("after revoking the others: %+v", list)
		}
		age(t, tg.DB, admin.ID, auth.SessionTTL+time.Minute)
		if _, _, err := ut.SessionUser(ctx, s3); !errors.Is(err, auth.ErrSessionInvalid) {
			t.Fatalf("expired session: %v", err)
		}
		// Creating a session prunes the expired rows.
		_, _, _ = ut.CreateSession(ctx, admin.ID)
		var n int
		_ = tg.DB.QueryRow(ctx, `SELECT count(*) FROM users_tokens WHERE user_id = ?`, admin.ID).Scan(&n)
		if n != 1 {
			t.Fatalf("%d rows after pruning", n)
		}
	})
}

func TestCheckPassword(t *testing.T) {
	persistencetest.Dialects(t, func(t *testing.T, tg persistencetest.Target) {
		ctx := context.Background()
		svc, _ := newService(t, tg, auth.Options{RequireActivation: true})
		_, _, _ = svc.Register(ctx, "admin@example.com", "password123")
		if _, _, err := svc.Register(ctx, "late@example.com", "password123"); !errors.Is(err, auth.ErrNotActivated) {
			t.Fatalf("register inactive: %v", err)
		}
		cases := []struct {
			email, pw string
			want      error
		}{
			{"admin@example.com", "password123", nil},
			{"ADMIN@example.com", "password123", nil},
			{"admin@example.com", "wrong", auth.ErrInvalidCredentials},
			{"nobody@example.com", "password123", auth.ErrInvalidCredentials},
			{"late@example.com", "wrong", auth.ErrInvalidCredentials},
			{"late@example.com", "password123", auth.ErrNotActivated},
		}
		for _, c := range cases {
			if _, err := svc.CheckPassword(ctx, c.email, c.pw); !errors.Is(err, c.want) {
				t.Errorf("%s/%s: %v, want %v", c.email, c.pw, err, c.want)
			}
		}
	})
}
