// Package oauthtest is a fake of every OAuth provider Gamend-Go talks to
// (Discord, Google, Facebook, Sign in with Apple, Steam OpenID and Web API)
// served by one httptest.Server, for tests of the OAuth flows over real
// HTTP. It checks what the real providers check (client credentials, the
// Apple ES256 client secret, single-use codes, signed and single-use Steam
// assertions) and can be told to fail.
package oauthtest

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/hmac"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"encoding/pem"
	"math/big"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"

	"github.com/gamend-go/gamend/auth/oauth"
)

// Credentials the fake accepts (and Config returns).
const (
	ClientID          = "test-client-id"
	ClientSecret      = "test-client-secret"
	GoogleWebClientID = "test-google-web-client"
	AppleWebClientID  = "com.example.web"
	AppleIOSClientID  = "com.example.ios"
	AppleTeamID       = "TEAM123456"
	AppleKeyID        = "KEY1234567"
	SteamAPIKey       = "test-steam-key"
	SteamAppID        = "480"
	appleJWKSKeyID    = "fake-apple-rsa"
)

// Identity is an account at a fake provider. For discord, Avatar is the
// avatar hash; for the others it is a URL. SteamID is the steamid (17
// digits) for steam; ID is used otherwise.
type Identity struct {
	ID       string
	Email    string
	Verified bool
	Name     string
	Avatar   string
	// OwnerID, for a Steam ticket, is the license owner (family sharing).
	OwnerID string
}

// Failure modes of FailNext.
const (
	Fail500     = "500"
	FailBadJSON = "badjson"
)

// Steps that can be failed.
const (
	StepToken     = "token"     // code exchange (all code providers)
	StepProfile   = "profile"   // discord/google/facebook profile
	StepKeys      = "keys"      // Apple JWKS
	StepTokeninfo = "tokeninfo" // Google id_token check
	StepOpenID    = "openid"    // Steam check_authentication
	StepTicket    = "ticket"    // Steam AuthenticateUserTicket
	StepSummaries = "summaries" // Steam GetPlayerSummaries
)

// Fake is the running fake provider.
type Fake struct {
	Server *httptest.Server
	// AppleKey is the Sign in with Apple private key configured in the
	// server; the fake verifies client secrets with its public half.
	AppleKey *ecdsa.PrivateKey
	// AppleSigner signs the id_tokens; its public key is the JWKS.
	AppleSigner *rsa.PrivateKey

	mu          sync.Mutex
	queue       map[string][]*Identity // provider -> next logins (nil = deny)
	codes       map[string]*grant      // code -> grant
	access      map[string]*grant      // access token -> grant
	tickets     map[string]Identity
	idTokens    map[string]map[string]any
	players     map[string]Identity
	assertions  map[string]string // response_nonce -> signature
	fail        map[string]string // step -> mode (one shot)
	Calls       map[string]int    // step -> count
	steamSecret []byte
}

type grant struct {
	provider string
	who      Identity
	used     bool
	redirect string // the authorize request's redirect_uri; "" for Code
}

// New starts a fake provider, closed when the test ends.
func New(t testing.TB) *Fake {
	t.Helper()
	f := &Fake{queue: map[string][]*Identity{}, codes: map[string]*grant{}, access: map[string]*grant{},
		tickets: map[string]Identity{}, idTokens: map[string]map[string]any{}, players: map[string]Identity{},
		assertions: map[string]string{}, fail: map[string]string{}, Calls: map[string]int{}, steamSecret: randBytes(32)}
	var err error
	if f.AppleKey, err = ecdsa.GenerateKey(elliptic.P256(), rand.Reader); err != nil {
		t.Fatal(err)
	}
	if f.AppleSigner, err = rsa.GenerateKey(rand.Reader, 2048); err != nil {
		t.Fatal(err)
	}
	f.Server = httptest.NewServer(f.routes())
	t.Cleanup(f.Server.Close)
	return f
}

// URL is the fake's base URL.
func (f *Fake) URL() string { return f.Server.URL }

// Config returns an oauth.Config with every provider configured against
// the fake and redirect URIs under publicURL.
func (f *Fake) Config(publicURL string) oauth.Config {
	der, err := x509.MarshalPKCS8PrivateKey(f.AppleKey)
	if err != nil {
		panic(err)
	}
	b := f.URL()
	creds := oauth.Credentials{ClientID: ClientID, ClientSecret: ClientSecret}
	return oauth.Config{
		PublicURL: publicURL, Discord: creds, Google: creds, GoogleWebClientID: GoogleWebClientID, Facebook: creds,
		Apple: oauth.AppleCredentials{WebClientID: AppleWebClientID, IOSClientID: AppleIOSClientID, TeamID: AppleTeamID, KeyID: AppleKeyID,
			PrivateKey: string(pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der}))},
		Steam: oauth.SteamCredentials{APIKey: SteamAPIKey, AppID: SteamAppID},
		Endpoints: oauth.Endpoints{
			DiscordAuthorize: b + "/discord/authorize", DiscordToken: b + "/discord/token", DiscordUser: b + "/discord/users/@me",
			GoogleAuthorize: b + "/google/authorize", GoogleToken: b + "/google/token", GoogleUserinfo: b + "/google/userinfo", GoogleInfo: b + "/google/tokeninfo",
			FacebookAuthorize: b + "/facebook/authorize", FacebookToken: b + "/facebook/token", FacebookProfile: b + "/facebook/me",
			AppleAuthorize: b + "/apple/authorize", AppleToken: b + "/apple/token", AppleKeys: b + "/apple/keys",
			SteamOpenID: b + "/steam/openid", SteamAPIBase: b + "/steam/api",
		},
		Timeout: 5 * time.Second,
	}
}

// QueueLogin makes the next authorization of provider sign in as who.
func (f *Fake) QueueLogin(provider string, who Identity) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.queue[provider] = append(f.queue[provider], &who)
}

// QueueDeny makes the next authorization of provider end with the player
// refusing (error=access_denied; Apple user_cancelled_authorize; Steam
// openid.mode=cancel).
func (f *Fake) QueueDeny(provider string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.queue[provider] = append(f.queue[provider], nil)
}

// Code mints an authorization code of provider for who (direct exchange).
func (f *Fake) Code(provider string, who Identity) string {
	return f.mintCode(provider, who, "")
}

func (f *Fake) mintCode(provider string, who Identity, redirect string) string {
	f.mu.Lock()
	defer f.mu.Unlock()
	code := "fakecode-" + hex.EncodeToString(randBytes(12))
	f.codes[code] = &grant{provider: provider, who: who, redirect: redirect}
	return code
}

// SteamTicket registers an auth-session ticket for who and returns it as
// hex.
func (f *Fake) SteamTicket(who Identity) string {
	f.mu.Lock()
	defer f.mu.Unlock()
	t := hex.EncodeToString(randBytes(64))
	f.tickets[t] = who
	f.players[who.ID] = who
	return t
}

// SteamPlayer registers who for GetPlayerSummaries.
func (f *Fake) SteamPlayer(who Identity) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.players[who.ID] = who
}

// GoogleIDToken registers an id_token whose tokeninfo answer is claims
// (defaults: iss accounts.google.com, aud ClientID, exp in an hour, sub,
// email, email_verified "true"/"false", name, picture from who); extra
// entries override them.
func (f *Fake) GoogleIDToken(who Identity, extra map[string]any) string {
	claims := map[string]any{"iss": "https://accounts.google.com", "aud": ClientID, "sub": who.ID,
		"exp": jsonString(time.Now().Add(time.Hour).Unix()), "email": who.Email,
		"email_verified": jsonString(who.Verified), "name": who.Name, "picture": who.Avatar}
	for k, v := range extra {
		claims[k] = v
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	tok := "fakeidt-" + hex.EncodeToString(randBytes(16))
	f.idTokens[tok] = claims
	return tok
}

// FailNext makes the next call of step fail with mode (Fail500 or
// FailBadJSON).
func (f *Fake) FailNext(step, mode string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.fail[step] = mode
}

// CallCount returns how often step was called.
func (f *Fake) CallCount(step string) int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.Calls[step]
}

// failing records a call of step and answers the injected failure, if
// any; it reports whether it answered.
func (f *Fake) failing(w http.ResponseWriter, step string) bool {
	f.mu.Lock()
	f.Calls[step]++
	mode := f.fail[step]
	delete(f.fail, step)
	f.mu.Unlock()
	switch mode {
	case Fail500:
		http.Error(w, "provider down", http.StatusInternalServerError)
		return true
	case FailBadJSON:
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write([]byte(`{"access_token": "x", broken`))
		return true
	}
	return false
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

func randBytes(n int) []byte {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return b
}

func jsonString(v any) string {
	b, _ := json.Marshal(v)
	return strings.Trim(string(b), `"`)
}

// appleIDToken signs an Apple id_token for who with audience aud.
func (f *Fake) appleIDToken(who Identity, aud string) string {
	t := jwt.NewWithClaims(jwt.SigningMethodRS256, jwt.MapClaims{
		"iss": oauth.AppleIssuer, "aud": aud, "sub": who.ID, "iat": time.Now().Unix(), "exp": time.Now().Add(10 * time.Minute).Unix(),
		"email": who.Email, "email_verified": jsonString(who.Verified),
	})
	t.Header["kid"] = appleJWKSKeyID
	s, err := t.SignedString(f.AppleSigner)
	if err != nil {
		panic(err)
	}
	return s
}

// AppleIDToken signs an id_token like Apple's for who, audience aud, with
// the JWKS key (or, when forged, with a key that is not in the JWKS).
func (f *Fake) AppleIDToken(who Identity, aud string, forged bool) string {
	if !forged {
		return f.appleIDToken(who, aud)
	}
	k, _ := rsa.GenerateKey(rand.Reader, 2048)
	t := jwt.NewWithClaims(jwt.SigningMethodRS256, jwt.MapClaims{"iss": oauth.AppleIssuer, "aud": aud, "sub": who.ID, "exp": time.Now().Add(time.Minute).Unix()})
	t.Header["kid"] = appleJWKSKeyID
	s, _ := t.SignedString(k)
	return s
}

func (f *Fake) jwks() map[string]any {
	pub := f.AppleSigner.PublicKey
	return map[string]any{"keys": []map[string]any{{
		"kty": "RSA", "kid": appleJWKSKeyID, "use": "sig", "alg": "RS256",
		"n": base64.RawURLEncoding.EncodeToString(pub.N.Bytes()),
		"e": base64.RawURLEncoding.EncodeToString(big.NewInt(int64(pub.E)).Bytes()),
	}}}
}

// checkAppleSecret verifies the ES256 client secret JWT of a token call.
func (f *Fake) checkAppleSecret(secret, clientID string) bool {
	var c jwt.RegisteredClaims
	tok, err := jwt.ParseWithClaims(secret, &c, func(*jwt.Token) (any, error) { return &f.AppleKey.PublicKey, nil },
		jwt.WithValidMethods([]string{"ES256"}), jwt.WithIssuer(AppleTeamID), jwt.WithAudience(oauth.AppleIssuer),
		jwt.WithSubject(clientID), jwt.WithExpirationRequired())
	return err == nil && tok.Header["kid"] == AppleKeyID
}

// steamSign is the fake's assertion signature over the signed fields.
func (f *Fake) steamSign(v url.Values) string {
	mac := hmac.New(sha256.New, f.steamSecret)
	for _, k := range strings.Split(v.Get("openid.signed"), ",") {
		mac.Write([]byte(k + ":" + v.Get("openid."+k) + "\n"))
	}
	return base64.StdEncoding.EncodeToString(mac.Sum(nil))
}
