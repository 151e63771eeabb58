package main

import (
	"github.com/gamend-go/gamend/auth/oauth"
	"github.com/gamend-go/gamend/config"
)

// oauthConfig maps the OAuth variables to the provider clients' config.
func oauthConfig(cfg *config.Config) oauth.Config {
	o, e := cfg.OAuth, cfg.OAuth.Endpoints
	return oauth.Config{
		PublicURL:         cfg.PublicURL(),
		Discord:           oauth.Credentials{ClientID: o.Discord.ClientID, ClientSecret: o.Discord.ClientSecret},
		Google:            oauth.Credentials{ClientID: o.Google.ClientID, ClientSecret: o.Google.ClientSecret},
		GoogleWebClientID: o.Google.WebClientID,
		Facebook:          oauth.Credentials{ClientID: o.Facebook.ClientID, ClientSecret: o.Facebook.ClientSecret},
		Apple: oauth.AppleCredentials{WebClientID: o.Apple.WebClientID, IOSClientID: o.Apple.IOSClientID,
			TeamID: o.Apple.TeamID, KeyID: o.Apple.KeyID, PrivateKey: o.Apple.PrivateKey},
		Steam: oauth.SteamCredentials{APIKey: o.Steam.APIKey, AppID: o.Steam.AppID},
		Endpoints: oauth.Endpoints{
			DiscordAuthorize: e.DiscordAuthorizeURL, DiscordToken: e.DiscordTokenURL, DiscordUser: e.DiscordUserURL,
			GoogleAuthorize: e.GoogleAuthorizeURL, GoogleToken: e.GoogleTokenURL, GoogleUserinfo: e.GoogleUserinfoURL, GoogleInfo: e.GoogleTokeninfoURL,
			FacebookAuthorize: e.FacebookAuthorizeURL, FacebookToken: e.FacebookTokenURL, FacebookProfile: e.FacebookProfileURL,
			AppleAuthorize: e.AppleAuthorizeURL, AppleToken: e.AppleTokenURL, AppleKeys: e.AppleKeysURL,
			SteamOpenID: e.SteamOpenIDURL, SteamAPIBase: e.SteamAPIBaseURL,
		},
		Timeout: e.HTTPTimeout.Duration(),
	}
}

// mountOAuth builds the OAuth providers and service on top of a.auth and
// registers the OAuth routes (API.md §4.2). The providers are built here
// only: the account pages reuse them (a.http.OAuth().Providers()). A Sign
// in with Apple key that does not parse disables Apple with an error in
// the log. One Info line names the sign-in flows without credentials,
// whose routes answer 404 provider_not_configured.
func mountOAuth(a *app) {
	log := a.log.With("component", "oauth")
	providers, err := oauth.NewProviders(oauthConfig(a.cfg))
	if err != nil {
		log.Error("Sign in with Apple is disabled", "err", err)
	}
	if off := providers.Disabled(); len(off) > 0 {
		log.Info("OAuth sign-in not configured for some providers; their routes answer 404 provider_not_configured", "disabled_providers", off)
	}
	a.http.MountOAuth(oauth.NewService(a.auth, a.queue, providers, oauth.Options{Logger: log}))
}
