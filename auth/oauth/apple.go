package oauth

import (
	"context"
	"crypto/ecdsa"
	"crypto/x509"
	"encoding/json"
	"encoding/pem"
	"errors"
	"strings"
	"time"

	"github.com/golang-jwt/jwt/v5"
	"golang.org/x/oauth2"
)

// AppleIssuer is the iss of Apple id_tokens and the aud of client secrets.
const AppleIssuer = "https://appleid.apple.com"

// appleSecretTTL is the lifetime of a generated client secret (Apple
// allows up to six months; each exchange signs a fresh one).
const appleSecretTTL = 5 * time.Minute

func parseAppleKey(pemText string) (*ecdsa.PrivateKey, error) {
	block, _ := pem.Decode([]byte(strings.TrimSpace(pemText)))
	if block == nil {
		return nil, errors.New("oauth: APPLE_PRIVATE_KEY is not PEM")
	}
	if k, err := x509.ParsePKCS8PrivateKey(block.Bytes); err == nil {
		if ek, ok := k.(*ecdsa.PrivateKey); ok {
			return ek, nil
		}
		return nil, errors.New("oauth: APPLE_PRIVATE_KEY is not an EC key")
	}
	k, err := x509.ParseECPrivateKey(block.Bytes)
	if err != nil {
		return nil, errors.New("oauth: APPLE_PRIVATE_KEY does not parse as a PKCS#8 or SEC 1 EC key")
	}
	return k, nil
}

// AppleClientSecret signs the ES256 client secret JWT for clientID: header
// kid = key id; iss = team id, sub = client id, aud = Apple, iat/exp.
func (p *Providers) AppleClientSecret(clientID string) (string, error) {
	if !p.appleSigner() {
		return "", ErrNotConfigured
	}
	now := p.now().Truncate(time.Second)
	t := jwt.NewWithClaims(jwt.SigningMethodES256, jwt.RegisteredClaims{
		Issuer:    p.cfg.Apple.TeamID,
		Subject:   clientID,
		Audience:  jwt.ClaimStrings{AppleIssuer},
		IssuedAt:  jwt.NewNumericDate(now),
		ExpiresAt: jwt.NewNumericDate(now.Add(appleSecretTTL)),
	})
	t.Header["kid"] = p.cfg.Apple.KeyID
	return t.SignedString(p.appleKey)
}

// ExchangeAppleIOS trades a code obtained by the iOS app (Sign in with
// Apple on device) for the profile, using the iOS client id and no
// redirect URI.
func (p *Providers) ExchangeAppleIOS(ctx context.Context, code string) (Profile, error) {
	if !p.AppleIOSConfigured() {
		return Profile{}, ErrNotConfigured
	}
	if code == "" {
		return Profile{}, failure(Apple, "token exchange", "no code")
	}
	return p.exchangeApple(ctx, code, true)
}

func (p *Providers) exchangeApple(ctx context.Context, code string, ios bool) (Profile, error) {
	clientID, redirect := p.cfg.Apple.WebClientID, p.RedirectURL(Apple)
	if ios {
		clientID, redirect = p.cfg.Apple.IOSClientID, ""
	}
	secret, err := p.AppleClientSecret(clientID)
	if err != nil {
		return Profile{}, err
	}
	oc := &oauth2.Config{ClientID: clientID, ClientSecret: secret, RedirectURL: redirect,
		Endpoint: oauth2.Endpoint{TokenURL: p.cfg.Endpoints.AppleToken, AuthStyle: oauth2.AuthStyleInParams}}
	ctx, cancel := context.WithTimeout(ctx, p.cfg.Timeout)
	defer cancel()
	tok, err := oc.Exchange(p.clientCtx(ctx), code)
	if err != nil {
		return Profile{}, exchangeError(Apple, err)
	}
	idToken, _ := tok.Extra("id_token").(string)
	if idToken == "" {
		return Profile{}, failure(Apple, "token exchange", "no id_token")
	}
	return p.VerifyAppleIDToken(ctx, idToken)
}

type appleClaims struct {
	Email          string   `json:"email"`
	EmailVerified  flexBool `json:"email_verified"`
	IsPrivateEmail flexBool `json:"is_private_email"`
	jwt.RegisteredClaims
}

// VerifyAppleIDToken checks an Apple id_token (from the token endpoint, or
// from Sign in with Apple JS/native): signature against Apple's JWKS
// (RS256, or ES256 keys), iss, aud ∈ {web, iOS client id}, exp. It maps
// sub → apple_id, email, email_verified. Failures are ErrExchange.
func (p *Providers) VerifyAppleIDToken(ctx context.Context, raw string) (Profile, error) {
	if p.cfg.Apple.WebClientID == "" && p.cfg.Apple.IOSClientID == "" {
		return Profile{}, ErrNotConfigured
	}
	var auds []string
	for _, a := range []string{p.cfg.Apple.WebClientID, p.cfg.Apple.IOSClientID} {
		if a != "" {
			auds = append(auds, a)
		}
	}
	parser := jwt.NewParser(
		jwt.WithValidMethods([]string{"RS256", "ES256"}),
		jwt.WithIssuer(AppleIssuer),
		jwt.WithAudience(auds...),
		jwt.WithExpirationRequired(),
		jwt.WithTimeFunc(p.now),
		jwt.WithLeeway(30*time.Second),
	)
	var c appleClaims
	_, err := parser.ParseWithClaims(raw, &c, func(t *jwt.Token) (any, error) {
		kid, _ := t.Header["kid"].(string)
		return p.jwks.key(ctx, kid, t.Method.Alg())
	})
	if err != nil {
		var pe *ProviderError
		if errors.As(err, &pe) {
			return Profile{}, pe // the JWKS fetch failed
		}
		return Profile{}, failure(Apple, "id_token check", idTokenReason(err))
	}
	return checkID(Profile{Provider: Apple, ID: c.Subject, Email: c.Email, EmailVerified: bool(c.EmailVerified)})
}

func idTokenReason(err error) string {
	switch {
	case errors.Is(err, jwt.ErrTokenExpired):
		return "expired"
	case errors.Is(err, jwt.ErrTokenInvalidAudience):
		return "wrong audience"
	case errors.Is(err, jwt.ErrTokenInvalidIssuer):
		return "wrong issuer"
	case errors.Is(err, jwt.ErrTokenSignatureInvalid), errors.Is(err, jwt.ErrTokenUnverifiable):
		return "bad signature"
	}
	return "invalid"
}

// AppleFormName extracts "First Last" from the `user` form field Apple
// posts to the callback on the first authorization
// ({"name":{"firstName":…,"lastName":…},"email":…}); "" otherwise.
func AppleFormName(userJSON string) string {
	if userJSON == "" {
		return ""
	}
	var u struct {
		Name struct {
			FirstName string `json:"firstName"`
			LastName  string `json:"lastName"`
		} `json:"name"`
	}
	if json.Unmarshal([]byte(userJSON), &u) != nil {
		return ""
	}
	return strings.TrimSpace(u.Name.FirstName + " " + u.Name.LastName)
}
