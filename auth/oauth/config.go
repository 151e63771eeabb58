package oauth

import (
	"net/http"
	"strings"
	"time"
)

// Provider names, as they appear in routes and in users.<provider>_id.
const (
	Discord  = "discord"
	Google   = "google"
	Facebook = "facebook"
	Apple    = "apple"
	Steam    = "steam"
)

// Names lists every provider.
var Names = []string{Discord, Google, Facebook, Apple, Steam}

// IsProvider reports whether name is one of Names.
func IsProvider(name string) bool {
	for _, n := range Names {
		if n == name {
			return true
		}
	}
	return false
}

// Credentials are an OAuth client id and secret.
type Credentials struct {
	ClientID     string
	ClientSecret string
}

// AppleCredentials configure Sign in with Apple. PrivateKey is the PEM of
// the .p8 key (PKCS#8 or SEC 1 EC key).
type AppleCredentials struct {
	WebClientID string // Services id: web flow, and an accepted audience
	IOSClientID string // bundle id: iOS code exchange, and an accepted audience
	TeamID      string
	KeyID       string
	PrivateKey  string
}

// SteamCredentials configure the Steam Web API.
type SteamCredentials struct {
	APIKey string // player summaries and ticket auth
	AppID  string // ticket auth
}

// Endpoints are the provider URLs. Empty fields take DefaultEndpoints'.
type Endpoints struct {
	DiscordAuthorize, DiscordToken, DiscordUser              string
	GoogleAuthorize, GoogleToken, GoogleUserinfo, GoogleInfo string // GoogleInfo = tokeninfo
	FacebookAuthorize, FacebookToken, FacebookProfile        string
	AppleAuthorize, AppleToken, AppleKeys                    string
	SteamOpenID, SteamAPIBase                                string
}

// DefaultEndpoints are the providers' real endpoints (API.md §4.2).
func DefaultEndpoints() Endpoints {
	return Endpoints{
		DiscordAuthorize:  "https://discord.com/oauth2/authorize",
		DiscordToken:      "https://discord.com/api/oauth2/token",
		DiscordUser:       "https://discord.com/api/users/@me",
		GoogleAuthorize:   "https://accounts.google.com/o/oauth2/v2/auth",
		GoogleToken:       "https://oauth2.googleapis.com/token",
		GoogleUserinfo:    "https://www.googleapis.com/oauth2/v2/userinfo",
		GoogleInfo:        "https://oauth2.googleapis.com/tokeninfo",
		FacebookAuthorize: "https://www.facebook.com/v18.0/dialog/oauth",
		FacebookToken:     "https://graph.facebook.com/v18.0/oauth/access_token",
		FacebookProfile:   "https://graph.facebook.com/v18.0/me",
		AppleAuthorize:    "https://appleid.apple.com/auth/authorize",
		AppleToken:        "https://appleid.apple.com/auth/token",
		AppleKeys:         "https://appleid.apple.com/auth/keys",
		SteamOpenID:       "https://steamcommunity.com/openid/login",
		SteamAPIBase:      "https://api.steampowered.com",
	}
}

func (e *Endpoints) defaults() {
	d := DefaultEndpoints()
	for _, f := range []struct {
		v   *string
		def string
	}{
		{&e.DiscordAuthorize, d.DiscordAuthorize}, {&e.DiscordToken, d.DiscordToken}, {&e.DiscordUser, d.DiscordUser},
		{&e.GoogleAuthorize, d.GoogleAuthorize}, {&e.GoogleToken, d.GoogleToken}, {&e.GoogleUserinfo, d.GoogleUserinfo}, {&e.GoogleInfo, d.GoogleInfo},
		{&e.FacebookAuthorize, d.FacebookAuthorize}, {&e.FacebookToken, d.FacebookToken}, {&e.FacebookProfile, d.FacebookProfile},
		{&e.AppleAuthorize, d.AppleAuthorize}, {&e.AppleToken, d.AppleToken}, {&e.AppleKeys, d.AppleKeys},
		{&e.SteamOpenID, d.SteamOpenID}, {&e.SteamAPIBase, d.SteamAPIBase},
	} {
		if *f.v == "" {
			*f.v = f.def
		}
	}
	e.SteamAPIBase = strings.TrimRight(e.SteamAPIBase, "/")
}

// Config configures the provider clients.
type Config struct {
	// PublicURL is the server's external base URL without trailing slash
	// ("https://game.example.com"); redirect URIs are
	// PublicURL + "/auth/{provider}/callback".
	PublicURL string

	Discord           Credentials
	Google            Credentials
	GoogleWebClientID string // extra accepted id_token audience
	Facebook          Credentials
	Apple             AppleCredentials
	Steam             SteamCredentials

	Endpoints Endpoints
	// Timeout bounds each provider call (default 10s).
	Timeout time.Duration
	// HTTPClient is used for provider calls (default: a client with
	// Timeout). Tests may inject one.
	HTTPClient *http.Client
	// Now is the clock for token checks (default time.Now).
	Now func() time.Time
}
