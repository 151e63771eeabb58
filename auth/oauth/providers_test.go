package oauth_test

import (
	"context"
	"errors"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"

	"github.com/gamend-go/gamend/auth/oauth"
	"github.com/gamend-go/gamend/auth/oauth/oauthtest"
)

const public = "https://game.example.com"

type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) Now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *clock) Advance(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

func newProviders(t *testing.T) (*oauth.Providers, *oauthtest.Fake, *clock) {
	t.Helper()
	f := oauthtest.New(t)
	c := &clock{t: time.Now()}
	cfg := f.Config(public)
	cfg.Now = c.Now
	p, err := oauth.NewProviders(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return p, f, c
}

func TestDefaultEndpointsAreTheProviders(t *testing.T) {
	p, err := oauth.NewProviders(oauth.Config{PublicURL: public + "/", Discord: oauth.Credentials{ClientID: "id", ClientSecret: "s"}})
	if err != nil {
		t.Fatal(err)
	}
	u, _ := p.AuthCodeURL("discord", "st")
	if !strings.HasPrefix(u, "https://discord.com/oauth2/authorize?") || !strings.Contains(u, url.QueryEscape(public+"/auth/discord/callback")) {
		t.Fatalf("discord URL %s", u)
	}
	s, _ := p.AuthCodeURL("steam", "st")
	if !strings.HasPrefix(s, "https://steamcommunity.com/openid/login?") {
		t.Fatalf("steam URL %s", s)
	}
	for _, name := range []string{"google", "facebook", "apple"} {
		if _, err := p.AuthCodeURL(name, "st"); !errors.Is(err, oauth.ErrNotConfigured) {
			t.Fatalf("%s without credentials: %v", name, err)
		}
	}
	if _, err := p.AuthCodeURL("myspace", "st"); !errors.Is(err, oauth.ErrUnknownProvider) {
		t.Fatalf("unknown provider: %v", err)
	}
	if _, err := oauth.NewProviders(oauth.Config{Apple: oauth.AppleCredentials{PrivateKey: "not a key"}}); err == nil {
		t.Fatal("a broken Apple key was accepted")
	}
}

func TestAppleClientSecret(t *testing.T) {
	p, f, c := newProviders(t)
	secret, err := p.AppleClientSecret(oauthtest.AppleWebClientID)
	if err != nil {
		t.Fatal(err)
	}
	var claims jwt.RegisteredClaims
	tok, err := jwt.ParseWithClaims(secret, &claims, func(*jwt.Token) (any, error) { return &f.AppleKey.PublicKey, nil },
		jwt.WithValidMethods([]string{"ES256"}), jwt.WithTimeFunc(c.Now))
	if err != nil {
		t.Fatal(err)
	}
	if tok.Header["kid"] != oauthtest.AppleKeyID || claims.Issuer != oauthtest.AppleTeamID || claims.Subject != oauthtest.AppleWebClientID ||
		len(claims.Audience) != 1 || claims.Audience[0] != "https://appleid.apple.com" {
		t.Fatalf("header %v claims %+v", tok.Header, claims)
	}
	if ttl := claims.ExpiresAt.Sub(claims.IssuedAt.Time); ttl <= 0 || ttl > 6*30*24*time.Hour {
		t.Fatalf("lifetime %v", ttl)
	}
}

func TestVerifyAppleIDToken(t *testing.T) {
	p, f, c := newProviders(t)
	ctx := context.Background()
	who := oauthtest.Identity{ID: "001.apple", Email: "a@privaterelay.appleid.com", Verified: true}
	prof, err := p.VerifyAppleIDToken(ctx, f.AppleIDToken(who, oauthtest.AppleIOSClientID, false))
	if err != nil || prof.ID != who.ID || prof.Email != who.Email || !prof.EmailVerified || prof.Provider != "apple" {
		t.Fatalf("profile %+v err %v", prof, err)
	}
	sign := func(claims jwt.MapClaims, kid string) string {
		tok := jwt.NewWithClaims(jwt.SigningMethodRS256, claims)
		tok.Header["kid"] = kid
		s, _ := tok.SignedString(f.AppleSigner)
		return s
	}
	now := c.Now()
	bad := map[string]string{
		"forged signature": f.AppleIDToken(who, oauthtest.AppleWebClientID, true),
		"wrong audience":   sign(jwt.MapClaims{"iss": oauth.AppleIssuer, "aud": "com.evil", "sub": "x", "exp": now.Add(time.Hour).Unix()}, "fake-apple-rsa"),
		"wrong issuer":     sign(jwt.MapClaims{"iss": "https://evil.example.com", "aud": oauthtest.AppleWebClientID, "sub": "x", "exp": now.Add(time.Hour).Unix()}, "fake-apple-rsa"),
		"expired":          sign(jwt.MapClaims{"iss": oauth.AppleIssuer, "aud": oauthtest.AppleWebClientID, "sub": "x", "exp": now.Add(-time.Hour).Unix()}, "fake-apple-rsa"),
		"no expiry":        sign(jwt.MapClaims{"iss": oauth.AppleIssuer, "aud": oauthtest.AppleWebClientID, "sub": "x"}, "fake-apple-rsa"),
		"unknown key":      sign(jwt.MapClaims{"iss": oauth.AppleIssuer, "aud": oauthtest.AppleWebClientID, "sub": "x", "exp": now.Add(time.Hour).Unix()}, "rotated"),
		"not a JWT":        "garbage",
	}
	for name, raw := range bad {
		if _, err := p.VerifyAppleIDToken(ctx, raw); !errors.Is(err, oauth.ErrExchange) {
			t.Errorf("%s: err %v", name, err)
		}
	}
	// The JWKS is cached; an unknown kid refetches it at most once a minute.
	if n := f.CallCount(oauthtest.StepKeys); n != 1 {
		t.Fatalf("JWKS fetched %d times, want 1 (cached; the unknown kid came within the retry minute)", n)
	}
	c.Advance(2 * time.Minute)
	p.VerifyAppleIDToken(ctx, bad["unknown key"])
	p.VerifyAppleIDToken(ctx, bad["unknown key"])
	if n := f.CallCount(oauthtest.StepKeys); n != 2 {
		t.Fatalf("JWKS fetched %d times, want 2 (one refetch for the unknown kid)", n)
	}
}

// steamAssertion runs the fake Steam sign-in for state and returns the
// callback query.
func steamAssertion(t *testing.T, p *oauth.Providers, f *oauthtest.Fake, state string) url.Values {
	t.Helper()
	f.QueueLogin("steam", oauthtest.Identity{ID: "76561197960287930", Name: "Gabe"})
	authURL, err := p.AuthCodeURL("steam", state)
	if err != nil {
		t.Fatal(err)
	}
	client := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	res, err := client.Get(authURL)
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	loc, _ := url.Parse(res.Header.Get("Location"))
	if !strings.HasPrefix(loc.String(), public+"/auth/steam/callback?state=") {
		t.Fatalf("return_to %s", loc)
	}
	return loc.Query()
}

func TestVerifySteam(t *testing.T) {
	p, f, _ := newProviders(t)
	ctx := context.Background()
	q := steamAssertion(t, p, f, "s1")
	prof, err := p.VerifySteam(ctx, q)
	if err != nil || prof.ID != "76561197960287930" || prof.DisplayName != "Gabe" {
		t.Fatalf("profile %+v err %v", prof, err)
	}
	if _, err := p.VerifySteam(ctx, q); !errors.Is(err, oauth.ErrExchange) {
		t.Fatalf("a replayed assertion was accepted: %v", err)
	}
	tamper := map[string]func(url.Values){
		"other state":      func(v url.Values) { v.Set("state", "s2") },
		"unsigned id":      func(v url.Values) { v.Set("openid.signed", "return_to,response_nonce") },
		"foreign endpoint": func(v url.Values) { v.Set("openid.op_endpoint", "https://evil.example.com/openid") },
		"not steam": func(v url.Values) {
			v.Set("openid.claimed_id", "https://evil.example.com/id/1")
			v.Set("openid.identity", "https://evil.example.com/id/1")
		},
		"identity differs": func(v url.Values) { v.Set("openid.identity", "https://steamcommunity.com/openid/id/76561197960287931") },
		"setup mode":       func(v url.Values) { v.Set("openid.mode", "setup_needed") },
	}
	for name, fn := range tamper {
		q := steamAssertion(t, p, f, "s1")
		fn(q)
		if _, err := p.VerifySteam(ctx, q); !errors.Is(err, oauth.ErrExchange) {
			t.Errorf("%s: err %v", name, err)
		}
	}
	if _, err := p.VerifySteam(ctx, url.Values{"openid.mode": {"cancel"}}); !errors.Is(err, oauth.ErrDenied) {
		t.Fatalf("cancel: %v", err)
	}
}

// Provider errors are safe to log: no keys, tickets, codes or bodies.
func TestProviderErrorsCarryNoSecrets(t *testing.T) {
	p, f, _ := newProviders(t)
	ctx := context.Background()
	ticket := f.SteamTicket(oauthtest.Identity{ID: "76561197960287930"})
	f.FailNext(oauthtest.StepTicket, oauthtest.Fail500)
	_, err1 := p.SteamTicket(ctx, ticket)
	code := f.Code("discord", oauthtest.Identity{ID: "1"})
	f.FailNext(oauthtest.StepToken, oauthtest.FailBadJSON)
	_, err2 := p.Exchange(ctx, "discord", code)
	_, err3 := p.Exchange(ctx, "discord", code+"x")
	idt := f.GoogleIDToken(oauthtest.Identity{ID: "g"}, nil)
	f.FailNext(oauthtest.StepTokeninfo, oauthtest.Fail500)
	_, err4 := p.GoogleIDToken(ctx, idt)
	for i, err := range []error{err1, err2, err3, err4} {
		if !errors.Is(err, oauth.ErrExchange) {
			t.Fatalf("error %d: %v is not ErrExchange", i, err)
		}
		for _, secret := range []string{oauthtest.SteamAPIKey, ticket, code, oauthtest.ClientSecret, idt, "provider down", "broken"} {
			if strings.Contains(err.Error(), secret) {
				t.Fatalf("error %q contains %q", err, secret)
			}
		}
	}
}

func TestSteamTicketInput(t *testing.T) {
	p, _, _ := newProviders(t)
	for _, ticket := range []string{"", "zz", strings.Repeat("ab", 5000)} {
		if _, err := p.SteamTicket(context.Background(), ticket); !errors.Is(err, oauth.ErrExchange) {
			t.Fatalf("ticket %.10q: %v", ticket, err)
		}
	}
}
