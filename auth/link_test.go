package auth_test

import (
	"context"
	"errors"
	"strings"
	"sync"
	"testing"

	"github.com/gamend-go/gamend/auth"
	"github.com/gamend-go/gamend/auth/oauth"
	"github.com/gamend-go/gamend/persistence/persistencetest"
	"github.com/gamend-go/gamend/persistence/users"
	"github.com/gamend-go/gamend/persistence/writebehind"
)

func newLinkService(t *testing.T, tg persistencetest.Target) *auth.Service {
	t.Helper()
	svc, _ := newLinkServiceQueue(t, tg)
	return svc
}

func newLinkServiceQueue(t *testing.T, tg persistencetest.Target) (*auth.Service, *writebehind.Queue) {
	t.Helper()
	q := writebehind.New(tg.DB, writebehind.Options{Shards: 2})
	t.Cleanup(func() { q.Close(context.Background()) })
	return auth.NewService(q, auth.NewTokens([]byte("link-test-secret-link-test-secret")), auth.Options{BcryptCost: 4}), q
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

// Account pre-takeover: someone registers the victim's e-mail with a
// password (never confirmed) and adds more ways in (device, providers, a
// browser session, a reset link, a pending OAuth link session). When the
// owner of the e-mail signs in with a provider that verified it, the
// account becomes theirs alone: every earlier credential is dead, in the
// same transaction as the link.
func TestLoginProviderTakesOverUnconfirmedAccount(t *testing.T) {
	persistencetest.Dialects(t, func(t *testing.T, tg persistencetest.Target) {
		svc, q := newLinkServiceQueue(t, tg)
		ctx := context.Background()
		var mu sync.Mutex
		var revoked []string
		svc.OnTokensRevoked = func(id string) { mu.Lock(); revoked = append(revoked, id); mu.Unlock() }
		ut := auth.NewUserTokens(svc)
		oauthSessions := oauth.NewSessions(q, 0, nil)

		squat, squatTokens, err := svc.Register(ctx, "victim@example.com", "squatter-password")
		if err != nil {
			t.Fatal(err)
		}
		if err := svc.LinkDevice(ctx, squat.ID, "squatter-device"); err != nil {
			t.Fatal(err)
		}
		for _, p := range []auth.ProviderProfile{{Provider: "steam", ID: "76561190000000001"}, {Provider: "google", ID: "squatter-google"}} {
			if err := svc.LinkProvider(ctx, squat.ID, p); err != nil {
				t.Fatal(err)
			}
		}
		sessToken, _, err := ut.CreateSession(ctx, squat.ID)
		if err != nil {
			t.Fatal(err)
		}
		squat, _ = svc.User(ctx, squat.ID)
		resetToken, err := ut.IssueEmailToken(ctx, squat, auth.ContextResetPassword)
		if err != nil {
			t.Fatal(err)
		}
		pendingLink, err := oauthSessions.Create(ctx, "discord", oauth.SessionData{LinkUserID: squat.ID})
		if err != nil {
			t.Fatal(err)
		}
		bystander, err := svc.CreateUser(ctx, users.New{DeviceID: "bystander"})
		if err != nil {
			t.Fatal(err)
		}
		otherLink, err := oauthSessions.Create(ctx, "discord", oauth.SessionData{LinkUserID: bystander.ID})
		if err != nil {
			t.Fatal(err)
		}

		// An unverified e-mail still takes nothing over.
		var verr *auth.ValidationError
		if _, _, err := svc.LoginProvider(ctx, auth.ProviderProfile{Provider: "discord", ID: "d-1", Email: "victim@example.com"}); !errors.As(err, &verr) {
			t.Fatalf("unverified e-mail: %v", err)
		}
		if _, _, err := svc.LoginPassword(ctx, "victim@example.com", "squatter-password"); err != nil {
			t.Fatalf("after an unverified attempt the account is untouched: %v", err)
		}

		owner, ownerTokens, err := svc.LoginProvider(ctx, auth.ProviderProfile{Provider: "google", ID: "owner-google",
			Email: "Victim@Example.com", EmailVerified: true, DisplayName: "Real Owner"})
		if err != nil {
			t.Fatal(err)
		}
		if owner.ID != squat.ID {
			t.Fatalf("owner got account %s, want the registered one %s", owner.ID, squat.ID)
		}
		got, _ := svc.User(ctx, owner.ID)
		if got.HasPassword() || got.DeviceID != "" || len(got.ProviderIDs) != 1 || got.ProviderIDs["google"] != "owner-google" ||
			got.ConfirmedAt == nil || got.TokenVersion != squat.TokenVersion+1 || got.Email != "victim@example.com" || got.DisplayName != "Real Owner" {
			t.Fatalf("after takeover: password %v device %q providers %v confirmed %v tv %d->%d email %q display %q",
				got.HasPassword(), got.DeviceID, got.ProviderIDs, got.ConfirmedAt, squat.TokenVersion, got.TokenVersion, got.Email, got.DisplayName)
		}
		// Every way in of the squatter is dead.
		if _, _, err := svc.LoginPassword(ctx, "victim@example.com", "squatter-password"); !errors.Is(err, auth.ErrInvalidCredentials) {
			t.Fatalf("squatter password: %v", err)
		}
		if _, err := svc.Authenticate(ctx, squatTokens.AccessToken); !errors.Is(err, auth.ErrTokenRevoked) {
			t.Fatalf("squatter access token: %v", err)
		}
		if _, _, err := svc.Refresh(ctx, squatTokens.RefreshToken); !errors.Is(err, auth.ErrTokenRevoked) {
			t.Fatalf("squatter refresh token: %v", err)
		}
		if _, _, err := ut.SessionUser(ctx, sessToken); !errors.Is(err, auth.ErrSessionInvalid) {
			t.Fatalf("squatter browser session: %v", err)
		}
		if _, err := ut.ResetPassword(ctx, resetToken, "new-password-1", "new-password-1"); !errors.Is(err, auth.ErrLinkInvalid) {
			t.Fatalf("squatter reset link: %v", err)
		}
		if d, _, err := svc.LoginDevice(ctx, "squatter-device"); err != nil {
			t.Fatal(err)
		} else if d.ID == owner.ID {
			t.Fatal("squatter device still signs into the account")
		}
		if u, _, err := svc.LoginProvider(ctx, auth.ProviderProfile{Provider: "steam", ID: "76561190000000001"}); err != nil || u.ID == owner.ID {
			t.Fatalf("squatter steam: %v", err)
		}
		if _, err := oauthSessions.Get(ctx, pendingLink.ID); !errors.Is(err, oauth.ErrSessionNotFound) {
			t.Fatalf("pending link session of the account: %v", err)
		}
		if _, err := oauthSessions.Get(ctx, otherLink.ID); err != nil {
			t.Fatalf("another account's link session: %v", err)
		}
		var n int
		if err := tg.DB.QueryRow(ctx, `SELECT count(*) FROM users_tokens WHERE user_id = ?`, owner.ID).Scan(&n); err != nil || n != 0 {
			t.Fatalf("users_tokens left: %d %v", n, err)
		}
		mu.Lock()
		if len(revoked) != 1 || revoked[0] != owner.ID {
			t.Fatalf("OnTokensRevoked: %v", revoked)
		}
		mu.Unlock()
		// The owner's tokens work, and signing in again changes nothing.
		if _, err := svc.Authenticate(ctx, ownerTokens.AccessToken); err != nil {
			t.Fatalf("owner token: %v", err)
		}
		again, _, err := svc.LoginProvider(ctx, auth.ProviderProfile{Provider: "google", ID: "owner-google", Email: "victim@example.com", EmailVerified: true})
		if err != nil || again.ID != owner.ID || again.TokenVersion != got.TokenVersion {
			t.Fatalf("second sign-in: %v (tv %d)", err, again.TokenVersion)
		}
	})
}

// A confirmed account is only linked: its password, sessions and tokens
// stay, and a second identity of the same provider is still refused.
func TestLoginProviderLinksConfirmedAccount(t *testing.T) {
	persistencetest.Dialects(t, func(t *testing.T, tg persistencetest.Target) {
		svc := newLinkService(t, tg)
		ctx := context.Background()
		ut := auth.NewUserTokens(svc)
		u, tokens, err := svc.Register(ctx, "owner@example.com", "owner-password")
		if err != nil {
			t.Fatal(err)
		}
		confirm, err := ut.IssueEmailToken(ctx, u, auth.ContextConfirm)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := ut.Confirm(ctx, confirm); err != nil {
			t.Fatal(err)
		}
		sess, _, err := ut.CreateSession(ctx, u.ID)
		if err != nil {
			t.Fatal(err)
		}
		linked, _, err := svc.LoginProvider(ctx, auth.ProviderProfile{Provider: "google", ID: "g-owner", Email: "owner@example.com", EmailVerified: true})
		if err != nil || linked.ID != u.ID || !linked.HasPassword() || linked.TokenVersion != u.TokenVersion {
			t.Fatalf("link into confirmed account: %v", err)
		}
		if _, _, err := svc.LoginPassword(ctx, "owner@example.com", "owner-password"); err != nil {
			t.Fatalf("password after link: %v", err)
		}
		if _, err := svc.Authenticate(ctx, tokens.AccessToken); err != nil {
			t.Fatalf("token after link: %v", err)
		}
		if _, _, err := ut.SessionUser(ctx, sess); err != nil {
			t.Fatalf("browser session after link: %v", err)
		}
		var verr *auth.ValidationError
		if _, _, err := svc.LoginProvider(ctx, auth.ProviderProfile{Provider: "google", ID: "g-other", Email: "owner@example.com", EmailVerified: true}); !errors.As(err, &verr) {
			t.Fatalf("second google identity: %v", err)
		}
	})
}
