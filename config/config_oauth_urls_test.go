package config

import (
	"strings"
	"testing"
)

func TestOAuthEndpoints(t *testing.T) {
	c := load(t)
	e := c.OAuth.Endpoints
	if e.DiscordAuthorizeURL != "https://discord.com/oauth2/authorize" || e.AppleKeysURL != "https://appleid.apple.com/auth/keys" ||
		e.SteamAPIBaseURL != "https://api.steampowered.com" || e.HTTPTimeout.Duration().Seconds() != 10 {
		t.Fatalf("defaults %+v", e)
	}
	c = load(t, "DISCORD_TOKEN_URL=http://127.0.0.1:9999/token", `APPLE_PRIVATE_KEY=-----BEGIN PRIVATE KEY-----\nMIGTAgEA\n-----END PRIVATE KEY-----`)
	if c.OAuth.Endpoints.DiscordTokenURL != "http://127.0.0.1:9999/token" {
		t.Fatal("override ignored")
	}
	for _, tt := range []struct{ env, name, text string }{
		{"GOOGLE_TOKENINFO_URL=oauth2.googleapis.com/tokeninfo", "GOOGLE_TOKENINFO_URL", "absolute http"},
		{"STEAM_OPENID_URL=ftp://steamcommunity.com/openid/login", "STEAM_OPENID_URL", "absolute http"},
		{"APPLE_PRIVATE_KEY=top-secret-not-pem", "APPLE_PRIVATE_KEY", "PEM"},
		{"OAUTH_HTTP_TIMEOUT_MS=0", "OAUTH_HTTP_TIMEOUT_MS", "must be > 0"},
	} {
		errs := loadErr(t, tt.env)
		if len(errs) != 1 || errs[0].Var != tt.name || !strings.Contains(errs[0].Msg, tt.text) || strings.Contains(errs[0].Msg, "top-secret") {
			t.Errorf("%s: %v", tt.env, errs)
		}
	}
}
