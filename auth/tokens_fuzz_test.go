package auth

import (
	"crypto/hmac"
	"crypto/sha512"
	"encoding/base64"
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"
)

// FuzzParseToken feeds arbitrary strings to Tokens.Parse. Properties: it
// never panics; every failure wraps ErrTokenInvalid; and every success is
// a token whose header says HS512 and whose signature is, byte for byte,
// HMAC-SHA512 of its signing input under the server's secret (checked
// independently of the JWT library), with an access typ, a tv and a sub.
func FuzzParseToken(f *testing.F) {
	tok := fixedTokens(testSecret, testNow)
	access, _ := tok.Sign(TypeAccess, testUserID, 3)
	refresh, _ := tok.Sign(TypeRefresh, testUserID, 3)
	for _, seed := range []string{
		access, refresh, "", "a.b.c", "garbage", access + "x", strings.ToUpper(access),
		signClaims(f, jwt.SigningMethodHS256, testSecret, goodClaims()),
		signClaims(f, jwt.SigningMethodNone, jwt.UnsafeAllowNoneSignatureType, goodClaims()),
		signClaims(f, jwt.SigningMethodHS512, testSecret, without(goodClaims(), "tv")),
		signClaims(f, jwt.SigningMethodHS512, testSecret, with(goodClaims(), "tv", 1.5)),
		signClaims(f, jwt.SigningMethodHS512, testSecret, with(goodClaims(), "aud", []string{"x", Audience})),
		signClaims(f, jwt.SigningMethodHS512, testSecret, with(goodClaims(), "aud", []string{Audience})),
		signClaims(f, jwt.SigningMethodHS512, testSecret, with(goodClaims(), "aud", "other")),
		signClaims(f, jwt.SigningMethodHS512, testSecret, without(goodClaims(), "aud")),
		reHeader(access, `{"alg":"RS512","typ":"JWT"}`),
		// Line breaks in the signature: the library's base64 decoder skips them.
		access[:strings.LastIndexByte(access, '.')+1] + "\n\n\n\n\n\n" + access[strings.LastIndexByte(access, '.')+1:],
	} {
		f.Add(seed)
	}
	at := testNow.Add(time.Minute)
	f.Fuzz(func(t *testing.T, token string) {
		tk := fixedTokens(testSecret, at)
		// The fast path (tokens with this server's header) must accept
		// exactly what the full golang-jwt parser accepts.
		fc, ferr := tk.verify(token)
		sc, serr := tk.verifySlow(token)
		if (ferr == nil) != (serr == nil) {
			t.Fatalf("fast path err %v, full parser err %v for %q", ferr, serr, token)
		}
		if ferr == nil {
			fj, _ := json.Marshal(fc)
			sj, _ := json.Marshal(sc)
			if string(fj) != string(sj) {
				t.Fatalf("fast path claims %s, full parser claims %s", fj, sj)
			}
		}
		c, err := tk.Parse(token, TypeAccess)
		// A second Parse (from the memo when the first accepted) must
		// give the same verdict and claims.
		if c2, err2 := tk.Parse(token, TypeAccess); (err2 == nil) != (err == nil) || c2 != c && c2 != nil && c != nil {
			t.Fatalf("second parse: %v (first: %v)", err2, err)
		}
		if err != nil {
			if !errors.Is(err, ErrTokenInvalid) {
				t.Fatalf("error %v does not wrap ErrTokenInvalid", err)
			}
			return
		}
		if c == nil || c.Type != TypeAccess || c.TokenVersion == nil || c.Subject == "" {
			t.Fatalf("accepted claims are incomplete: %+v", c)
		}
		parts := strings.Split(token, ".")
		if len(parts) != 3 {
			t.Fatalf("accepted a token with %d segments", len(parts))
		}
		hdrJSON, err := base64.RawURLEncoding.DecodeString(parts[0])
		if err != nil {
			t.Fatalf("accepted an undecodable header: %v", err)
		}
		var hdr struct {
			Alg string `json:"alg"`
		}
		if err := json.Unmarshal(hdrJSON, &hdr); err != nil || hdr.Alg != "HS512" {
			t.Fatalf("accepted header %s", hdrJSON)
		}
		sig, err := base64.RawURLEncoding.DecodeString(parts[2])
		if err != nil {
			t.Fatalf("accepted an undecodable signature: %v", err)
		}
		mac := hmac.New(sha512.New, testSecret)
		mac.Write([]byte(parts[0] + "." + parts[1]))
		if !hmac.Equal(sig, mac.Sum(nil)) {
			t.Fatalf("accepted a token not signed with the secret: %q", token)
		}
	})
}
