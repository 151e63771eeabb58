package rest

import (
	"context"
	"errors"
	"net/http"
	"reflect"

	"github.com/danielgtaylor/huma/v2"

	"github.com/gamend-go/gamend/auth"
	"github.com/gamend-go/gamend/auth/oauth"
)

// oauthState is the Server's OAuth wiring: the service and the optional
// web sign-in that completes "browser:" callbacks.
type oauthState struct {
	svc     *oauth.Service
	browser BrowserLogin
}

// OAuth returns the OAuth service mounted with MountOAuth (nil before).
func (s *Server) OAuth() *oauth.Service { return s.oauth.svc }

// OAuthCallbackData is the `data` of a direct exchange: the token fields
// for a sign-in, or linked+provider for a link (API.md §4.2).
type OAuthCallbackData struct {
	AccessToken  string `json:"access_token,omitempty" doc:"sign-in: access JWT (15 min)"`
	RefreshToken string `json:"refresh_token,omitempty" doc:"sign-in: refresh JWT (30 days)"`
	ExpiresIn    int    `json:"expires_in,omitempty" example:"900" doc:"sign-in: access token lifetime in seconds"`
	UserID       string `json:"user_id,omitempty" doc:"sign-in: the account id"`
	Linked       bool   `json:"linked,omitempty" doc:"link: always true"`
	Provider     string `json:"provider,omitempty" example:"discord_id" doc:"link: the linked provider column, <provider>_id"`
}

// OAuthCallbackOutput is {"data":OAuthCallbackData}.
type OAuthCallbackOutput struct {
	Body struct {
		Data OAuthCallbackData `json:"data"`
	}
}

// OAuthRequestOutput is the polling flow's start answer.
type OAuthRequestOutput struct {
	Body struct {
		AuthorizationURL string `json:"authorization_url" doc:"open this URL in the player's browser"`
		SessionID        string `json:"session_id" doc:"poll GET /api/v1/auth/session/{session_id} with it"`
	}
}

// OAuthSessionData is the `data` of a session poll: {} or link_user_id
// while pending, the token fields or linked+provider when completed, and
// error or details on failure.
type OAuthSessionData struct {
	LinkUserID   string `json:"link_user_id,omitempty" doc:"pending link: the account being linked"`
	AccessToken  string `json:"access_token,omitempty"`
	RefreshToken string `json:"refresh_token,omitempty"`
	ExpiresIn    int    `json:"expires_in,omitempty" example:"900"`
	UserID       string `json:"user_id,omitempty"`
	Linked       bool   `json:"linked,omitempty"`
	Provider     string `json:"provider,omitempty" example:"discord_id"`
	Error        string `json:"error,omitempty" doc:"provider_already_linked, account_not_activated or user_not_found"`
	Details      any    `json:"details,omitempty" doc:"authentication_failed, or account-creation field errors"`
}

// OAuthSessionOutput is the session poll answer.
type OAuthSessionOutput struct {
	Body struct {
		Status  string           `json:"status" enum:"pending,completed,error,conflict" doc:"conflict is never produced (listed for compatibility)"`
		Message string           `json:"message" doc:"human-readable reason on error, else empty"`
		Data    OAuthSessionData `json:"data"`
	}
}

type oauthRequestInput struct {
	Provider      string `path:"provider" doc:"discord, google, facebook, apple or steam"`
	Authorization string `header:"Authorization" hidden:"true"`
}

type oauthSessionInput struct {
	SessionID string `path:"session_id" doc:"the session_id of the oauth_request answer"`
}

type oauthCodeInput struct {
	Provider      string `path:"provider" doc:"discord, google, facebook, apple or steam"`
	Authorization string `header:"Authorization" hidden:"true"`
	Body          struct {
		Code string `json:"code,omitempty" doc:"authorization code from the provider's SDK; for steam the auth-session ticket as hex"`
	}
}

type oauthAppleIOSInput struct {
	Authorization string `header:"Authorization" hidden:"true"`
	Body          struct {
		Code string `json:"code,omitempty" doc:"authorization code from Sign in with Apple on iOS"`
	}
}

type oauthIDTokenInput struct {
	Authorization string `header:"Authorization" hidden:"true"`
	Body          struct {
		IDToken string `json:"id_token,omitempty" doc:"id_token from a Google SDK"`
	}
}

// Errors of the OAuth routes (API.md §4.2).
var (
	errInvalidProvider = ErrMessage(http.StatusBadRequest, "invalid_provider", "Unsupported OAuth provider")
	errSessionNotFound = ErrMessage(http.StatusNotFound, "session_not_found", "OAuth session not found")
	errProviderTaken   = ErrMessage(http.StatusConflict, "provider_already_linked", oauth.MsgProviderAlreadyLinked)
)

// notConfiguredDoc describes the 404 of a provider route.
const notConfiguredDoc = "provider_not_configured: this provider (or this flow of it) is not configured on this server " +
	"(its credentials are not set; the server logs the disabled providers at start-up)"

// oauthOp is an operation that reads a bearer token itself (API.md §4.2):
// documented with optional bearer security, but without the auth plug, so
// a bad token never answers 401. Its documented answers include the 404
// provider_not_configured.
func (s *Server) oauthOp(method, path, id, summary, desc string) huma.Operation {
	op := Op(method, path, id, summary, "Authentication", AuthOptional)
	op.Metadata["auth"] = AuthNone
	op.Description = desc
	op.SkipValidateBody = true // missing fields get the contract's 400s
	errSchema := s.API.OpenAPI().Components.Schemas.Schema(reflect.TypeFor[Error](), true, "Error")
	content := func() map[string]*huma.MediaType {
		return map[string]*huma.MediaType{"application/json": {Schema: errSchema}}
	}
	op.Responses = map[string]*huma.Response{
		"404":     {Description: notConfiguredDoc, Content: content()},
		"default": {Description: "Error", Content: content()},
	}
	return op
}

// MountOAuth registers the OAuth routes: the polling flow (API.md §4.2),
// its browser callbacks and success page, and the direct-exchange
// endpoints. Call it before Finish.
func (s *Server) MountOAuth(svc *oauth.Service) {
	s.oauth.svc = svc
	api := s.API
	huma.Register(api, s.oauthOp(http.MethodGet, "/api/v1/auth/{provider}", "oauth_request", "Start an OAuth sign-in (polling flow)",
		"Creates an OAuth session and returns the provider URL to open in a browser. Poll the session until it is completed. "+
			"With a valid bearer access token the session links the provider to that account instead of signing in."),
		func(ctx context.Context, in *oauthRequestInput) (*OAuthRequestOutput, error) {
			link := s.OptionalLinkUser(ctx, in.Authorization)
			authURL, id, err := svc.Begin(ctx, in.Provider, link)
			switch {
			case errors.Is(err, oauth.ErrUnknownProvider):
				return nil, errInvalidProvider
			case errors.Is(err, oauth.ErrNotConfigured):
				return nil, ErrProviderNotConfigured
			case err != nil:
				return nil, err
			}
			out := &OAuthRequestOutput{}
			out.Body.AuthorizationURL, out.Body.SessionID = authURL, id
			return out, nil
		})

	sessOp := Op(http.MethodGet, "/api/v1/auth/session/{session_id}", "oauth_session_status", "Poll an OAuth session", "Authentication", AuthNone)
	sessOp.Description = "pending until the browser callback arrives; then completed (tokens, or linked) or error. Sessions expire 15 minutes after creation (404)."
	huma.Register(api, sessOp, func(ctx context.Context, in *oauthSessionInput) (*OAuthSessionOutput, error) {
		sess, err := svc.Sessions().Get(ctx, in.SessionID)
		if errors.Is(err, oauth.ErrSessionNotFound) {
			return nil, errSessionNotFound
		}
		if err != nil {
			return nil, err
		}
		d := sess.Data
		out := &OAuthSessionOutput{}
		out.Body.Status, out.Body.Message = sess.Status, d.Message
		out.Body.Data = OAuthSessionData{LinkUserID: d.LinkUserID, AccessToken: d.AccessToken, RefreshToken: d.RefreshToken,
			ExpiresIn: d.ExpiresIn, UserID: d.UserID, Linked: d.Linked, Provider: d.Provider, Error: d.Error, Details: d.Details}
		return out, nil
	})

	huma.Register(api, s.oauthOp(http.MethodPost, "/api/v1/auth/{provider}/callback", "oauth_api_callback", "Exchange a provider code for tokens",
		"Direct exchange for clients that run the provider's SDK: the code (Steam: the auth-session ticket as hex) is exchanged "+
			"server-side. With a valid bearer access token the provider is linked to that account instead."),
		func(ctx context.Context, in *oauthCodeInput) (*OAuthCallbackOutput, error) {
			p, code := in.Provider, in.Body.Code
			var prof oauth.Profile
			var err error
			switch {
			case p == oauth.Steam && !svc.Providers().SteamConfigured(),
				p != oauth.Steam && oauth.IsProvider(p) && !svc.Providers().Configured(p):
				return nil, ErrProviderNotConfigured
			case p == oauth.Steam && code == "":
				return nil, ErrMessage(http.StatusBadRequest, "missing_param", "code (the Steam auth-session ticket, hex) is required")
			case p == oauth.Steam:
				prof, err = svc.Providers().SteamTicket(ctx, code)
			case !oauth.IsProvider(p) || code == "":
				return nil, ErrMessage(http.StatusBadRequest, "missing_or_unsupported", "a code and one of discord, google, facebook, apple or steam are required")
			default:
				prof, err = svc.Providers().Exchange(ctx, p, code)
			}
			return s.oauthDirect(ctx, svc, p, in.Authorization, prof, err)
		})

	huma.Register(api, s.oauthOp(http.MethodPost, "/api/v1/auth/apple/ios/callback", "oauth_callback_api_apple_ios", "Exchange a Sign in with Apple code from iOS",
		"Like oauth_api_callback for apple, with the iOS client id (APPLE_IOS_CLIENT_ID) and no redirect URI."),
		func(ctx context.Context, in *oauthAppleIOSInput) (*OAuthCallbackOutput, error) {
			switch {
			case !svc.Providers().AppleIOSConfigured():
				return nil, ErrProviderNotConfigured
			case in.Body.Code == "":
				return nil, ErrCode(http.StatusBadRequest, "missing_code")
			}
			prof, err := svc.Providers().ExchangeAppleIOS(ctx, in.Body.Code)
			return s.oauthDirect(ctx, svc, oauth.Apple, in.Authorization, prof, err)
		})

	huma.Register(api, s.oauthOp(http.MethodPost, "/api/v1/auth/google/id_token", "oauth_google_id_token", "Sign in with a Google id_token",
		"Checks the id_token with Google (audience GOOGLE_WEB_CLIENT_ID or GOOGLE_CLIENT_ID, issuer, expiry) and signs in or links."),
		func(ctx context.Context, in *oauthIDTokenInput) (*OAuthCallbackOutput, error) {
			switch {
			case !svc.Providers().GoogleIDTokenConfigured():
				return nil, ErrProviderNotConfigured
			case in.Body.IDToken == "":
				return nil, ErrMessage(http.StatusBadRequest, "missing_param", "id_token is required")
			}
			prof, err := svc.Providers().GoogleIDToken(ctx, in.Body.IDToken)
			switch {
			case errors.Is(err, oauth.ErrNotConfigured):
				return nil, ErrProviderNotConfigured
			case errors.Is(err, oauth.ErrInvalidAudience):
				return nil, ErrMessage(http.StatusBadRequest, "invalid_token", "Invalid audience")
			case errors.Is(err, oauth.ErrInvalidIssuer):
				return nil, ErrMessage(http.StatusBadRequest, "invalid_token", "Invalid issuer")
			case errors.Is(err, oauth.ErrTokenExpired):
				return nil, ErrMessage(http.StatusBadRequest, "invalid_token", "Token expired")
			case err != nil && !errors.Is(err, oauth.ErrMissingID):
				svc.LogFailure(oauth.Google, err)
				return nil, ErrDetails(http.StatusBadRequest, "invalid_token", oauth.DetailAuthFailed)
			}
			return s.oauthDirect(ctx, svc, oauth.Google, in.Authorization, prof, err)
		})

	s.mountOAuthBrowser(svc)
}

// oauthDirect finishes a direct exchange: the provider's error, or a
// sign-in (or a link when the request carries a valid access token),
// mapped to the §4.2 bodies.
func (s *Server) oauthDirect(ctx context.Context, svc *oauth.Service, provider, authorization string, prof oauth.Profile, err error) (*OAuthCallbackOutput, error) {
	switch {
	case errors.Is(err, oauth.ErrNotConfigured):
		return nil, ErrProviderNotConfigured
	case errors.Is(err, oauth.ErrMissingID):
		svc.LogFailure(provider, err)
		return nil, ErrDetails(http.StatusBadRequest, "exchange_failed", oauth.DetailMissingID)
	case err != nil:
		svc.LogFailure(provider, err)
		return nil, ErrDetails(http.StatusBadRequest, "exchange_failed", oauth.DetailAuthFailed)
	}
	linkID := ""
	if u := s.OptionalLinkUser(ctx, authorization); u != nil {
		linkID = u.ID
	}
	res, err := svc.SignIn(ctx, prof, linkID)
	svc.LogFailure(provider, err)
	var verr *auth.ValidationError
	switch {
	case err == nil:
	case errors.Is(err, auth.ErrProviderTaken):
		return nil, errProviderTaken
	case errors.Is(err, auth.ErrNotActivated):
		return nil, errNotActivated
	case linkID != "" && errors.Is(err, auth.ErrNotFound):
		return nil, ErrDetails(http.StatusBadRequest, "link_failed", "user_not_found")
	case linkID != "" && errors.As(err, &verr):
		return nil, ErrDetails(http.StatusBadRequest, "link_failed", verr.Fields)
	case linkID != "":
		return nil, ErrDetails(http.StatusBadRequest, "link_failed", oauth.DetailInternal)
	case errors.As(err, &verr):
		return nil, ErrDetails(http.StatusBadRequest, "create_failed", verr.Fields)
	default:
		return nil, err
	}
	out := &OAuthCallbackOutput{}
	if res.Linked {
		out.Body.Data = OAuthCallbackData{Linked: true, Provider: res.LinkedAs}
		return out, nil
	}
	t := res.Tokens
	out.Body.Data = OAuthCallbackData{AccessToken: t.AccessToken, RefreshToken: t.RefreshToken, ExpiresIn: t.ExpiresIn, UserID: t.UserID}
	return out, nil
}
