package auth_test

import (
	"context"
	"errors"
	"strings"
	"sync"
	"testing"

	"github.com/gamend-go/gamend/auth"
	"github.com/gamend-go/gamend/persistence/persistencetest"
	"github.com/gamend-go/gamend/persistence/users"
	"github.com/gamend-go/gamend/persistence/writebehind"
)

func newLinkService(t *testing.T, tg persistencetest.Target) *auth.Service {
	t.Helper()
	q := writebehind.New(tg.DB, writebehind.Options{Shards: 2})
	t.Cleanup(func() { q.Close(context.Background()) })
	return auth.NewService(q, auth.NewTokens([]byte("link-test-secret-link-test-secret")), auth.Options{BcryptCost: 4})
}

func TestLoginProviderConcurrentFirstSignIn(t *testing.T) {
	persistencetest.Dialects(t, func(t *testing.T, tg persistencetest.Target) {
		svc := newLinkService(t, tg)
		ctx := context.Background()
		p := auth.ProviderProfile{Provider: "discord", ID: "42", Email: "race@example.com", EmailVerified: true, DisplayName: "Racer"}
		var wg sync.WaitGroup
		ids := make(chan string, 8)
		for range 8 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				u, _, err := svc.LoginProvider(ctx, p)
				if err != nil {
					t.Error(err)
					return
				}
				ids <- u.ID
			}()
		}
		wg.Wait()
		close(ids)
		first := ""
		for id := range ids {
			if first == "" {
				first = id
			}
			if id != first {
				t.Fatalf("concurrent first sign-ins made two accounts: %s and %s", first, id)
			}
		}
		if n, _ := users.Count(ctx, tg.DB); n != 1 {
			t.Fatalf("%d accounts", n)
		}
	})
}

func TestProviderProfileRules(t *testing.T) {
	persistencetest.Dialects(t, func(t *testing.T, tg persistencetest.Target) {
		svc := newLinkService(t, tg)
		ctx := context.Background()
		long := auth.ProviderProfile{Provider: "google", ID: "g1", Email: "not an email", EmailVerified: true,
			DisplayName: strings.Repeat("é", 100), AvatarURL: "https://x.example.com/" + strings.Repeat("a", 600)}
		u, _, err := svc.LoginProvider(ctx, long)
		if err != nil {
			t.Fatal(err)
		}
		if u.Email != "" || u.ProfileURL != "" || len([]rune(u.DisplayName)) != 80 || u.ConfirmedAt != nil {
			t.Fatalf("account %q %q %d runes", u.Email, u.ProfileURL, len([]rune(u.DisplayName)))
		}
		if _, _, err := svc.LoginProvider(ctx, auth.ProviderProfile{Provider: "myspace", ID: "1"}); !errors.Is(err, auth.ErrUnknownProvider) {
			t.Fatalf("unknown provider: %v", err)
		}
		var verr *auth.ValidationError
		if _, _, err := svc.LoginProvider(ctx, auth.ProviderProfile{Provider: "steam"}); !errors.As(err, &verr) {
			t.Fatalf("no id: %v", err)
		}
		// Linking is idempotent, refuses another account's identity, and
		// reports a vanished account.
		if err := svc.LinkProvider(ctx, u.ID, long); err != nil {
			t.Fatalf("relink own identity: %v", err)
		}
		other, err := svc.CreateUser(ctx, users.New{DeviceID: "dev-1"})
		if err != nil {
			t.Fatal(err)
		}
		if err := svc.LinkProvider(ctx, other.ID, long); !errors.Is(err, auth.ErrProviderTaken) {
			t.Fatalf("link taken identity: %v", err)
		}
		if err := svc.LinkProvider(ctx, "0198c0de-0002-7000-8000-000000000009", auth.ProviderProfile{Provider: "steam", ID: "7"}); !errors.Is(err, auth.ErrNotFound) {
			t.Fatalf("link to a vanished account: %v", err)
		}
		// A linked e-mail that another account already uses is not copied.
		if _, err := svc.CreateUser(ctx, users.New{Email: "used@example.com"}); err != nil {
			t.Fatal(err)
		}
		if err := svc.LinkProvider(ctx, other.ID, auth.ProviderProfile{Provider: "steam", ID: "8", Email: "used@example.com", EmailVerified: true}); err != nil {
			t.Fatal(err)
		}
		if got, _ := svc.User(ctx, other.ID); got.Email != "" || got.ProviderIDs["steam"] != "8" {
			t.Fatalf("after link: email %q providers %v", got.Email, got.ProviderIDs)
		}
	})
}
