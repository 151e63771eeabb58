package oauth

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rsa"
	"encoding/base64"
	"errors"
	"math/big"
	"net/http"
	"sync"
	"time"
)

// jwksCache holds a provider's signing keys by kid. Keys are refreshed
// after jwksTTL, and at most once per jwksRetry when a token names an
// unknown kid (Apple rotates keys), so a flood of forged kids cannot make
// us hammer the provider.
type jwksCache struct {
	p       *Providers
	url     string
	mu      sync.Mutex
	keys    map[string]any
	fetched time.Time
	tried   time.Time
}

const (
	jwksTTL   = time.Hour
	jwksRetry = time.Minute
)

func newJWKSCache(p *Providers, url string) *jwksCache {
	return &jwksCache{p: p, url: url}
}

var errUnknownKey = errors.New("oauth: id_token signed with an unknown key")

// key returns the public key with kid, usable for alg.
func (c *jwksCache) key(ctx context.Context, kid, alg string) (any, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	now := c.p.now()
	k, ok := c.keys[kid]
	stale := now.Sub(c.fetched) > jwksTTL
	if (!ok || stale) && now.Sub(c.tried) > jwksRetry || c.keys == nil {
		c.tried = now
		keys, err := c.fetch(ctx)
		if err != nil && c.keys == nil {
			return nil, err
		}
		if err == nil {
			c.keys, c.fetched = keys, now
		}
		k, ok = c.keys[kid]
	}
	if !ok {
		return nil, errUnknownKey
	}
	switch k.(type) {
	case *rsa.PublicKey:
		if alg != "RS256" {
			return nil, errUnknownKey
		}
	case *ecdsa.PublicKey:
		if alg != "ES256" {
			return nil, errUnknownKey
		}
	}
	return k, nil
}

func (c *jwksCache) fetch(ctx context.Context) (map[string]any, error) {
	var set struct {
		Keys []struct {
			Kty string `json:"kty"`
			Kid string `json:"kid"`
			Use string `json:"use"`
			N   string `json:"n"`
			E   string `json:"e"`
			Crv string `json:"crv"`
			X   string `json:"x"`
			Y   string `json:"y"`
		} `json:"keys"`
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, c.url, nil)
	if err != nil {
		return nil, failure(Apple, "jwks", "bad endpoint URL")
	}
	if err := c.p.call(req, Apple, "jwks", &set); err != nil {
		return nil, err
	}
	keys := map[string]any{}
	for _, k := range set.Keys {
		if k.Use != "" && k.Use != "sig" {
			continue
		}
		switch k.Kty {
		case "RSA":
			n, err1 := base64.RawURLEncoding.DecodeString(k.N)
			e, err2 := base64.RawURLEncoding.DecodeString(k.E)
			if err1 != nil || err2 != nil || len(e) > 4 || len(n) < 256 {
				continue
			}
			keys[k.Kid] = &rsa.PublicKey{N: new(big.Int).SetBytes(n), E: int(new(big.Int).SetBytes(e).Int64())}
		case "EC":
			x, err1 := base64.RawURLEncoding.DecodeString(k.X)
			y, err2 := base64.RawURLEncoding.DecodeString(k.Y)
			if k.Crv != "P-256" || err1 != nil || err2 != nil || len(x) != 32 || len(y) != 32 {
				continue
			}
			pub, err := ecdsa.ParseUncompressedPublicKey(elliptic.P256(), append(append([]byte{4}, x...), y...))
			if err != nil {
				continue
			}
			keys[k.Kid] = pub
		}
	}
	if len(keys) == 0 {
		return nil, failure(Apple, "jwks", "no usable keys")
	}
	return keys, nil
}
