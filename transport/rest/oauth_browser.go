package rest

import (
	"context"
	"errors"
	"html/template"
	"net/http"
	"net/url"
	"strings"

	"github.com/danielgtaylor/huma/v2"
	"github.com/gofiber/fiber/v2"

	"github.com/gamend-go/gamend/auth/oauth"
)

// BrowserStatePrefix starts the callback state of the web UI's own OAuth
// sign-in; such callbacks go to the BrowserLogin, never to a session.
const BrowserStatePrefix = "browser:"

// BrowserLogin completes the web UI's OAuth sign-in (transport/web
// implements it). The provider callback routes belong to this package; a
// callback whose state starts with "browser:" has its profile fetched here
// (code exchanged, Apple id_token or Steam assertion verified) and is then
// handed over with the profile, or with err when the player cancelled
// (oauth.ErrDenied) or the provider failed (oauth.ErrExchange, …). The
// implementation checks state itself (it issued it) and writes the whole
// response.
type BrowserLogin interface {
	CompleteBrowserOAuth(c *fiber.Ctx, state string, profile oauth.Profile, err error) error
}

// SetBrowserLogin installs the web sign-in; until then (or with nil)
// "browser:" callbacks answer an error page.
func (s *Server) SetBrowserLogin(b BrowserLogin) { s.oauth.browser = b }

// mountOAuthBrowser registers the provider callbacks outside /api and the
// success page, and documents them in the OpenAPI document.
func (s *Server) mountOAuthBrowser(svc *oauth.Service) {
	s.App.Get("/auth/success", s.oauthSuccessPage)
	s.App.Get("/auth/:provider/callback", func(c *fiber.Ctx) error { return s.oauthCallback(c, c.Params("provider")) })
	// Apple answers with response_mode=form_post.
	s.App.Post("/auth/apple/callback", func(c *fiber.Ctx) error {
		if svc == nil || !svc.Providers().Configured(oauth.Apple) {
			return s.oauthCallback(c, oauth.Apple) // its 404 page, body unread
		}
		if e := DecodeBody(c); e != nil {
			return oauthPage(c, e.Status, pageFailed)
		}
		return s.oauthCallback(c, oauth.Apple)
	})
	s.documentOAuthBrowser()
}

// callbackParam reads a callback parameter from the query or, for Apple's
// form_post, the form body.
func callbackParam(c *fiber.Ctx, key string) string {
	if v := c.Query(key); v != "" {
		return v
	}
	if c.Method() == fiber.MethodPost {
		return c.FormValue(key)
	}
	return ""
}

// oauthCallback is GET /auth/{discord|google|facebook|steam}/callback and
// POST /auth/apple/callback: it completes the session named by state and
// redirects to the success page. A state that is not a pending session of
// this provider (unknown, expired, replayed) gets an error page and
// changes nothing.
func (s *Server) oauthCallback(c *fiber.Ctx, provider string) error {
	c.Set(fiber.HeaderCacheControl, "no-store")
	svc := s.oauth.svc
	if !oauth.IsProvider(provider) || svc == nil {
		return oauthPage(c, http.StatusNotFound, pageUnknownProvider)
	}
	if !svc.Providers().Configured(provider) {
		return oauthPage(c, http.StatusNotFound, pageNotConfigured)
	}
	state := callbackParam(c, "state")
	fetch := func(ctx context.Context) (oauth.Profile, error) {
		return s.fetchCallbackProfile(ctx, c, svc.Providers(), provider)
	}
	if strings.HasPrefix(state, BrowserStatePrefix) {
		if s.oauth.browser == nil {
			return oauthPage(c, http.StatusBadRequest, pageBadState)
		}
		prof, err := fetch(c.UserContext())
		if err != nil {
			svc.LogFailure(provider, err)
		}
		return s.oauth.browser.CompleteBrowserOAuth(c, state, prof, err)
	}
	sess, err := svc.Complete(c.UserContext(), provider, state, fetch)
	switch {
	case errors.Is(err, oauth.ErrBadState):
		return oauthPage(c, http.StatusBadRequest, pageBadState)
	case err != nil:
		s.log.Error("oauth callback failed", "provider", provider, "err", err)
		return oauthPage(c, http.StatusInternalServerError, pageFailed)
	}
	return c.Redirect("/auth/success?session_id="+url.QueryEscape(sess.ID), fiber.StatusFound)
}

// fetchCallbackProfile turns the provider's callback parameters into a
// verified profile: the code is exchanged (Apple: plus the name Apple
// posts on first sign-in), the Steam assertion is checked with Steam. An
// error parameter (access_denied, user_cancelled_authorize) is ErrDenied.
func (s *Server) fetchCallbackProfile(ctx context.Context, c *fiber.Ctx, p *oauth.Providers, provider string) (oauth.Profile, error) {
	if provider == oauth.Steam {
		q, err := url.ParseQuery(string(c.Request().URI().QueryString()))
		if err != nil {
			return oauth.Profile{}, oauth.ErrExchange
		}
		return p.VerifySteam(ctx, q)
	}
	if callbackParam(c, "error") != "" {
		return oauth.Profile{}, oauth.ErrDenied
	}
	prof, err := p.Exchange(ctx, provider, callbackParam(c, "code"))
	if err == nil && provider == oauth.Apple && prof.DisplayName == "" {
		prof.DisplayName = oauth.AppleFormName(callbackParam(c, "user"))
	}
	return prof, err
}

// oauthSuccessPage is GET /auth/success: the "you can return to the game"
// page the callbacks redirect to. It never shows tokens.
func (s *Server) oauthSuccessPage(c *fiber.Ctx) error {
	c.Set(fiber.HeaderCacheControl, "no-store")
	c.Set("Referrer-Policy", "no-referrer")
	page := pageSignedIn
	if svc := s.oauth.svc; svc != nil {
		sess, err := svc.Sessions().Get(c.UserContext(), c.Query("session_id"))
		switch {
		case err != nil:
			page = pageReturn
		case sess.Status == oauth.StatusError:
			page = pageFailed
		case sess.Status == oauth.StatusCompleted && sess.Data.Linked:
			page = pageLinked
		}
	}
	return oauthPage(c, http.StatusOK, page)
}

type pageText struct{ Title, Message string }

var (
	pageSignedIn        = pageText{"Signed in", "You are signed in. You can close this window and return to the game."}
	pageLinked          = pageText{"Account linked", "The account is linked. You can close this window and return to the game."}
	pageReturn          = pageText{"Return to the game", "You can close this window and return to the game."}
	pageFailed          = pageText{"Sign-in failed", "The sign-in did not complete. Close this window, return to the game and try again."}
	pageBadState        = pageText{"Sign-in link expired", "This sign-in link is invalid, has expired or was already used. Return to the game and start again."}
	pageUnknownProvider = pageText{"Not found", "Unknown sign-in provider."}
	pageNotConfigured   = pageText{"Not available", "Sign-in with this provider is not configured on this server."}
)

var pageTemplate = template.Must(template.New("oauth").Parse(`<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{{.Title}}</title>
<style>body{font-family:system-ui,sans-serif;max-width:32rem;margin:4rem auto;padding:0 1rem;text-align:center;color:#222}</style>
</head>
<body>
<h1>{{.Title}}</h1>
<p>{{.Message}}</p>
</body>
</html>
`))

func oauthPage(c *fiber.Ctx, status int, p pageText) error {
	var b strings.Builder
	if err := pageTemplate.Execute(&b, p); err != nil {
		return err
	}
	c.Status(status).Type("html")
	return c.SendString(b.String())
}

// documentOAuthBrowser adds the browser callback routes (plain fiber
// handlers: redirects and HTML) to the OpenAPI document.
func (s *Server) documentOAuthBrowser() {
	str := &huma.Schema{Type: huma.TypeString}
	param := func(name, in, desc string, required bool) *huma.Param {
		return &huma.Param{Name: name, In: in, Description: desc, Required: required, Schema: str}
	}
	html := func(desc string) *huma.Response {
		return &huma.Response{Description: desc, Content: map[string]*huma.MediaType{"text/html": {Schema: str}}}
	}
	redirect := &huma.Response{Description: "Redirect to /auth/success?session_id=… (the outcome is stored on the session), or the web sign-in's answer for a browser: state",
		Headers: map[string]*huma.Param{"Location": {Schema: str}}}
	notConfigured := html("unknown provider, or " + notConfiguredDoc + "; an HTML page")
	oapi := s.API.OpenAPI()
	oapi.AddOperation(&huma.Operation{
		OperationID: "oauth_browser_callback", Method: http.MethodGet, Path: "/auth/{provider}/callback",
		Tags: []string{"Authentication"}, Summary: "Provider redirect target (browser)",
		Description: "The provider sends the browser here after sign-in (discord, google, facebook: code and state; steam: state and the openid.* assertion, verified with Steam). Not called by game clients.",
		Parameters: []*huma.Param{
			param("provider", "path", "discord, google, facebook or steam", true),
			param("state", "query", "the session_id of oauth_request", true),
			param("code", "query", "authorization code", false),
			param("error", "query", "set by the provider when the player refused (access_denied)", false),
		},
		Responses: map[string]*huma.Response{"302": redirect, "400": html("unknown, expired or already used state"), "404": notConfigured},
	})
	oapi.AddOperation(&huma.Operation{
		OperationID: "oauth_browser_callback_apple", Method: http.MethodPost, Path: "/auth/apple/callback",
		Tags: []string{"Authentication"}, Summary: "Sign in with Apple redirect target (browser, form_post)",
		Description: "Apple posts code, state and, on the first sign-in, user (name) here. Not called by game clients.",
		RequestBody: &huma.RequestBody{Content: map[string]*huma.MediaType{"application/x-www-form-urlencoded": {Schema: &huma.Schema{
			Type: huma.TypeObject, Properties: map[string]*huma.Schema{"code": str, "state": str, "user": str, "error": str}}}}},
		Responses: map[string]*huma.Response{"302": redirect, "400": html("unknown, expired or already used state"), "404": notConfigured},
	})
	oapi.AddOperation(&huma.Operation{
		OperationID: "oauth_success", Method: http.MethodGet, Path: "/auth/success",
		Tags: []string{"Authentication"}, Summary: "Page shown after an OAuth callback",
		Parameters: []*huma.Param{param("session_id", "query", "the OAuth session", false)},
		Responses:  map[string]*huma.Response{"200": html("\"you can return to the game\" page")},
	})
}
