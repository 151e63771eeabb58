package oauthtest

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"strings"
)

// authorizeSpec is what each provider's authorize request must carry.
var authorizeSpec = map[string]struct{ clientID, scope, extraKey, extraVal string }{
	"discord":  {ClientID, "identify email", "", ""},
	"google":   {ClientID, "email profile", "access_type", "offline"},
	"facebook": {ClientID, "email", "", ""},
	"apple":    {AppleWebClientID, "name email", "response_mode", "form_post"},
}

func (f *Fake) routes() http.Handler {
	mux := http.NewServeMux()
	for p := range authorizeSpec {
		mux.HandleFunc("GET /"+p+"/authorize", f.authorize(p))
		mux.HandleFunc("POST /"+p+"/token", f.token(p))
	}
	mux.HandleFunc("GET /discord/users/@me", f.profile("discord"))
	mux.HandleFunc("GET /google/userinfo", f.profile("google"))
	mux.HandleFunc("GET /facebook/me", f.profile("facebook"))
	mux.HandleFunc("GET /apple/keys", func(w http.ResponseWriter, r *http.Request) {
		if !f.failing(w, StepKeys) {
			writeJSON(w, 200, f.jwks())
		}
	})
	mux.HandleFunc("GET /google/tokeninfo", f.tokeninfo)
	mux.HandleFunc("GET /steam/openid", f.steamLogin)
	mux.HandleFunc("POST /steam/openid", f.steamCheck)
	mux.HandleFunc("GET /steam/api/ISteamUserAuth/AuthenticateUserTicket/v1/", f.steamTicket)
	mux.HandleFunc("GET /steam/api/ISteamUser/GetPlayerSummaries/v2/", f.steamSummaries)
	return mux
}

func (f *Fake) next(provider string) (*Identity, bool) {
	f.mu.Lock()
	defer f.mu.Unlock()
	q := f.queue[provider]
	if len(q) == 0 {
		return nil, false
	}
	f.queue[provider] = q[1:]
	return q[0], true
}

// FormPost is the fake Apple's answer to an authorize request: the form
// the browser would post to Action (response_mode=form_post).
type FormPost struct {
	Action string            `json:"form_post"`
	Fields map[string]string `json:"fields"`
}

// authorize plays the provider's sign-in page: it checks the request and
// sends the browser back with a code (or the refusal) and the state.
func (f *Fake) authorize(p string) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		q, spec := r.URL.Query(), authorizeSpec[p]
		redirect, state := q.Get("redirect_uri"), q.Get("state")
		switch {
		case q.Get("client_id") != spec.clientID, q.Get("response_type") != "code", redirect == "", state == "",
			q.Get("scope") != spec.scope, spec.extraKey != "" && q.Get(spec.extraKey) != spec.extraVal,
			!strings.HasSuffix(redirect, "/auth/"+p+"/callback"):
			http.Error(w, "bad authorize request: "+r.URL.RawQuery, http.StatusBadRequest)
			return
		}
		who, ok := f.next(p)
		if !ok {
			http.Error(w, "no login queued", http.StatusBadRequest)
			return
		}
		fields := url.Values{"state": {state}}
		if who == nil {
			fields.Set("error", "access_denied")
			if p == "apple" {
				fields.Set("error", "user_cancelled_authorize")
			}
		} else {
			fields.Set("code", f.mintCode(p, *who, redirect))
		}
		if p == "apple" {
			form := FormPost{Action: redirect, Fields: map[string]string{}}
			for k := range fields {
				form.Fields[k] = fields.Get(k)
			}
			if who != nil && who.Name != "" {
				first, last, _ := strings.Cut(who.Name, " ")
				b, _ := json.Marshal(map[string]any{"name": map[string]string{"firstName": first, "lastName": last}, "email": who.Email})
				form.Fields["user"] = string(b)
			}
			writeJSON(w, 200, form)
			return
		}
		http.Redirect(w, r, redirect+"?"+fields.Encode(), http.StatusFound)
	}
}

// token is the code exchange: client authentication (Apple: the ES256
// client secret), single-use codes, redirect_uri matching.
func (f *Fake) token(p string) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		if f.failing(w, StepToken) {
			return
		}
		_ = r.ParseForm()
		id, secret := r.PostForm.Get("client_id"), r.PostForm.Get("client_secret")
		okClient := id == ClientID && secret == ClientSecret
		if p == "apple" {
			okClient = (id == AppleWebClientID || id == AppleIOSClientID) && f.checkAppleSecret(secret, id)
		}
		if !okClient || r.PostForm.Get("grant_type") != "authorization_code" {
			writeJSON(w, 401, map[string]string{"error": "invalid_client"})
			return
		}
		f.mu.Lock()
		g := f.codes[r.PostForm.Get("code")]
		valid := g != nil && !g.used && g.provider == p &&
			(g.redirect == "" || g.redirect == r.PostForm.Get("redirect_uri")) &&
			(id != AppleIOSClientID || r.PostForm.Get("redirect_uri") == "")
		if valid {
			g.used = true
		}
		at := "fakeat-" + hex.EncodeToString(randBytes(12))
		if valid {
			f.access[at] = g
		}
		f.mu.Unlock()
		if !valid {
			writeJSON(w, 400, map[string]string{"error": "invalid_grant", "error_description": "code is invalid or was already used"})
			return
		}
		out := map[string]any{"access_token": at, "token_type": "Bearer", "expires_in": 3600}
		if p == "apple" {
			out["id_token"] = f.appleIDToken(g.who, id)
			out["refresh_token"] = "rt-apple"
		}
		writeJSON(w, 200, out)
	}
}

func (f *Fake) profile(p string) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		if f.failing(w, StepProfile) {
			return
		}
		at := strings.TrimPrefix(r.Header.Get("Authorization"), "Bearer ")
		f.mu.Lock()
		g := f.access[at]
		f.mu.Unlock()
		if g == nil || g.provider != p {
			writeJSON(w, 401, map[string]string{"error": "invalid_token"})
			return
		}
		who := g.who
		switch p {
		case "discord":
			var avatar any
			if who.Avatar != "" {
				avatar = who.Avatar
			}
			writeJSON(w, 200, map[string]any{"id": who.ID, "username": strings.ToLower(strings.ReplaceAll(who.Name, " ", "")),
				"global_name": who.Name, "avatar": avatar, "email": who.Email, "verified": who.Verified})
		case "google":
			writeJSON(w, 200, map[string]any{"id": who.ID, "email": who.Email, "verified_email": who.Verified,
				"name": who.Name, "given_name": strings.Split(who.Name, " ")[0], "picture": who.Avatar})
		case "facebook":
			mac := hmac.New(sha256.New, []byte(ClientSecret))
			mac.Write([]byte(at))
			if r.URL.Query().Get("appsecret_proof") != hex.EncodeToString(mac.Sum(nil)) || r.URL.Query().Get("fields") != "id,email,name,picture" {
				writeJSON(w, 400, map[string]any{"error": map[string]any{"message": "bad appsecret_proof or fields"}})
				return
			}
			writeJSON(w, 200, map[string]any{"id": who.ID, "email": who.Email, "name": who.Name,
				"picture": map[string]any{"data": map[string]any{"url": who.Avatar}}})
		}
	}
}

func (f *Fake) tokeninfo(w http.ResponseWriter, r *http.Request) {
	if f.failing(w, StepTokeninfo) {
		return
	}
	f.mu.Lock()
	claims := f.idTokens[r.URL.Query().Get("id_token")]
	f.mu.Unlock()
	if claims == nil {
		writeJSON(w, 400, map[string]string{"error": "invalid_token", "error_description": "Invalid Value"})
		return
	}
	writeJSON(w, 200, claims)
}

// steamLogin plays Steam's OpenID sign-in page: it answers the
// checkid_setup request with a signed positive assertion (or a cancel).
func (f *Fake) steamLogin(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	ret := q.Get("openid.return_to")
	if q.Get("openid.mode") != "checkid_setup" || q.Get("openid.ns") != "http://specs.openid.net/auth/2.0" ||
		q.Get("openid.identity") != "http://specs.openid.net/auth/2.0/identifier_select" ||
		q.Get("openid.claimed_id") != q.Get("openid.identity") || q.Get("openid.realm") == "" ||
		!strings.HasPrefix(ret, q.Get("openid.realm")+"/auth/steam/callback?state=") {
		http.Error(w, "bad checkid_setup request", http.StatusBadRequest)
		return
	}
	who, ok := f.next("steam")
	if !ok {
		http.Error(w, "no login queued", http.StatusBadRequest)
		return
	}
	a := url.Values{"openid.ns": {"http://specs.openid.net/auth/2.0"}}
	if who == nil {
		a.Set("openid.mode", "cancel")
		http.Redirect(w, r, ret+"&"+a.Encode(), http.StatusFound)
		return
	}
	f.SteamPlayer(*who)
	claimed := "https://steamcommunity.com/openid/id/" + who.ID
	nonce := fmt.Sprintf("2026-01-15T10:30:00Z%s", hex.EncodeToString(randBytes(6)))
	for k, v := range map[string]string{"mode": "id_res", "op_endpoint": f.URL() + "/steam/openid", "claimed_id": claimed,
		"identity": claimed, "return_to": ret, "response_nonce": nonce, "assoc_handle": "1234567890",
		"signed": "signed,op_endpoint,claimed_id,identity,return_to,response_nonce,assoc_handle"} {
		a.Set("openid."+k, v)
	}
	a.Set("openid.sig", f.steamSign(a))
	f.mu.Lock()
	f.assertions[nonce] = a.Get("openid.sig")
	f.mu.Unlock()
	http.Redirect(w, r, ret+"&"+a.Encode(), http.StatusFound)
}

// steamCheck answers check_authentication: valid once per assertion, only
// for an untampered signature.
func (f *Fake) steamCheck(w http.ResponseWriter, r *http.Request) {
	if f.failing(w, StepOpenID) {
		return
	}
	_ = r.ParseForm()
	v := r.PostForm
	valid := false
	if v.Get("openid.mode") == "check_authentication" {
		f.mu.Lock()
		sig, ok := f.assertions[v.Get("openid.response_nonce")]
		if ok && sig == v.Get("openid.sig") && f.steamSign(v) == sig {
			valid = true
			delete(f.assertions, v.Get("openid.response_nonce"))
		}
		f.mu.Unlock()
	}
	w.Header().Set("Content-Type", "text/plain")
	fmt.Fprintf(w, "ns:http://specs.openid.net/auth/2.0\nis_valid:%t\n", valid)
}

func (f *Fake) steamTicket(w http.ResponseWriter, r *http.Request) {
	if f.failing(w, StepTicket) {
		return
	}
	q := r.URL.Query()
	if q.Get("key") != SteamAPIKey || q.Get("appid") != SteamAppID {
		http.Error(w, "Forbidden", http.StatusForbidden)
		return
	}
	f.mu.Lock()
	who, ok := f.tickets[q.Get("ticket")]
	f.mu.Unlock()
	if !ok {
		writeJSON(w, 200, map[string]any{"response": map[string]any{"error": map[string]any{"errorcode": 101, "errordesc": "Invalid ticket"}}})
		return
	}
	owner := who.OwnerID
	if owner == "" {
		owner = who.ID
	}
	writeJSON(w, 200, map[string]any{"response": map[string]any{"params": map[string]any{
		"result": "OK", "steamid": who.ID, "ownersteamid": owner, "vacbanned": false, "publisherbanned": false}}})
}

func (f *Fake) steamSummaries(w http.ResponseWriter, r *http.Request) {
	if f.failing(w, StepSummaries) {
		return
	}
	q := r.URL.Query()
	if q.Get("key") != SteamAPIKey {
		http.Error(w, "Forbidden", http.StatusForbidden)
		return
	}
	players := []map[string]any{}
	f.mu.Lock()
	for _, id := range strings.Split(q.Get("steamids"), ",") {
		if who, ok := f.players[id]; ok {
			players = append(players, map[string]any{"steamid": who.ID, "personaname": who.Name,
				"profileurl": "https://steamcommunity.com/profiles/" + who.ID + "/", "avatarfull": who.Avatar})
		}
	}
	f.mu.Unlock()
	writeJSON(w, 200, map[string]any{"response": map[string]any{"players": players}})
}
