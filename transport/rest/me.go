package rest

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"strings"

	"github.com/danielgtaylor/huma/v2"

	"github.com/gamend-go/gamend/actors/user"
	"github.com/gamend-go/gamend/auth"
	"github.com/gamend-go/gamend/transport/views"
)

// lenientString is a request body field read leniently, so that a value
// of the wrong JSON type becomes the contract's field error
// ({"error":"invalid_data","errors":{"<field>":["is invalid"]}}) instead of
// a framework error. null reads as "".
type lenientString struct {
	Set   bool // the key was in the body
	Valid bool // it held a string or null
	Value string
}

// UnmarshalJSON implements json.Unmarshaler; it never fails.
func (s *lenientString) UnmarshalJSON(b []byte) error {
	s.Set, s.Value = true, ""
	s.Valid = string(b) == "null" || json.Unmarshal(b, &s.Value) == nil
	return nil
}

// Schema documents the field as a string.
func (lenientString) Schema(huma.Registry) *huma.Schema { return &huma.Schema{Type: huma.TypeString} }

type selfOutput struct {
	Body views.SelfUser
}

type okOutput struct {
	Body struct {
		OK bool   `json:"ok"`
		ID string `json:"id" format:"uuid"`
	}
}

type displayNameOutput struct {
	Body struct {
		OK          bool   `json:"ok"`
		ID          string `json:"id" format:"uuid"`
		DisplayName string `json:"display_name"`
	}
}

type usernameOutput struct {
	Body struct {
		OK       bool   `json:"ok"`
		ID       string `json:"id" format:"uuid"`
		Username string `json:"username"`
	}
}

type passwordInput struct {
	Body struct {
		Password             lenientString `json:"password" doc:"MIN_PASSWORD_LENGTH (8) characters up to 72 bytes"`
		CurrentPassword      lenientString `json:"current_password" doc:"required when the account already has a password"`
		PasswordConfirmation lenientString `json:"password_confirmation" doc:"checked only when sent"`
	}
}

type displayNameInput struct {
	Body struct {
		DisplayName lenientString `json:"display_name" doc:"at most LIMIT_MAX_DISPLAY_NAME (80) characters; \"\" allowed; stored as given; no control, bidirectional-override or zero-width characters (422)"`
	}
}

type usernameInput struct {
	Body struct {
		Username lenientString `json:"username" doc:"lower-cased; 3–32 of a-z 0-9 with single . _ - separators, starting and ending alphanumeric; unique; reserved names (admin, support, …) for administrators only (422)"`
	}
}

type deviceLinkInput struct {
	Body *struct {
		DeviceID lenientString `json:"device_id" doc:"at most 256 characters; must not belong to another account"`
	}
}

type providerPath struct {
	Provider string `path:"provider" enum:"discord,apple,google,facebook,steam" doc:"OAuth provider to unlink"`
}

// Operations of /me whose failures have their own bodies (meError).
const (
	meDelete         = "delete_current_user"
	mePassword       = "update_current_user_password"
	meDisplayName    = "update_current_user_display_name"
	meUsername       = "update_current_user_username"
	meLinkDevice     = "link_device"
	meUnlinkDevice   = "unlink_device"
	meUnlinkProvider = "unlink_provider"
)

var errInvalidCurrentPassword = ErrMessage(http.StatusUnauthorized, "invalid_current_password",
	"current_password is required and must match your existing password")

// meError maps every failure of the /me routes to its API.md §4.3 body.
// Unexpected errors are logged (without request data) and answered with
// the operation's generic failure, never with their text.
func (s *Server) meError(op string, err error) error {
	var (
		averr   *auth.ValidationError
		uverr   *user.ValidationError
		refused *user.RefusedNameError
		rej     *user.RejectedError
	)
	switch {
	case errors.Is(err, auth.ErrNotFound), errors.Is(err, user.ErrNotFound):
		if op == meDelete {
			return ErrCode(http.StatusBadRequest, "Failed to delete account")
		}
		return ErrAuthFailed // the account was deleted while the request ran
	case errors.Is(err, auth.ErrWrongPassword):
		return errInvalidCurrentPassword
	case errors.As(err, &uverr):
		return ErrFields(http.StatusBadRequest, "invalid_data", FieldErrors(uverr.Fields))
	case errors.As(err, &refused): // §13-25: a spoofing or reserved name is refused with 422
		return ErrFields(http.StatusUnprocessableEntity, "invalid_data", FieldErrors(refused.Fields))
	case errors.As(err, &rej): // §13-15: a hook rejection is a field error, not a 500
		field := strings.TrimPrefix(op, "update_current_user_")
		return ErrFields(http.StatusBadRequest, "invalid_data", FieldErrors{field: {rej.Reason}})
	case errors.As(err, &averr) && op == meLinkDevice:
		return ErrDetails(http.StatusBadRequest, "Failed to link device_id", averr.Fields)
	case errors.As(err, &averr):
		return ErrFields(http.StatusBadRequest, "invalid_data", FieldErrors(averr.Fields))
	case errors.Is(err, auth.ErrDeviceTaken):
		return ErrDetails(http.StatusBadRequest, "Failed to link device_id", FieldErrors{"device_id": {"has already been taken"}})
	case errors.Is(err, auth.ErrUnknownProvider):
		return ErrCode(http.StatusBadRequest, "Unknown provider")
	case errors.Is(err, auth.ErrLastMethod) && op == meUnlinkDevice:
		return ErrCode(http.StatusBadRequest, "Cannot unlink device_id when it's your last authentication method")
	case errors.Is(err, auth.ErrLastMethod):
		return ErrCode(http.StatusBadRequest, "Cannot unlink the last linked provider")
	}
	if errors.Is(err, user.ErrDeleteRefused) {
		s.log.Warn("account deletion refused", "op", op, "err", err)
	} else {
		s.log.Error("request failed", "op", op, "err", err)
	}
	switch op {
	case meDelete:
		return ErrCode(http.StatusBadRequest, "Failed to delete account")
	case meLinkDevice:
		return ErrCode(http.StatusBadRequest, "Failed to link device_id")
	case meUnlinkDevice:
		return ErrCode(http.StatusBadRequest, "Failed to unlink device_id")
	case meUnlinkProvider:
		return ErrCode(http.StatusBadRequest, "Failed to unlink provider")
	}
	return ErrInternal
}

// invalidField is the answer for a body field of the wrong JSON type.
func invalidField(field string) *Error {
	return ErrFields(http.StatusBadRequest, "invalid_data", FieldErrors{field: {"is invalid"}})
}

// MountMe registers the current-user routes of API.md §4.3. Identity
// changes (password, device, providers) go to the auth service, profile
// changes and deletion to the profile service; both notify through
// profiles' OnUpdated (wire auth.OnUserChanged to profiles.NotifyUpdated).
func (s *Server) MountMe(svc *auth.Service, profiles *user.Profiles) {
	api := s.API
	lax := func(op huma.Operation) huma.Operation {
		op.SkipValidateBody = true // wrong types are field errors (lenientString), not 422s
		return op
	}

	huma.Register(api, Op(http.MethodGet, "/api/v1/me", "get_current_user", "Return the current user", "Users", AuthBearer),
		func(ctx context.Context, _ *struct{}) (*selfOutput, error) {
			return &selfOutput{Body: views.NewSelfUser(CurrentUser(ctx))}, nil
		})

	del := Op(http.MethodDelete, "/api/v1/me", meDelete, "Delete the current user's account", "Users", AuthBearer)
	del.Description = "Deletes the account and everything that belongs to it. Every token of the account stops working."
	huma.Register(api, del, func(ctx context.Context, _ *struct{}) (*EmptyOutput, error) {
		if err := profiles.Delete(ctx, CurrentUser(ctx).ID); err != nil {
			return nil, s.meError(meDelete, err)
		}
		return &EmptyOutput{}, nil
	})

	pw := lax(Op(http.MethodPatch, "/api/v1/me/password", mePassword, "Change the current user's password", "Users", AuthBearer))
	pw.Description = "Success bumps the token version: every token issued before, including the caller's, stops working (401 Failed.); log in again. " +
		"In the same transaction every browser session of the account ends, and so does every e-mailed link not used yet (log-in, password reset, e-mail change, confirmation)."
	huma.Register(api, pw, func(ctx context.Context, in *passwordInput) (*okOutput, error) {
		b := in.Body
		if !b.Password.Set {
			return nil, ErrBadRequest
		}
		if !b.Password.Valid {
			return nil, invalidField("password")
		}
		var confirmation *string
		if b.PasswordConfirmation.Set {
			if !b.PasswordConfirmation.Valid {
				return nil, invalidField("password_confirmation")
			}
			confirmation = &b.PasswordConfirmation.Value
		}
		u := CurrentUser(ctx)
		if err := svc.ChangePassword(ctx, u.ID, b.CurrentPassword.Value, b.Password.Value, confirmation, ""); err != nil {
			return nil, s.meError(mePassword, err)
		}
		out := &okOutput{}
		out.Body.OK, out.Body.ID = true, u.ID
		return out, nil
	})

	dn := lax(Op(http.MethodPatch, "/api/v1/me/display_name", meDisplayName, "Change the current user's display name", "Users", AuthBearer))
	dn.Description = "400 invalid_data for a name that breaks the rules; 422 {\"error\":\"invalid_data\",\"errors\":{\"display_name\":[\"" +
		auth.MsgUnsafeName + "\"]}} for one holding control (terminal escapes included), bidirectional-override or zero-width characters (API.md §13-25)."
	huma.Register(api, dn,
		func(ctx context.Context, in *displayNameInput) (*displayNameOutput, error) {
			f := in.Body.DisplayName
			if !f.Set {
				return nil, ErrBadRequest
			}
			if !f.Valid {
				return nil, invalidField("display_name")
			}
			u := CurrentUser(ctx)
			row, err := profiles.Update(ctx, u.ID, user.Changes{DisplayName: &f.Value, Privileged: u.IsAdmin})
			if err != nil {
				return nil, s.meError(meDisplayName, err)
			}
			out := &displayNameOutput{}
			out.Body.OK, out.Body.ID, out.Body.DisplayName = true, row.ID, row.DisplayName
			return out, nil
		})

	un := lax(Op(http.MethodPatch, "/api/v1/me/username", meUsername, "Change the current user's username", "Users", AuthBearer))
	un.Description = "400 invalid_data for a username that breaks the rules or is taken; 422 {\"error\":\"invalid_data\",\"errors\":{\"username\":[\"" +
		auth.MsgReservedUsername + "\"]}} for a reserved username (admin, administrator, root, system, support, moderator, mod, gamend, staff, " +
		"official, security, help, null, undefined, server, api; compared lower-cased and without . _ -), which only administrators may take, " +
		"and 422 for one holding control, bidirectional-override or zero-width characters (API.md §13-25)."
	huma.Register(api, un,
		func(ctx context.Context, in *usernameInput) (*usernameOutput, error) {
			f := in.Body.Username
			if !f.Set {
				return nil, ErrBadRequest
			}
			if !f.Valid {
				return nil, invalidField("username")
			}
			u := CurrentUser(ctx)
			row, err := profiles.Update(ctx, u.ID, user.Changes{Username: &f.Value, Privileged: u.IsAdmin})
			if err != nil {
				return nil, s.meError(meUsername, err)
			}
			out := &usernameOutput{}
			out.Body.OK, out.Body.ID, out.Body.Username = true, row.ID, row.Username
			return out, nil
		})

	huma.Register(api, lax(Op(http.MethodPost, "/api/v1/me/device", meLinkDevice, "Link a device id to the current user", "Users", AuthBearer)),
		func(ctx context.Context, in *deviceLinkInput) (*EmptyOutput, error) {
			if in.Body == nil || !in.Body.DeviceID.Valid || in.Body.DeviceID.Value == "" {
				return nil, ErrCode(http.StatusBadRequest, "device_id is required")
			}
			if err := svc.LinkDevice(ctx, CurrentUser(ctx).ID, in.Body.DeviceID.Value); err != nil {
				return nil, s.meError(meLinkDevice, err)
			}
			return &EmptyOutput{}, nil
		})

	huma.Register(api, Op(http.MethodDelete, "/api/v1/me/device", meUnlinkDevice, "Unlink the current user's device id", "Users", AuthBearer),
		func(ctx context.Context, _ *struct{}) (*EmptyOutput, error) {
			if err := svc.UnlinkDevice(ctx, CurrentUser(ctx).ID); err != nil {
				return nil, s.meError(meUnlinkDevice, err)
			}
			return &EmptyOutput{}, nil
		})

	unlink := Op(http.MethodDelete, "/api/v1/me/providers/{provider}", meUnlinkProvider, "Unlink an OAuth provider from the current user", "Users", AuthBearer)
	unlink.SkipValidateParams = true // an unknown provider is the contract's 400, not a 422
	huma.Register(api, unlink, func(ctx context.Context, in *providerPath) (*EmptyOutput, error) {
		if err := svc.UnlinkProvider(ctx, CurrentUser(ctx).ID, in.Provider); err != nil {
			return nil, s.meError(meUnlinkProvider, err)
		}
		return &EmptyOutput{}, nil
	})
}
