package auth

import (
	"crypto/rand"
	"crypto/rsa"
	"encoding/base64"
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"
)

var (
	testSecret = []byte("test-secret-for-token-parsing-0123456789")
	testNow    = time.Date(2026, 1, 15, 10, 30, 0, 0, time.UTC)
	testUserID = "0198c0de-0002-7000-8000-000000000002"
)

// fixedTokens is a Tokens whose clock reads at.
func fixedTokens(secret []byte, at time.Time) *Tokens {
	t := NewTokens(secret)
	t.now = func() time.Time { return at }
	return t
}

// signClaims signs arbitrary claims with method and key (for tokens the
// server would never issue).
func signClaims(t testing.TB, m jwt.SigningMethod, key any, claims jwt.MapClaims) string {
	t.Helper()
	s, err := jwt.NewWithClaims(m, claims).SignedString(key)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// goodClaims are the claims of a valid access token at testNow.
func goodClaims() jwt.MapClaims {
	return jwt.MapClaims{
		"iss": Issuer, "aud": Audience, "sub": testUserID, "typ": TypeAccess, "tv": 3,
		"iat": testNow.Unix(), "nbf": testNow.Unix() - 1, "exp": testNow.Add(AccessTTL).Unix(), "jti": "x",
	}
}

func without(c jwt.MapClaims, keys ...string) jwt.MapClaims {
	out := jwt.MapClaims{}
	for k, v := range c {
		out[k] = v
	}
	for _, k := range keys {
		delete(out, k)
	}
	return out
}

func with(c jwt.MapClaims, k string, v any) jwt.MapClaims {
	out := without(c)
	out[k] = v
	return out
}

// reHeader replaces the header of a token, keeping payload and signature.
func reHeader(token, headerJSON string) string {
	parts := strings.Split(token, ".")
	parts[0] = base64.RawURLEncoding.EncodeToString([]byte(headerJSON))
	return strings.Join(parts, ".")
}

func TestParseToken(t *testing.T) {
	tok := fixedTokens(testSecret, testNow)
	access, err := tok.Sign(TypeAccess, testUserID, 3)
	if err != nil {
		t.Fatal(err)
	}
	refresh, _ := tok.Sign(TypeRefresh, testUserID, 3)
	rsaKey, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	noneToken := signClaims(t, jwt.SigningMethodNone, jwt.UnsafeAllowNoneSignatureType, goodClaims())
	parts := strings.Split(access, ".")
	tamperedPayload := base64.RawURLEncoding.EncodeToString([]byte(`{"aud":"game_server","exp":9999999999,"sub":"` + testUserID + `","typ":"access","tv":4}`))

	tests := []struct {
		name  string
		token string
		typ   string
		at    time.Time // parse time (zero = testNow)
		ok    bool
	}{
		{"valid access", access, TypeAccess, time.Time{}, true},
		{"valid refresh as refresh", refresh, TypeRefresh, time.Time{}, true},
		{"valid just before expiry", access, TypeAccess, testNow.Add(AccessTTL - time.Second), true},
		{"map-claims token the server would issue", signClaims(t, jwt.SigningMethodHS512, testSecret, goodClaims()), TypeAccess, time.Time{}, true},
		{"aud as a one-element list (tokens issued before aud was a string)", signClaims(t, jwt.SigningMethodHS512, testSecret, with(goodClaims(), "aud", []string{Audience})), TypeAccess, time.Time{}, true},
		{"aud as a list naming the audience among others", signClaims(t, jwt.SigningMethodHS512, testSecret, with(goodClaims(), "aud", []string{"x", Audience})), TypeAccess, time.Time{}, true},

		{"wrong signature (other secret)", signClaims(t, jwt.SigningMethodHS512, []byte("another-secret"), goodClaims()), TypeAccess, time.Time{}, false},
		{"alg none", noneToken, TypeAccess, time.Time{}, false},
		{"alg none header on a real token", reHeader(access, `{"alg":"none","typ":"JWT"}`), TypeAccess, time.Time{}, false},
		{"HS256 with the right secret", signClaims(t, jwt.SigningMethodHS256, testSecret, goodClaims()), TypeAccess, time.Time{}, false},
		{"HS384 with the right secret", signClaims(t, jwt.SigningMethodHS384, testSecret, goodClaims()), TypeAccess, time.Time{}, false},
		{"RS256 signed by an RSA key", signClaims(t, jwt.SigningMethodRS256, rsaKey, goodClaims()), TypeAccess, time.Time{}, false},
		{"RS512 header over an HS512 signature", reHeader(access, `{"alg":"RS512","typ":"JWT"}`), TypeAccess, time.Time{}, false},
		{"expired", access, TypeAccess, testNow.Add(AccessTTL + time.Second), false},
		{"not yet valid (nbf and iat ahead)", access, TypeAccess, testNow.Add(-time.Hour), false},
		{"nbf ahead only", signClaims(t, jwt.SigningMethodHS512, testSecret, with(goodClaims(), "nbf", testNow.Add(time.Hour).Unix())), TypeAccess, time.Time{}, false},
		{"refresh used as access", refresh, TypeAccess, time.Time{}, false},
		{"access used as refresh", access, TypeRefresh, time.Time{}, false},
		{"no typ", signClaims(t, jwt.SigningMethodHS512, testSecret, without(goodClaims(), "typ")), TypeAccess, time.Time{}, false},
		{"missing tv", signClaims(t, jwt.SigningMethodHS512, testSecret, without(goodClaims(), "tv")), TypeAccess, time.Time{}, false},
		{"tv not a number", signClaims(t, jwt.SigningMethodHS512, testSecret, with(goodClaims(), "tv", "3")), TypeAccess, time.Time{}, false},
		{"missing sub", signClaims(t, jwt.SigningMethodHS512, testSecret, without(goodClaims(), "sub")), TypeAccess, time.Time{}, false},
		{"missing exp", signClaims(t, jwt.SigningMethodHS512, testSecret, without(goodClaims(), "exp")), TypeAccess, time.Time{}, false},
		{"wrong audience", signClaims(t, jwt.SigningMethodHS512, testSecret, with(goodClaims(), "aud", "other")), TypeAccess, time.Time{}, false},
		{"wrong audience list", signClaims(t, jwt.SigningMethodHS512, testSecret, with(goodClaims(), "aud", []string{"other"})), TypeAccess, time.Time{}, false},
		{"no audience", signClaims(t, jwt.SigningMethodHS512, testSecret, without(goodClaims(), "aud")), TypeAccess, time.Time{}, false},
		{"tampered payload", parts[0] + "." + tamperedPayload + "." + parts[2], TypeAccess, time.Time{}, false},
		{"signature stripped", parts[0] + "." + parts[1] + ".", TypeAccess, time.Time{}, false},
		{"garbage: empty", "", TypeAccess, time.Time{}, false},
		{"garbage: word", "garbage", TypeAccess, time.Time{}, false},
		{"garbage: dots", "a.b.c", TypeAccess, time.Time{}, false},
		{"garbage: bearer prefix kept", "Bearer " + access, TypeAccess, time.Time{}, false},
		{"garbage: four segments", access + ".x", TypeAccess, time.Time{}, false},
		{"garbage: non-JSON header", "bm90LWpzb24." + parts[1] + "." + parts[2], TypeAccess, time.Time{}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			at := tt.at
			if at.IsZero() {
				at = testNow
			}
			c, err := fixedTokens(testSecret, at).Parse(tt.token, tt.typ)
			if tt.ok {
				if err != nil {
					t.Fatalf("Parse: %v", err)
				}
				if c.Subject != testUserID || c.TokenVersion == nil || *c.TokenVersion != 3 || c.Type != tt.typ {
					t.Fatalf("claims %+v", c)
				}
				return
			}
			if err == nil {
				t.Fatalf("Parse accepted the token: %+v", c)
			}
			if !errors.Is(err, ErrTokenInvalid) {
				t.Fatalf("error %v does not wrap ErrTokenInvalid", err)
			}
			if c != nil {
				t.Fatalf("claims returned with an error: %+v", c)
			}
		})
	}
}

// TestSignedClaims checks the payload Sign writes against API.md §2.1:
// exactly these claims, aud and iss as the string "game_server" (not a
// list), nbf one second before iat, and the lifetimes of each type.
func TestSignedClaims(t *testing.T) {
	tok := fixedTokens(testSecret, testNow)
	for _, tc := range []struct {
		typ string
		ttl time.Duration
	}{{TypeAccess, AccessTTL}, {TypeRefresh, RefreshTTL}} {
		t.Run(tc.typ, func(t *testing.T) {
			s, err := tok.Sign(tc.typ, testUserID, 7)
			if err != nil {
				t.Fatal(err)
			}
			parts := strings.Split(s, ".")
			if len(parts) != 3 {
				t.Fatalf("%d segments", len(parts))
			}
			hdr, _ := base64.RawURLEncoding.DecodeString(parts[0])
			if string(hdr) != `{"alg":"HS512","typ":"JWT"}` {
				t.Fatalf("header %s", hdr)
			}
			raw, err := base64.RawURLEncoding.DecodeString(parts[1])
			if err != nil {
				t.Fatal(err)
			}
			var payload map[string]any
			if err := json.Unmarshal(raw, &payload); err != nil {
				t.Fatal(err)
			}
			want := map[string]any{
				"iss": Issuer, "aud": Audience, "sub": testUserID, "typ": tc.typ, "tv": float64(7),
				"iat": float64(testNow.Unix()), "nbf": float64(testNow.Unix() - 1), "exp": float64(testNow.Add(tc.ttl).Unix()),
			}
			if len(payload) != len(want)+1 {
				t.Fatalf("payload %s has claims beyond %v and jti", raw, want)
			}
			for k, v := range want {
				if payload[k] != v {
					t.Errorf("claim %s = %#v, want %#v (payload %s)", k, payload[k], v, raw)
				}
			}
			if jti, _ := payload["jti"].(string); len(jti) != 36 {
				t.Errorf("jti %#v is not a UUID", payload["jti"])
			}
			if c, err := tok.Parse(s, tc.typ); err != nil || c.Subject != testUserID || *c.TokenVersion != 7 {
				t.Fatalf("round trip: %+v %v", c, err)
			}
		})
	}
	// Two tokens signed in the same second differ (jti).
	a, _ := tok.Sign(TypeAccess, testUserID, 7)
	b, _ := tok.Sign(TypeAccess, testUserID, 7)
	if a == b {
		t.Fatal("two tokens are identical")
	}
}

// BenchmarkParseAccess is the per-request cost of checking an access
// token: "repeat" is a REST client sending its token again (the memo
// answers), "first" a token seen for the first time (a socket connect, or
// the first request after a login): HMAC, decode and validation.
func BenchmarkParseAccess(b *testing.B) {
	tk := fixedTokens(testSecret, testNow)
	token, err := tk.Sign(TypeAccess, testUserID, 3)
	if err != nil {
		b.Fatal(err)
	}
	tk.now = func() time.Time { return testNow.Add(time.Minute) }
	b.Run("repeat", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if _, err := tk.Parse(token, TypeAccess); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("first", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if _, err := tk.verify(token); err != nil {
				b.Fatal(err)
			}
		}
	})
}
