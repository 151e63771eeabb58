package oauth

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"net/url"
	"strings"
)

// flexBool decodes true, "true" (Google and Apple send either) and treats
// anything else as false.
type flexBool bool

func (b *flexBool) UnmarshalJSON(data []byte) error {
	var v any
	if err := json.Unmarshal(data, &v); err != nil {
		return err
	}
	switch t := v.(type) {
	case bool:
		*b = flexBool(t)
	case string:
		*b = flexBool(strings.EqualFold(t, "true"))
	default:
		*b = false
	}
	return nil
}

// flexString decodes a JSON string or number as text (ids, exp).
type flexString string

func (s *flexString) UnmarshalJSON(data []byte) error {
	if len(data) > 0 && data[0] == '"' {
		var v string
		if err := json.Unmarshal(data, &v); err != nil {
			return err
		}
		*s = flexString(v)
		return nil
	}
	var n json.Number
	if err := json.Unmarshal(data, &n); err != nil {
		n = ""
	}
	*s = flexString(n.String())
	return nil
}

// discordProfile: id → discord_id, email, verified, display = global_name
// or username, avatar → the CDN URL.
func (p *Providers) discordProfile(ctx context.Context, token string) (Profile, error) {
	var u struct {
		ID         flexString `json:"id"`
		Username   string     `json:"username"`
		GlobalName string     `json:"global_name"`
		Avatar     string     `json:"avatar"`
		Email      string     `json:"email"`
		Verified   flexBool   `json:"verified"`
	}
	if err := p.getJSON(ctx, Discord, "profile", p.cfg.Endpoints.DiscordUser, token, &u); err != nil {
		return Profile{}, err
	}
	prof := Profile{Provider: Discord, ID: string(u.ID), Email: u.Email, EmailVerified: bool(u.Verified),
		DisplayName: firstNonEmpty(u.GlobalName, u.Username)}
	if u.Avatar != "" && u.ID != "" {
		prof.AvatarURL = "https://cdn.discordapp.com/avatars/" + url.PathEscape(string(u.ID)) + "/" + url.PathEscape(u.Avatar) + ".png"
	}
	return prof, nil
}

// googleProfile: id, email, email_verified/verified_email, name or
// given_name, picture.
func (p *Providers) googleProfile(ctx context.Context, token string) (Profile, error) {
	var u struct {
		ID            flexString `json:"id"`
		Sub           flexString `json:"sub"`
		Email         string     `json:"email"`
		EmailVerified flexBool   `json:"email_verified"`
		VerifiedEmail flexBool   `json:"verified_email"`
		Name          string     `json:"name"`
		GivenName     string     `json:"given_name"`
		Picture       string     `json:"picture"`
	}
	if err := p.getJSON(ctx, Google, "profile", p.cfg.Endpoints.GoogleUserinfo, token, &u); err != nil {
		return Profile{}, err
	}
	return Profile{Provider: Google, ID: firstNonEmpty(string(u.ID), string(u.Sub)), Email: u.Email,
		EmailVerified: bool(u.EmailVerified) || bool(u.VerifiedEmail),
		DisplayName:   firstNonEmpty(u.Name, u.GivenName), AvatarURL: u.Picture}, nil
}

// facebookProfile: id, email (never treated as verified), name,
// picture.data.url. The token goes in the Authorization header and the
// call carries appsecret_proof.
func (p *Providers) facebookProfile(ctx context.Context, token string) (Profile, error) {
	mac := hmac.New(sha256.New, []byte(p.cfg.Facebook.ClientSecret))
	mac.Write([]byte(token))
	q := url.Values{"fields": {"id,email,name,picture"}, "appsecret_proof": {hex.EncodeToString(mac.Sum(nil))}}
	var u struct {
		ID      flexString `json:"id"`
		Email   string     `json:"email"`
		Name    string     `json:"name"`
		Picture struct {
			Data struct {
				URL string `json:"url"`
			} `json:"data"`
		} `json:"picture"`
	}
	if err := p.getJSON(ctx, Facebook, "profile", withQuery(p.cfg.Endpoints.FacebookProfile, q), token, &u); err != nil {
		return Profile{}, err
	}
	return Profile{Provider: Facebook, ID: string(u.ID), Email: u.Email, EmailVerified: false,
		DisplayName: u.Name, AvatarURL: u.Picture.Data.URL}, nil
}

func firstNonEmpty(ss ...string) string {
	for _, s := range ss {
		if strings.TrimSpace(s) != "" {
			return s
		}
	}
	return ""
}
