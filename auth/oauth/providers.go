package oauth

import (
	"context"
	"crypto/ecdsa"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/url"
	"strings"
	"time"

	"golang.org/x/oauth2"

	"github.com/gamend-go/gamend/auth"
)

// Profile is a provider's answer mapped to the account fields (see
// auth.ProviderProfile).
type Profile = auth.ProviderProfile

// maxResponse bounds what is read from a provider answer.
const maxResponse = 1 << 20

// Providers are the configured provider clients. Safe for concurrent use.
type Providers struct {
	cfg      Config
	client   *http.Client
	now      func() time.Time
	appleKey *ecdsa.PrivateKey
	jwks     *jwksCache
}

// NewProviders builds the clients. The only error is an Apple private key
// that does not parse; the returned Providers is then usable with Apple
// disabled.
func NewProviders(cfg Config) (*Providers, error) {
	cfg.Endpoints.defaults()
	cfg.PublicURL = strings.TrimRight(cfg.PublicURL, "/")
	if cfg.Timeout <= 0 {
		cfg.Timeout = 10 * time.Second
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	p := &Providers{cfg: cfg, client: cfg.HTTPClient, now: cfg.Now}
	if p.client == nil {
		p.client = &http.Client{Timeout: cfg.Timeout}
	}
	p.jwks = newJWKSCache(p, cfg.Endpoints.AppleKeys)
	var err error
	if strings.TrimSpace(cfg.Apple.PrivateKey) != "" {
		p.appleKey, err = parseAppleKey(cfg.Apple.PrivateKey)
	}
	return p, err
}

// Configured reports whether the provider's browser (polling) flow can run:
// client id and secret set (Apple: web client id, team id, key id and a
// valid key). Steam's OpenID needs no credentials.
func (p *Providers) Configured(provider string) bool {
	c := p.cfg
	switch provider {
	case Discord:
		return c.Discord.ClientID != "" && c.Discord.ClientSecret != ""
	case Google:
		return c.Google.ClientID != "" && c.Google.ClientSecret != ""
	case Facebook:
		return c.Facebook.ClientID != "" && c.Facebook.ClientSecret != ""
	case Apple:
		return c.Apple.WebClientID != "" && p.appleSigner()
	case Steam:
		return true
	}
	return false
}

func (p *Providers) appleSigner() bool {
	return p.appleKey != nil && p.cfg.Apple.TeamID != "" && p.cfg.Apple.KeyID != ""
}

// AppleIOSConfigured reports whether the iOS code exchange can run
// (APPLE_IOS_CLIENT_ID and the signing key: team id, key id, private key).
func (p *Providers) AppleIOSConfigured() bool {
	return p.cfg.Apple.IOSClientID != "" && p.appleSigner()
}

// Disabled names the sign-in flows that cannot run for want of
// credentials: "discord", "google", "facebook", "apple" (browser and code
// flows), "apple_ios", "steam_ticket" and "google_id_token". Steam's
// browser sign-in needs none and is never listed.
func (p *Providers) Disabled() []string {
	var off []string
	for _, n := range []string{Discord, Google, Facebook, Apple} {
		if !p.Configured(n) {
			off = append(off, n)
		}
	}
	for _, f := range []struct {
		name string
		on   bool
	}{{"apple_ios", p.AppleIOSConfigured()}, {"steam_ticket", p.SteamConfigured()}, {"google_id_token", p.GoogleIDTokenConfigured()}} {
		if !f.on {
			off = append(off, f.name)
		}
	}
	return off
}

// RedirectURL is the provider's browser callback:
// {public}/auth/{provider}/callback.
func (p *Providers) RedirectURL(provider string) string {
	return p.cfg.PublicURL + "/auth/" + provider + "/callback"
}

// oauth2Config returns the x/oauth2 client of a code-flow provider.
func (p *Providers) oauth2Config(provider string) *oauth2.Config {
	c, e := p.cfg, p.cfg.Endpoints
	oc := &oauth2.Config{RedirectURL: p.RedirectURL(provider)}
	switch provider {
	case Discord:
		oc.ClientID, oc.ClientSecret, oc.Scopes = c.Discord.ClientID, c.Discord.ClientSecret, []string{"identify", "email"}
		oc.Endpoint = oauth2.Endpoint{AuthURL: e.DiscordAuthorize, TokenURL: e.DiscordToken, AuthStyle: oauth2.AuthStyleInParams}
	case Google:
		oc.ClientID, oc.ClientSecret, oc.Scopes = c.Google.ClientID, c.Google.ClientSecret, []string{"email", "profile"}
		oc.Endpoint = oauth2.Endpoint{AuthURL: e.GoogleAuthorize, TokenURL: e.GoogleToken, AuthStyle: oauth2.AuthStyleInParams}
	case Facebook:
		oc.ClientID, oc.ClientSecret, oc.Scopes = c.Facebook.ClientID, c.Facebook.ClientSecret, []string{"email"}
		oc.Endpoint = oauth2.Endpoint{AuthURL: e.FacebookAuthorize, TokenURL: e.FacebookToken, AuthStyle: oauth2.AuthStyleInParams}
	case Apple:
		oc.ClientID, oc.Scopes = c.Apple.WebClientID, []string{"name", "email"}
		oc.Endpoint = oauth2.Endpoint{AuthURL: e.AppleAuthorize, TokenURL: e.AppleToken, AuthStyle: oauth2.AuthStyleInParams}
	default:
		return nil
	}
	return oc
}

// AuthCodeURL is the URL the player's browser opens to sign in with
// provider; state comes back on the callback (a session id, or a
// "browser:…" value of the web sign-in).
func (p *Providers) AuthCodeURL(provider, state string) (string, error) {
	if !IsProvider(provider) {
		return "", ErrUnknownProvider
	}
	if !p.Configured(provider) {
		return "", ErrNotConfigured
	}
	switch provider {
	case Steam:
		return p.steamAuthURL(state), nil
	case Google:
		return p.oauth2Config(provider).AuthCodeURL(state, oauth2.AccessTypeOffline), nil
	case Apple:
		return p.oauth2Config(provider).AuthCodeURL(state, oauth2.SetAuthURLParam("response_mode", "form_post")), nil
	}
	return p.oauth2Config(provider).AuthCodeURL(state), nil
}

// Exchange trades an authorization code of discord, google, facebook or
// apple (web client id) for the player's profile. Steam has no codes: use
// VerifySteam or SteamTicket.
func (p *Providers) Exchange(ctx context.Context, provider, code string) (Profile, error) {
	switch {
	case provider == Steam || !IsProvider(provider):
		return Profile{}, ErrUnknownProvider
	case !p.Configured(provider):
		return Profile{}, ErrNotConfigured
	case code == "":
		return Profile{}, failure(provider, "token exchange", "no code")
	}
	if provider == Apple {
		return p.exchangeApple(ctx, code, false)
	}
	ctx, cancel := context.WithTimeout(ctx, p.cfg.Timeout)
	defer cancel()
	tok, err := p.oauth2Config(provider).Exchange(p.clientCtx(ctx), code)
	if err != nil {
		return Profile{}, exchangeError(provider, err)
	}
	var prof Profile
	switch provider {
	case Discord:
		prof, err = p.discordProfile(ctx, tok.AccessToken)
	case Google:
		prof, err = p.googleProfile(ctx, tok.AccessToken)
	case Facebook:
		prof, err = p.facebookProfile(ctx, tok.AccessToken)
	}
	if err != nil {
		return Profile{}, err
	}
	return checkID(prof)
}

func checkID(p Profile) (Profile, error) {
	if strings.TrimSpace(p.ID) == "" {
		return Profile{}, ErrMissingID
	}
	return p, nil
}

func (p *Providers) clientCtx(ctx context.Context) context.Context {
	return context.WithValue(ctx, oauth2.HTTPClient, p.client)
}

// exchangeError turns an x/oauth2 failure into a ProviderError without the
// provider's body.
func exchangeError(provider string, err error) error {
	pe := &ProviderError{Provider: provider, Step: "token exchange"}
	var re *oauth2.RetrieveError
	switch {
	case errors.As(err, &re) && re.Response != nil:
		pe.Status = re.Response.StatusCode
		if re.ErrorCode != "" && len(re.ErrorCode) < 64 {
			pe.Reason = re.ErrorCode // RFC 6749 code such as invalid_grant
		}
	case errors.Is(err, context.DeadlineExceeded) || isTimeout(err):
		pe.Reason = "timeout"
	default:
		pe.Reason = "bad answer or no connection"
	}
	return pe
}

func isTimeout(err error) bool {
	var t interface{ Timeout() bool }
	return errors.As(err, &t) && t.Timeout()
}

// do performs req with the provider timeout and returns the body of a 2xx
// answer. Failures are ProviderErrors (never the URL, which may hold keys
// or tokens, nor the body).
func (p *Providers) do(req *http.Request, provider, step string) ([]byte, error) {
	ctx, cancel := context.WithTimeout(req.Context(), p.cfg.Timeout)
	defer cancel()
	res, err := p.client.Do(req.WithContext(ctx))
	if err != nil {
		reason := "no connection"
		if isTimeout(err) || ctx.Err() != nil {
			reason = "timeout"
		}
		return nil, &ProviderError{Provider: provider, Step: step, Reason: reason}
	}
	defer res.Body.Close()
	body, err := io.ReadAll(io.LimitReader(res.Body, maxResponse))
	if err != nil {
		return nil, &ProviderError{Provider: provider, Step: step, Status: res.StatusCode, Reason: "truncated answer"}
	}
	if res.StatusCode < 200 || res.StatusCode > 299 {
		return nil, &ProviderError{Provider: provider, Step: step, Status: res.StatusCode}
	}
	return body, nil
}

// call is do for a JSON answer decoded into out.
func (p *Providers) call(req *http.Request, provider, step string, out any) error {
	req.Header.Set("Accept", "application/json")
	body, err := p.do(req, provider, step)
	if err != nil {
		return err
	}
	if err := json.Unmarshal(body, out); err != nil {
		return &ProviderError{Provider: provider, Step: step, Reason: "bad JSON"}
	}
	return nil
}

func (p *Providers) getJSON(ctx context.Context, provider, step, rawURL, bearer string, out any) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, rawURL, nil)
	if err != nil {
		return failure(provider, step, "bad endpoint URL")
	}
	if bearer != "" {
		req.Header.Set("Authorization", "Bearer "+bearer)
	}
	return p.call(req, provider, step, out)
}

// withQuery appends q to a configured endpoint URL (which may already have
// a query).
func withQuery(base string, q url.Values) string {
	sep := "?"
	if strings.Contains(base, "?") {
		sep = "&"
	}
	return base + sep + q.Encode()
}
