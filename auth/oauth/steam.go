package oauth

import (
	"bufio"
	"bytes"
	"context"
	"encoding/hex"
	"net/http"
	"net/url"
	"regexp"
	"strings"
)

// OpenID 2.0 constants of the Steam browser flow.
const (
	openIDNS             = "http://specs.openid.net/auth/2.0"
	openIDIdentifierSel  = "http://specs.openid.net/auth/2.0/identifier_select"
	maxSteamTicketLength = 8192
)

// steamIDRE matches a Steam claimed id and captures the 64-bit steamid.
var steamIDRE = regexp.MustCompile(`^https?://steamcommunity\.com/openid/id/([0-9]{17})$`)

// steamAuthURL is the OpenID 2.0 checkid_setup request with
// identifier_select; return_to = {public}/auth/steam/callback?state=…,
// realm = {public}.
func (p *Providers) steamAuthURL(state string) string {
	q := url.Values{
		"openid.ns":         {openIDNS},
		"openid.mode":       {"checkid_setup"},
		"openid.return_to":  {p.steamReturnTo(state)},
		"openid.realm":      {p.cfg.PublicURL},
		"openid.identity":   {openIDIdentifierSel},
		"openid.claimed_id": {openIDIdentifierSel},
	}
	return withQuery(p.cfg.Endpoints.SteamOpenID, q)
}

func (p *Providers) steamReturnTo(state string) string {
	return p.RedirectURL(Steam) + "?" + url.Values{"state": {state}}.Encode()
}

// VerifySteam checks the OpenID assertion the browser brought back to
// /auth/steam/callback (query = the callback's whole query, including our
// state). The assertion is never trusted as is: its return_to must be our
// callback with the same state, it must be signed over claimed_id,
// identity, return_to and response_nonce, and Steam must confirm it
// (openid.mode=check_authentication → is_valid:true). The claimed id gives
// the steamid; persona name and avatar come from GetPlayerSummaries when
// STEAM_API_KEY is set. openid.mode=cancel is ErrDenied.
func (p *Providers) VerifySteam(ctx context.Context, query url.Values) (Profile, error) {
	switch query.Get("openid.mode") {
	case "cancel":
		return Profile{}, ErrDenied
	case "id_res":
	default:
		return Profile{}, failure(Steam, "openid check", "not a positive assertion")
	}
	if query.Get("openid.ns") != openIDNS {
		return Profile{}, failure(Steam, "openid check", "wrong namespace")
	}
	if query.Get("openid.return_to") != p.steamReturnTo(query.Get("state")) {
		return Profile{}, failure(Steam, "openid check", "return_to is not our callback")
	}
	if ep := query.Get("openid.op_endpoint"); ep != "" && ep != p.cfg.Endpoints.SteamOpenID {
		return Profile{}, failure(Steam, "openid check", "foreign op_endpoint")
	}
	signed := map[string]bool{}
	for _, f := range strings.Split(query.Get("openid.signed"), ",") {
		signed[f] = true
	}
	for _, f := range []string{"claimed_id", "identity", "return_to", "response_nonce"} {
		if !signed[f] {
			return Profile{}, failure(Steam, "openid check", "assertion does not sign "+f)
		}
	}
	claimed := query.Get("openid.claimed_id")
	m := steamIDRE.FindStringSubmatch(claimed)
	if m == nil || query.Get("openid.identity") != claimed {
		return Profile{}, failure(Steam, "openid check", "claimed_id is not a Steam id")
	}
	if err := p.steamCheckAuthentication(ctx, query); err != nil {
		return Profile{}, err
	}
	return p.steamProfile(ctx, m[1]), nil
}

// steamCheckAuthentication posts the assertion back to Steam with
// mode=check_authentication; only "is_valid:true" accepts it.
func (p *Providers) steamCheckAuthentication(ctx context.Context, query url.Values) error {
	form := url.Values{}
	for k, v := range query {
		if strings.HasPrefix(k, "openid.") && len(v) > 0 {
			form.Set(k, v[0])
		}
	}
	form.Set("openid.mode", "check_authentication")
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, p.cfg.Endpoints.SteamOpenID, strings.NewReader(form.Encode()))
	if err != nil {
		return failure(Steam, "openid check", "bad endpoint URL")
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	body, err := p.do(req, Steam, "openid check")
	if err != nil {
		return err
	}
	sc := bufio.NewScanner(bytes.NewReader(body))
	for sc.Scan() {
		k, v, _ := strings.Cut(strings.TrimSpace(sc.Text()), ":")
		if k == "is_valid" {
			if v == "true" {
				return nil
			}
			break
		}
	}
	return failure(Steam, "openid check", "assertion rejected by Steam")
}

// SteamConfigured reports whether ticket auth can run (STEAM_API_KEY and
// STEAM_APP_ID set).
func (p *Providers) SteamConfigured() bool {
	return p.cfg.Steam.APIKey != "" && p.cfg.Steam.AppID != ""
}

// SteamTicket authenticates a hex auth-session ticket from the game client
// with ISteamUserAuth/AuthenticateUserTicket (key, appid, ticket); the id
// is response.params.ownersteamid, else steamid (API.md §4.2), and persona
// and avatar come from GetPlayerSummaries.
func (p *Providers) SteamTicket(ctx context.Context, ticket string) (Profile, error) {
	if !p.SteamConfigured() {
		return Profile{}, ErrNotConfigured
	}
	ticket = strings.TrimSpace(ticket)
	if ticket == "" || len(ticket) > maxSteamTicketLength {
		return Profile{}, failure(Steam, "ticket check", "bad ticket length")
	}
	if _, err := hex.DecodeString(ticket); err != nil {
		return Profile{}, failure(Steam, "ticket check", "ticket is not hex")
	}
	q := url.Values{"key": {p.cfg.Steam.APIKey}, "appid": {p.cfg.Steam.AppID}, "ticket": {ticket}}
	var out struct {
		Response struct {
			Params struct {
				Result       string     `json:"result"`
				SteamID      flexString `json:"steamid"`
				OwnerSteamID flexString `json:"ownersteamid"`
			} `json:"params"`
		} `json:"response"`
	}
	u := p.cfg.Endpoints.SteamAPIBase + "/ISteamUserAuth/AuthenticateUserTicket/v1/"
	if err := p.getJSON(ctx, Steam, "ticket check", withQuery(u, q), "", &out); err != nil {
		return Profile{}, err
	}
	par := out.Response.Params
	if par.Result != "OK" {
		return Profile{}, failure(Steam, "ticket check", "ticket rejected by Steam")
	}
	id := firstNonEmpty(string(par.OwnerSteamID), string(par.SteamID))
	if id == "" {
		return Profile{}, ErrMissingID
	}
	return p.steamProfile(ctx, id), nil
}

// steamProfile fills persona name and avatar from GetPlayerSummaries. The
// id is already authenticated, so a failed lookup (or no API key) signs in
// without them rather than refusing the player.
func (p *Providers) steamProfile(ctx context.Context, steamID string) Profile {
	prof := Profile{Provider: Steam, ID: steamID}
	if p.cfg.Steam.APIKey == "" {
		return prof
	}
	q := url.Values{"key": {p.cfg.Steam.APIKey}, "steamids": {steamID}}
	var out struct {
		Response struct {
			Players []struct {
				SteamID      flexString `json:"steamid"`
				PersonaName  string     `json:"personaname"`
				AvatarFull   string     `json:"avatarfull"`
				AvatarMedium string     `json:"avatarmedium"`
				Avatar       string     `json:"avatar"`
			} `json:"players"`
		} `json:"response"`
	}
	u := p.cfg.Endpoints.SteamAPIBase + "/ISteamUser/GetPlayerSummaries/v2/"
	if p.getJSON(ctx, Steam, "player summaries", withQuery(u, q), "", &out) != nil {
		return prof
	}
	for _, pl := range out.Response.Players {
		if string(pl.SteamID) == steamID {
			prof.DisplayName = pl.PersonaName
			prof.AvatarURL = firstNonEmpty(pl.AvatarFull, pl.AvatarMedium, pl.Avatar)
		}
	}
	return prof
}
