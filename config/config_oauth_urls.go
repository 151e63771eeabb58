package config

import (
	"encoding/pem"
	"net/url"
	"strings"
)

// OAuthEndpoints are the provider URLs the OAuth clients call. The defaults
// are the providers' real endpoints (API.md §4.2); override them only to
// point at a test double or a regional/proxy endpoint, or to move Facebook
// to a newer Graph API version.
type OAuthEndpoints struct {
	DiscordAuthorizeURL  string `env:"DISCORD_AUTHORIZE_URL" envDefault:"https://discord.com/oauth2/authorize" doc:"Discord authorization page."`
	DiscordTokenURL      string `env:"DISCORD_TOKEN_URL" envDefault:"https://discord.com/api/oauth2/token" doc:"Discord token endpoint."`
	DiscordUserURL       string `env:"DISCORD_USER_URL" envDefault:"https://discord.com/api/users/@me" doc:"Discord current-user endpoint."`
	GoogleAuthorizeURL   string `env:"GOOGLE_AUTHORIZE_URL" envDefault:"https://accounts.google.com/o/oauth2/v2/auth" doc:"Google authorization page."`
	GoogleTokenURL       string `env:"GOOGLE_TOKEN_URL" envDefault:"https://oauth2.googleapis.com/token" doc:"Google token endpoint."`
	GoogleUserinfoURL    string `env:"GOOGLE_USERINFO_URL" envDefault:"https://www.googleapis.com/oauth2/v2/userinfo" doc:"Google userinfo endpoint."`
	GoogleTokeninfoURL   string `env:"GOOGLE_TOKENINFO_URL" envDefault:"https://oauth2.googleapis.com/tokeninfo" doc:"Google tokeninfo endpoint that checks id_tokens."`
	FacebookAuthorizeURL string `env:"FACEBOOK_AUTHORIZE_URL" envDefault:"https://www.facebook.com/v18.0/dialog/oauth" doc:"Facebook authorization dialog."`
	FacebookTokenURL     string `env:"FACEBOOK_TOKEN_URL" envDefault:"https://graph.facebook.com/v18.0/oauth/access_token" doc:"Facebook token endpoint."`
	FacebookProfileURL   string `env:"FACEBOOK_PROFILE_URL" envDefault:"https://graph.facebook.com/v18.0/me" doc:"Facebook Graph /me endpoint (fields id,email,name,picture are requested)."`
	AppleAuthorizeURL    string `env:"APPLE_AUTHORIZE_URL" envDefault:"https://appleid.apple.com/auth/authorize" doc:"Sign in with Apple authorization page."`
	AppleTokenURL        string `env:"APPLE_TOKEN_URL" envDefault:"https://appleid.apple.com/auth/token" doc:"Sign in with Apple token endpoint."`
	AppleKeysURL         string `env:"APPLE_KEYS_URL" envDefault:"https://appleid.apple.com/auth/keys" doc:"Sign in with Apple JWKS that signs id_tokens (cached)."`
	SteamOpenIDURL       string `env:"STEAM_OPENID_URL" envDefault:"https://steamcommunity.com/openid/login" doc:"Steam OpenID 2.0 provider endpoint."`
	SteamAPIBaseURL      string `env:"STEAM_API_BASE_URL" envDefault:"https://api.steampowered.com" doc:"Steam Web API base URL (ticket auth and player summaries)."`
	HTTPTimeout          Millis `env:"OAUTH_HTTP_TIMEOUT_MS" envDefault:"10000" min:"1" doc:"Milliseconds one call to an OAuth provider may take."`
}

// checkOAuth validates the provider endpoints (absolute http(s) URLs) and
// that APPLE_PRIVATE_KEY, when set, is a PEM block. The key is never echoed.
func (c *Config) checkOAuth(add addFunc) {
	e := c.OAuth.Endpoints
	for _, f := range []struct{ name, v string }{
		{"DISCORD_AUTHORIZE_URL", e.DiscordAuthorizeURL}, {"DISCORD_TOKEN_URL", e.DiscordTokenURL}, {"DISCORD_USER_URL", e.DiscordUserURL},
		{"GOOGLE_AUTHORIZE_URL", e.GoogleAuthorizeURL}, {"GOOGLE_TOKEN_URL", e.GoogleTokenURL},
		{"GOOGLE_USERINFO_URL", e.GoogleUserinfoURL}, {"GOOGLE_TOKENINFO_URL", e.GoogleTokeninfoURL},
		{"FACEBOOK_AUTHORIZE_URL", e.FacebookAuthorizeURL}, {"FACEBOOK_TOKEN_URL", e.FacebookTokenURL}, {"FACEBOOK_PROFILE_URL", e.FacebookProfileURL},
		{"APPLE_AUTHORIZE_URL", e.AppleAuthorizeURL}, {"APPLE_TOKEN_URL", e.AppleTokenURL}, {"APPLE_KEYS_URL", e.AppleKeysURL},
		{"STEAM_OPENID_URL", e.SteamOpenIDURL}, {"STEAM_API_BASE_URL", e.SteamAPIBaseURL},
	} {
		u, err := url.Parse(f.v)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			add(f.name, "must be an absolute http:// or https:// URL, got %q", f.v)
		}
	}
	if k := strings.TrimSpace(c.OAuth.Apple.PrivateKey); k != "" {
		if b, _ := pem.Decode([]byte(k)); b == nil {
			add("APPLE_PRIVATE_KEY", "must be the PEM private key (-----BEGIN PRIVATE KEY----- ...) of the Sign in with Apple key")
		}
	}
}
