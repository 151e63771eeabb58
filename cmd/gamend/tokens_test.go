package main

import (
	"context"
	"crypto/hmac"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"

	"github.com/gamend-go/gamend/persistence/persistencetest"
)

// TestRevokedTokenRefusedDespiteRacingFill (regression): a request that
// was loading the user into the node's user cache when the user's tokens
// were revoked used to store the row from before the revocation, so the
// revoked token kept passing on this node for the cache's TTL (2 s). The
// old token must be refused on the very next request and socket connect.
func TestRevokedTokenRefusedDespiteRacingFill(t *testing.T) {
	forDialects(t, func(t *testing.T, dialect string) {
		ta := newTestApp(t, dialect)
		_, adminTok := ta.deviceUser(t, "racing-admin") // the first account is an admin
		id, tok := ta.deviceUser(t, "racing-fill")
		ta.userCache.Invalidate(id) // the next request loads the user
		loaded, resume := persistencetest.PauseNextUserLoad(t, ta.userCache, id)
		inFlight := make(chan apiResponse, 1)
		go func() {
			r, err := call(context.Background(), "GET", ta.base+"/api/v1/me", tok, nil)
			if err != nil {
				t.Errorf("request in flight: %v", err)
			}
			inFlight <- r
		}()
		<-loaded // its fill has read the user and not stored it yet

		r, err := call(context.Background(), "POST", ta.base+"/api/v1/admin/users/"+id+"/revoke_tokens", adminTok, nil)
		if err != nil || r.Status != 200 {
			t.Fatalf("revoke: %v %d %s", err, r.Status, r.Raw)
		}
		resume()
		// Authenticated before the revocation, it may still succeed.
		if r := <-inFlight; r.Status != 200 {
			t.Fatalf("request in flight: %d %s", r.Status, r.Raw)
		}

		r, err = call(context.Background(), "GET", ta.base+"/api/v1/me", tok, nil)
		if err != nil || r.Status != 401 || r.Body["error"] != "Failed." {
			t.Fatalf("revoked token on the next request: %v %d %s", err, r.Status, r.Raw)
		}
		expectRefused(t, ta.base, tok, nil, http.StatusForbidden, "invalid_token")
	})
}

// TestHostileTokensRefused keeps the hostile-client probe's token attacks
// refused through the real transports: each forged, altered, expired or
// misused token gets the contract's 401 body on a bearer route (API.md
// §1.4) and a 403 invalid_token at the socket upgrade (§5.1), no socket.
// The server's own secret signs the forgeries that need it (algorithm
// swaps, claims the server would never issue). iss is not verified
// (§2.1), so no case varies it.
func TestHostileTokensRefused(t *testing.T) {
	forDialects(t, func(t *testing.T, dialect string) {
		ta := newTestApp(t, dialect)
		r, err := call(context.Background(), "POST", ta.base+"/api/v1/login/device", "", map[string]string{"device_id": "hostile"})
		if err != nil || r.Status != 200 {
			t.Fatalf("login: %v %d %s", err, r.Status, r.Raw)
		}
		access, refresh := dataField(r, "access_token"), dataField(r, "refresh_token")
		otherID, _ := ta.deviceUser(t, "hostile-other")
		secret := ta.cfg.JWTSecret()
		rsaKey, err := rsa.GenerateKey(rand.Reader, 2048)
		if err != nil {
			t.Fatal(err)
		}
		parts := strings.Split(access, ".")
		claims := tokenClaims(t, access)
		now := time.Now()
		sign := func(m jwt.SigningMethod, key any, c jwt.MapClaims) string {
			t.Helper()
			s, err := jwt.NewWithClaims(m, c).SignedString(key)
			if err != nil {
				t.Fatal(err)
			}
			return s
		}
		with := func(k string, v any) jwt.MapClaims {
			c := jwt.MapClaims{}
			for ck, cv := range claims {
				c[ck] = cv
			}
			c[k] = v
			return c
		}
		header := func(h string) string { return base64.RawURLEncoding.EncodeToString([]byte(h)) }
		payload := func(c jwt.MapClaims) string {
			b, _ := json.Marshal(c)
			return base64.RawURLEncoding.EncodeToString(b)
		}
		// RS256 in the header, signed with HMAC-SHA256 over the server's
		// secret: the classic RSA/HMAC key confusion.
		confused := header(`{"alg":"RS256","typ":"JWT"}`) + "." + parts[1]
		mac := hmac.New(sha256.New, secret)
		mac.Write([]byte(confused))
		confused += "." + base64.RawURLEncoding.EncodeToString(mac.Sum(nil))

		const invalid, failed = "Invalid authentication token", "Failed."
		tests := []struct {
			name, token, rest string
		}{
			{"alg none", sign(jwt.SigningMethodNone, jwt.UnsafeAllowNoneSignatureType, claims), invalid},
			{"alg none header, signature stripped", header(`{"alg":"none","typ":"JWT"}`) + "." + parts[1] + ".", invalid},
			{"HS256 with the server's secret", sign(jwt.SigningMethodHS256, secret, claims), invalid},
			{"HS384 with the server's secret", sign(jwt.SigningMethodHS384, secret, claims), invalid},
			{"HS512 token relabelled HS256", header(`{"alg":"HS256","typ":"JWT"}`) + "." + parts[1] + "." + parts[2], invalid},
			{"RS256 header with an HMAC signature (key confusion)", confused, invalid},
			{"RS256 signed by an RSA key", sign(jwt.SigningMethodRS256, rsaKey, claims), invalid},
			{"signature stripped", parts[0] + "." + parts[1] + ".", invalid},
			{"signature cut", parts[0] + "." + parts[1], invalid},
			{"sub tampered, signature kept", parts[0] + "." + payload(with("sub", otherID)) + "." + parts[2], invalid},
			{"expired", sign(jwt.SigningMethodHS512, secret, with("exp", now.Add(-time.Minute).Unix())), invalid},
			{"nbf in the future", sign(jwt.SigningMethodHS512, secret, with("nbf", now.Add(time.Hour).Unix())), invalid},
			{"wrong audience", sign(jwt.SigningMethodHS512, secret, with("aud", "another_server")), invalid},
			{"refresh token as the access token", refresh, invalid},
			{"signed, sub not a UUID", sign(jwt.SigningMethodHS512, secret, with("sub", "admin")), failed},
			{"signed, sub of no user", sign(jwt.SigningMethodHS512, secret, with("sub", "0198c0de-0002-7000-8000-000000000002")), failed},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				r, err := call(context.Background(), "GET", ta.base+"/api/v1/me", tt.token, nil)
				if err != nil || r.Status != 401 || r.Body["error"] != tt.rest || len(r.Body) != 1 {
					t.Fatalf("GET /me: %v %d %s, want 401 {\"error\":%q}", err, r.Status, r.Raw, tt.rest)
				}
				expectRefused(t, ta.base, tt.token, nil, http.StatusForbidden, "invalid_token")
			})
		}
		// The genuine token passes both, so the refusals are the tokens'.
		if r, _ := call(context.Background(), "GET", ta.base+"/api/v1/me", access, nil); r.Status != 200 {
			t.Fatalf("genuine token: %d %s", r.Status, r.Raw)
		}
		expectUpgraded(t, ta.base, access, nil)
	})
}

// tokenClaims decodes the payload of a JWT without verifying it.
func tokenClaims(t *testing.T, token string) jwt.MapClaims {
	t.Helper()
	parts := strings.Split(token, ".")
	b, err := base64.RawURLEncoding.DecodeString(parts[1])
	if err != nil {
		t.Fatal(err)
	}
	var c jwt.MapClaims
	if err := json.Unmarshal(b, &c); err != nil {
		t.Fatal(err)
	}
	return c
}
