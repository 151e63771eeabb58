package rest

import (
	"context"
	"errors"
	"net/http"

	"github.com/danielgtaylor/huma/v2"

	"github.com/gamend-go/gamend/auth"
	"github.com/gamend-go/gamend/persistence/users"
)

// TokenData is the TokenPair body inside {"data":…} (API.md §2.2).
type TokenData struct {
	AccessToken  string `json:"access_token"`
	RefreshToken string `json:"refresh_token"`
	ExpiresIn    int    `json:"expires_in" example:"900"`
	UserID       string `json:"user_id"`
	Username     string `json:"username,omitempty"`
	DisplayName  string `json:"display_name"`
}

// TokenPairOutput is {"data":TokenData}.
type TokenPairOutput struct {
	Body struct {
		Data TokenData `json:"data"`
	}
}

func tokenOutput(u *users.Row, p auth.TokenPair) *TokenPairOutput {
	out := &TokenPairOutput{}
	out.Body.Data = TokenData{AccessToken: p.AccessToken, RefreshToken: p.RefreshToken, ExpiresIn: p.ExpiresIn,
		UserID: p.UserID, Username: u.Username, DisplayName: u.DisplayName}
	return out
}

// EmptyOutput is the {} body.
type EmptyOutput struct {
	Body struct{}
}

// The sign-in bodies read their fields leniently (lenientString): a value
// of the wrong JSON type gets the route's own §4.2 error, not a framework
// 422.

type loginInput struct {
	Body struct {
		Email    lenientString `json:"email,omitempty" required:"true" doc:"account e-mail (case-insensitive)"`
		Password lenientString `json:"password,omitempty" required:"true"`
		DeviceID lenientString `json:"device_id,omitempty" doc:"ignored (accepted for compatibility)"`
	}
}

type deviceInput struct {
	Body struct {
		DeviceID lenientString `json:"device_id,omitempty" required:"true" maxLength:"256" doc:"stable per-install id, at most 256 characters; the account is created on first use"`
	}
}

type refreshInput struct {
	Body struct {
		RefreshToken lenientString `json:"refresh_token,omitempty" required:"true"`
	}
}

type registerInput struct {
	Body struct {
		Email    string `json:"email,omitempty" required:"true"`
		Password string `json:"password,omitempty" required:"true" doc:"MIN_PASSWORD_LENGTH (8) characters up to 72 bytes"`
	}
}

var errNotActivated = ErrMessage(http.StatusForbidden, "account_not_activated", "Your account is pending activation by an administrator.")

// MountAuth registers the sign-in routes of API.md §4.2 (password, device,
// refresh, logout) and the JSON sign-up route, and enables bearer auth.
func (s *Server) MountAuth(svc *auth.Service) {
	s.auth = svc
	api := s.API
	withLax := func(op huma.Operation) huma.Operation {
		// Required fields are checked in the handler so a missing one is a
		// 400 like upstream's, not a 422.
		op.SkipValidateBody = true
		return op
	}
	huma.Register(api, withLax(Op(http.MethodPost, "/api/v1/login", "login", "Log in with e-mail and password", "Authentication", AuthNone)),
		func(ctx context.Context, in *loginInput) (*TokenPairOutput, error) {
			email, password := in.Body.Email, in.Body.Password
			if !email.Valid || !password.Valid || email.Value == "" || password.Value == "" {
				return nil, ErrBadRequest
			}
			u, p, err := svc.LoginPassword(ctx, email.Value, password.Value)
			switch {
			case errors.Is(err, auth.ErrInvalidCredentials):
				return nil, ErrCode(http.StatusUnauthorized, "Invalid email or password")
			case errors.Is(err, auth.ErrNotActivated):
				return nil, errNotActivated
			case err != nil:
				return nil, err
			}
			return tokenOutput(u, p), nil
		})

	huma.Register(api, withLax(Op(http.MethodPost, "/api/v1/login/device", "device_login", "Log in with a device id (creates the account on first use)", "Authentication", AuthNone)),
		func(ctx context.Context, in *deviceInput) (*TokenPairOutput, error) {
			id := in.Body.DeviceID
			if !id.Set || id.Valid && id.Value == "" {
				return nil, ErrBadRequest
			}
			if !id.Valid {
				return nil, ErrDetails(http.StatusBadRequest, "unable to create device user", map[string][]string{"device_id": {"is invalid"}})
			}
			u, p, err := svc.LoginDevice(ctx, id.Value)
			var verr *auth.ValidationError
			switch {
			case errors.Is(err, auth.ErrDeviceAuthDisabled):
				return nil, ErrCode(http.StatusForbidden, "device-based authentication is disabled")
			case errors.Is(err, auth.ErrNotActivated):
				return nil, errNotActivated
			case errors.As(err, &verr):
				return nil, ErrDetails(http.StatusBadRequest, "unable to create device user", verr.Fields)
			case err != nil:
				return nil, err
			}
			return tokenOutput(u, p), nil
		})

	huma.Register(api, withLax(Op(http.MethodPost, "/api/v1/refresh", "refresh_token", "Exchange a refresh token for a new access token", "Authentication", AuthNone)),
		func(ctx context.Context, in *refreshInput) (*TokenPairOutput, error) {
			token := in.Body.RefreshToken
			if !token.Set || token.Valid && token.Value == "" {
				return nil, ErrCode(http.StatusBadRequest, "refresh_token is required")
			}
			if !token.Valid {
				// Not a string: no refresh token this server issued.
				return nil, ErrCode(http.StatusUnauthorized, "Invalid or expired refresh token")
			}
			u, p, err := svc.Refresh(ctx, token.Value)
			switch {
			case errors.Is(err, auth.ErrTokenInvalid):
				return nil, ErrCode(http.StatusUnauthorized, "Invalid or expired refresh token")
			case errors.Is(err, auth.ErrTokenRevoked):
				// Also an account waiting for activation: §4.2 gives
				// /refresh no 403 (see auth.Service.Refresh).
				return nil, ErrCode(http.StatusUnauthorized, "Invalid refresh token")
			case err != nil:
				return nil, err
			}
			return tokenOutput(u, p), nil
		})

	huma.Register(api, Op(http.MethodDelete, "/api/v1/logout", "logout", "Log out (tokens are stateless; the client forgets them)", "Authentication", AuthNone),
		func(ctx context.Context, _ *struct{}) (*EmptyOutput, error) { return &EmptyOutput{}, nil })

	reg := withLax(Op(http.MethodPost, "/api/v1/register", "register", "Create an e-mail/password account and log in", "Authentication", AuthNone))
	reg.DefaultStatus = http.StatusCreated
	reg.Description = "In-game sign-up (a Gamend-Go addition). The account starts unconfirmed; a confirmation e-mail is sent. Rate-limited like login."
	huma.Register(api, reg, func(ctx context.Context, in *registerInput) (*TokenPairOutput, error) {
		if in.Body.Email == "" || in.Body.Password == "" {
			fields := FieldErrors{}
			if in.Body.Email == "" {
				fields.Add("email", "can't be blank")
			}
			if in.Body.Password == "" {
				fields.Add("password", "can't be blank")
			}
			return nil, ErrFields(http.StatusUnprocessableEntity, "validation_failed", fields)
		}
		u, p, err := svc.Register(ctx, in.Body.Email, in.Body.Password)
		var verr *auth.ValidationError
		switch {
		case errors.As(err, &verr):
			return nil, ErrFields(http.StatusUnprocessableEntity, "validation_failed", verr.Fields)
		case errors.Is(err, auth.ErrNotActivated):
			return nil, errNotActivated
		case err != nil:
			return nil, err
		}
		return tokenOutput(u, p), nil
	})
}
