package oauth

import (
	"context"
	"net/url"
	"strconv"
	"strings"
)

// googleIssuers are the accepted iss values of Google id_tokens.
var googleIssuers = []string{"accounts.google.com", "https://accounts.google.com"}

// GoogleIDTokenConfigured reports whether an id_token audience is
// configured (GOOGLE_CLIENT_ID or GOOGLE_WEB_CLIENT_ID).
func (p *Providers) GoogleIDTokenConfigured() bool {
	return p.cfg.Google.ClientID != "" || p.cfg.GoogleWebClientID != ""
}

// GoogleIDToken checks an id_token from a Google SDK with the tokeninfo
// endpoint, then aud ∈ {GOOGLE_WEB_CLIENT_ID, GOOGLE_CLIENT_ID}
// (ErrInvalidAudience), iss (ErrInvalidIssuer) and exp (ErrTokenExpired).
// It maps sub, email, email_verified, name, picture. A token Google
// rejects is a ProviderError (ErrExchange).
func (p *Providers) GoogleIDToken(ctx context.Context, idToken string) (Profile, error) {
	if !p.GoogleIDTokenConfigured() {
		return Profile{}, ErrNotConfigured
	}
	if strings.TrimSpace(idToken) == "" {
		return Profile{}, failure(Google, "id_token check", "empty token")
	}
	var c struct {
		Aud           string     `json:"aud"`
		Iss           string     `json:"iss"`
		Exp           flexString `json:"exp"`
		Sub           flexString `json:"sub"`
		Email         string     `json:"email"`
		EmailVerified flexBool   `json:"email_verified"`
		Name          string     `json:"name"`
		GivenName     string     `json:"given_name"`
		Picture       string     `json:"picture"`
	}
	u := withQuery(p.cfg.Endpoints.GoogleInfo, url.Values{"id_token": {idToken}})
	if err := p.getJSON(ctx, Google, "id_token check", u, "", &c); err != nil {
		return Profile{}, err
	}
	if c.Aud == "" || (c.Aud != p.cfg.Google.ClientID && c.Aud != p.cfg.GoogleWebClientID) {
		return Profile{}, ErrInvalidAudience
	}
	okIss := false
	for _, iss := range googleIssuers {
		okIss = okIss || c.Iss == iss
	}
	if !okIss {
		return Profile{}, ErrInvalidIssuer
	}
	exp, err := strconv.ParseInt(string(c.Exp), 10, 64)
	if err != nil || exp <= p.now().Unix() {
		return Profile{}, ErrTokenExpired
	}
	return checkID(Profile{Provider: Google, ID: string(c.Sub), Email: c.Email, EmailVerified: bool(c.EmailVerified),
		DisplayName: firstNonEmpty(c.Name, c.GivenName), AvatarURL: c.Picture})
}
