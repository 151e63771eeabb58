package auth

import (
	"crypto/hmac"
	"crypto/sha512"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"hash"
	"strings"
	"sync"
	"time"
	"unsafe"

	"github.com/golang-jwt/jwt/v5"
	"github.com/google/uuid"
)

// Token types (the typ claim).
const (
	TypeAccess  = "access"
	TypeRefresh = "refresh"
)

// Token lifetimes and the fixed issuer/audience of API.md §2.1.
const (
	AccessTTL  = 15 * time.Minute
	RefreshTTL = 30 * 24 * time.Hour
	Issuer     = "game_server"
	Audience   = "game_server"
)

// Claims are exactly the claims Gamend's tokens carry.
type Claims struct {
	Type         string `json:"typ"`
	TokenVersion *int   `json:"tv"`
	jwt.RegisteredClaims
}

// TokenPair is the login/refresh answer (wrapped in {"data":…} on the wire).
type TokenPair struct {
	AccessToken  string `json:"access_token"`
	RefreshToken string `json:"refresh_token"`
	ExpiresIn    int    `json:"expires_in"`
	UserID       string `json:"user_id"`
}

// Tokens signs and verifies HS512 JWTs with one secret.
type Tokens struct {
	secret    []byte
	now       func() time.Time
	parser    *jwt.Parser
	validator *jwt.Validator
	// header is the encoded header of every token Sign makes; tokens that
	// start with it take the fast verification path.
	header string
	macs   sync.Pool
	memo   *memo
}

// NewTokens returns a signer/verifier for secret (GUARDIAN_SECRET_KEY, or
// SECRET_KEY_BASE).
func NewTokens(secret []byte) *Tokens {
	t := &Tokens{secret: secret, now: time.Now, memo: newMemo()}
	opts := []jwt.ParserOption{
		jwt.WithValidMethods([]string{jwt.SigningMethodHS512.Alg()}),
		jwt.WithAudience(Audience),
		jwt.WithExpirationRequired(),
		jwt.WithIssuedAt(),
		jwt.WithTimeFunc(func() time.Time { return t.now() }),
	}
	t.parser = jwt.NewParser(opts...)
	t.validator = jwt.NewValidator(opts...)
	t.header = base64.RawURLEncoding.EncodeToString([]byte(`{"alg":"HS512","typ":"JWT"}`))
	t.macs.New = func() any { return hmac.New(sha512.New, t.secret) }
	return t
}

// issuedClaims is the payload Sign writes: Claims with aud as the single
// string "game_server" of API.md §2.1. Its Audience field (depth 0)
// shadows RegisteredClaims' "aud" (depth 2), which golang-jwt would write
// as the list ["game_server"]. Parse accepts both forms.
type issuedClaims struct {
	Claims
	Audience string `json:"aud"`
}

// Sign issues a token of the given type for user id at token version tv.
func (t *Tokens) Sign(typ, userID string, tv int) (string, error) {
	now := t.now().Truncate(time.Second)
	ttl := AccessTTL
	if typ == TypeRefresh {
		ttl = RefreshTTL
	}
	c := issuedClaims{
		Claims: Claims{
			Type:         typ,
			TokenVersion: &tv,
			RegisteredClaims: jwt.RegisteredClaims{
				Issuer:    Issuer,
				Subject:   userID,
				IssuedAt:  jwt.NewNumericDate(now),
				NotBefore: jwt.NewNumericDate(now.Add(-time.Second)),
				ExpiresAt: jwt.NewNumericDate(now.Add(ttl)),
				ID:        uuid.NewString(),
			},
		},
		Audience: Audience,
	}
	return jwt.NewWithClaims(jwt.SigningMethodHS512, c).SignedString(t.secret)
}

// Pair issues an access and a refresh token.
func (t *Tokens) Pair(userID string, tv int) (TokenPair, error) {
	access, err := t.Sign(TypeAccess, userID, tv)
	if err != nil {
		return TokenPair{}, err
	}
	refresh, err := t.Sign(TypeRefresh, userID, tv)
	if err != nil {
		return TokenPair{}, err
	}
	return TokenPair{AccessToken: access, RefreshToken: refresh, ExpiresIn: int(AccessTTL / time.Second), UserID: userID}, nil
}

// Parse verifies signature, algorithm (HS512 only), audience, exp and nbf,
// and that the typ claim equals typ; it does not look the user up. Every
// failure wraps ErrTokenInvalid. The claims returned must not be modified:
// a token that verified is remembered (see memo), and the next Parse of
// the same token returns the same claims.
func (t *Tokens) Parse(token, typ string) (*Claims, error) {
	return t.parse(token, typ, true)
}

// ParseOnce is Parse for a token presented once (a socket connect): it
// uses a remembered verification but does not remember a new one, so ten
// thousand connecting clients do not churn the memo of REST clients.
func (t *Tokens) ParseOnce(token, typ string) (*Claims, error) {
	return t.parse(token, typ, false)
}

func (t *Tokens) parse(token, typ string, remember bool) (*Claims, error) {
	now := t.now()
	c := t.memo.get(token, now)
	var err error
	if c == nil {
		if c, err = t.verify(token); err == nil && remember {
			t.memo.put(token, c, now)
		}
	}
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrTokenInvalid, err)
	}
	if c.Type != typ {
		return nil, fmt.Errorf("%w: token type %q, want %q", ErrTokenInvalid, c.Type, typ)
	}
	if c.TokenVersion == nil {
		return nil, fmt.Errorf("%w: no tv claim", ErrTokenInvalid)
	}
	if c.Subject == "" {
		return nil, fmt.Errorf("%w: no subject", ErrTokenInvalid)
	}
	return c, nil
}

// verify checks a token's signature and registered claims. Tokens carrying
// exactly the header Sign writes (every token this server issued) take a
// fast path: one HMAC over the signed part, the claims decoded once, the
// library's own claims validator. Anything else goes through the full
// golang-jwt parser, which rejects every other algorithm. Both paths accept
// exactly the same tokens (FuzzParseToken checks it). Parse remembers what
// verify accepted; verify itself remembers nothing.
func (t *Tokens) verify(token string) (*Claims, error) {
	if len(token) > len(t.header) && token[len(t.header)] == '.' && token[:len(t.header)] == t.header {
		return t.verifyFast(token)
	}
	return t.verifySlow(token)
}

func (t *Tokens) verifySlow(token string) (*Claims, error) {
	var c Claims
	if _, err := t.parser.ParseWithClaims(token, &c, func(*jwt.Token) (any, error) { return t.secret, nil }); err != nil {
		return nil, err
	}
	return &c, nil
}

var errBadSignature = errors.New("token signature is invalid")

func (t *Tokens) verifyFast(token string) (*Claims, error) {
	rest := token[len(t.header)+1:]
	dot := strings.IndexByte(rest, '.')
	if dot < 0 || strings.IndexByte(rest[dot+1:], '.') >= 0 {
		return t.verifySlow(token) // malformed: let the library say how
	}
	// Every request carries a token: decode into stack buffers and hash
	// the string in place (bytesOf is read-only), so a valid token costs
	// only its claims.
	signed := token[:len(t.header)+1+dot]
	var sigBuf [sha512.Size + 3]byte
	encSig := bytesOf(rest[dot+1:])
	if base64.RawURLEncoding.DecodedLen(len(encSig)) > len(sigBuf) {
		// Not one of ours (or padded with line breaks, which the
		// library's decoder skips): the library decides.
		return t.verifySlow(token)
	}
	n, err := base64.RawURLEncoding.Decode(sigBuf[:], encSig)
	if err != nil {
		return nil, err
	}
	mac := t.macs.Get().(hash.Hash)
	mac.Reset()
	mac.Write(bytesOf(signed))
	var sum [sha512.Size]byte
	ok := hmac.Equal(sigBuf[:n], mac.Sum(sum[:0]))
	t.macs.Put(mac)
	if !ok {
		return nil, errBadSignature
	}
	encPayload := bytesOf(rest[:dot])
	payload := make([]byte, base64.RawURLEncoding.DecodedLen(len(encPayload)))
	if n, err = base64.RawURLEncoding.Decode(payload, encPayload); err != nil {
		return nil, err
	}
	// json.Unmarshal accepts a payload only when it is exactly one JSON
	// value, which the library's json.Decoder then decodes the same way;
	// anything else (trailing data, bad JSON) gets the library's verdict.
	var c Claims
	if err := json.Unmarshal(payload[:n], &c); err != nil {
		return t.verifySlow(token)
	}
	if err := t.validator.Validate(&c); err != nil {
		return nil, err
	}
	return &c, nil
}

// bytesOf views s as bytes without copying; the bytes must not be written.
func bytesOf(s string) []byte { return unsafe.Slice(unsafe.StringData(s), len(s)) }
