package rest

import (
	"context"
	"errors"
	"net/http"
	"strings"

	"github.com/danielgtaylor/huma/v2"

	"github.com/gamend-go/gamend/actors/user"
	"github.com/gamend-go/gamend/auth"
	"github.com/gamend-go/gamend/persistence/users"
	"github.com/gamend-go/gamend/transport/views"
)

const (
	tagAdminUsers    = "Admin – Users"
	tagAdminSessions = "Admin – Sessions"
)

type adminUserListInput struct {
	PageQuery
	Q string `query:"q" doc:"substring of e-mail, username, display name, device id or provider id (case-insensitive); a user id matches exactly"`
}

type adminUserListOutput struct {
	Body List[views.AdminUser]
}

type adminUserOutput struct {
	Body struct {
		Data views.AdminUser `json:"data"`
	}
}

type adminUserPatchInput struct {
	ID   string `path:"id" doc:"user id (UUID)"`
	Body *struct {
		IsAdmin     *bool          `json:"is_admin,omitempty"`
		IsActivated *bool          `json:"is_activated,omitempty" doc:"activating an inactive account tells the user"`
		DisplayName *string        `json:"display_name,omitempty" doc:"at most LIMIT_MAX_DISPLAY_NAME (80) characters; no control, bidirectional-override or zero-width characters"`
		Username    *string        `json:"username,omitempty" doc:"Gamend-Go addition: lower-cased; the rules of PATCH /api/v1/me/username, but reserved usernames (admin, support, …) are allowed"`
		Metadata    map[string]any `json:"metadata,omitempty" doc:"replaces the whole map; at most LIMIT_MAX_METADATA_SIZE bytes of JSON"`
	}
}

type sessionIDPath struct {
	ID string `path:"id" doc:"session id (UUID)"`
}

type adminSessionListOutput struct {
	Body List[views.AdminSession]
}

var errAdminNotFound = ErrCode(http.StatusNotFound, "not_found")

// adminUserError maps the failures of the admin user and session routes.
func (s *Server) adminUserError(op string, err error) error {
	var (
		verr    *user.ValidationError
		refused *user.RefusedNameError
		rej     *user.RejectedError
	)
	switch {
	case errors.Is(err, user.ErrNotFound), errors.Is(err, auth.ErrNotFound):
		return errAdminNotFound
	case errors.As(err, &verr):
		return ErrFields(http.StatusUnprocessableEntity, "validation_failed", FieldErrors(verr.Fields))
	case errors.As(err, &refused):
		return ErrFields(http.StatusUnprocessableEntity, "validation_failed", FieldErrors(refused.Fields))
	case errors.As(err, &rej):
		return ErrFields(http.StatusUnprocessableEntity, "validation_failed", FieldErrors{"base": {rej.Reason}})
	case errors.Is(err, user.ErrDeleteRefused):
		s.log.Warn("account deletion refused", "op", op, "err", err)
		return ErrCode(http.StatusBadRequest, "Failed to delete account")
	}
	s.log.Error("request failed", "op", op, "err", err)
	return ErrInternal
}

// adminUserID validates a user id path parameter: anything that is not a
// UUID cannot name a user (404).
func adminUserID(id string) (string, error) {
	if !validUUID(id) {
		return "", errAdminNotFound
	}
	return strings.ToLower(id), nil
}

func adminUsers(rows []*users.Row) []views.AdminUser {
	out := make([]views.AdminUser, len(rows))
	for i, r := range rows {
		out[i] = views.NewAdminUser(r)
	}
	return out
}

func adminUserBody(r *users.Row) *adminUserOutput {
	out := &adminUserOutput{}
	out.Body.Data = views.NewAdminUser(r)
	return out
}

// MountAdminUsers registers the user and session routes of the admin API
// (API.md §4.15), plus Gamend-Go's user list/search, user lookup and "revoke
// all tokens".
func (s *Server) MountAdminUsers(svc *auth.Service, profiles *user.Profiles) {
	api := s.API
	maxPage := s.opts.MaxPageSize

	list := Op(http.MethodGet, "/api/v1/admin/users", "admin_list_users", "List and search users (admin)", tagAdminUsers, AuthAdmin)
	list.Description = "Gamend-Go addition. Newest accounts first."
	huma.Register(api, list, func(ctx context.Context, in *adminUserListInput) (*adminUserListOutput, error) {
		p := in.Page(maxPage)
		rows, total, err := profiles.List(ctx, user.ListQuery{Q: in.Q, Limit: p.PageSize, Offset: p.Offset()})
		if err != nil {
			return nil, s.adminUserError("admin_list_users", err)
		}
		return &adminUserListOutput{Body: List[views.AdminUser]{Data: adminUsers(rows), Meta: NewMeta(p, len(rows), total, false)}}, nil
	})

	get := Op(http.MethodGet, "/api/v1/admin/users/{id}", "admin_get_user", "Get a user (admin)", tagAdminUsers, AuthAdmin)
	get.Description = "Gamend-Go addition."
	huma.Register(api, get, func(ctx context.Context, in *userIDPath) (*adminUserOutput, error) {
		id, err := adminUserID(in.ID)
		if err != nil {
			return nil, err
		}
		row, err := profiles.Get(ctx, id)
		if err != nil {
			return nil, s.adminUserError("admin_get_user", err)
		}
		return adminUserBody(row), nil
	})

	patch := Op(http.MethodPatch, "/api/v1/admin/users/{id}", "admin_update_user", "Update a user (admin)", tagAdminUsers, AuthAdmin)
	patch.Description = "422 validation_failed names each invalid field. A display name or username holding control, " +
		"bidirectional-override or zero-width characters is refused (\"must not contain control, bidirectional-override or zero-width characters\"). " +
		"`username` is a Gamend-Go addition; an administrator may give a reserved username (admin, administrator, root, system, support, " +
		"moderator, mod, gamend, staff, official, security, help, null, undefined, server, api)."
	huma.Register(api, patch,
		func(ctx context.Context, in *adminUserPatchInput) (*adminUserOutput, error) {
			id, err := adminUserID(in.ID)
			if err != nil {
				return nil, err
			}
			var ch user.Changes
			if b := in.Body; b != nil {
				ch = user.Changes{IsAdmin: b.IsAdmin, IsActivated: b.IsActivated, DisplayName: b.DisplayName, Username: b.Username, Metadata: b.Metadata}
			}
			ch.Privileged = true
			row, err := profiles.Update(ctx, id, ch)
			if err != nil {
				return nil, s.adminUserError("admin_update_user", err)
			}
			return adminUserBody(row), nil
		})

	huma.Register(api, Op(http.MethodDelete, "/api/v1/admin/users/{id}", "admin_delete_user", "Delete a user (admin)", tagAdminUsers, AuthAdmin),
		func(ctx context.Context, in *userIDPath) (*EmptyOutput, error) {
			id, err := adminUserID(in.ID)
			if err != nil {
				return nil, err
			}
			if err := profiles.Delete(ctx, id); err != nil {
				return nil, s.adminUserError("admin_delete_user", err)
			}
			return &EmptyOutput{}, nil
		})

	revoke := Op(http.MethodPost, "/api/v1/admin/users/{id}/revoke_tokens", "admin_revoke_user_tokens", "Revoke every token of a user (admin)", tagAdminUsers, AuthAdmin)
	revoke.Description = "Gamend-Go addition. Bumps the user's token version: every access and refresh token issued before stops working (401 Failed.). Browser sessions are not affected (see DELETE /api/v1/admin/users/{id}/sessions)."
	huma.Register(api, revoke, func(ctx context.Context, in *userIDPath) (*EmptyOutput, error) {
		id, err := adminUserID(in.ID)
		if err != nil {
			return nil, err
		}
		if err := svc.RevokeAllTokens(ctx, id); err != nil {
			return nil, s.adminUserError("admin_revoke_user_tokens", err)
		}
		return &EmptyOutput{}, nil
	})

	huma.Register(api, Op(http.MethodDelete, "/api/v1/admin/users/{id}/sessions", "admin_delete_user_sessions", "Delete a user's browser sessions (admin)", tagAdminSessions, AuthAdmin),
		func(ctx context.Context, in *userIDPath) (*EmptyOutput, error) {
			if _, err := svc.DeleteUserSessions(ctx, strings.ToLower(in.ID)); err != nil {
				return nil, s.adminUserError("admin_delete_user_sessions", err)
			}
			return &EmptyOutput{}, nil
		})

	huma.Register(api, Op(http.MethodGet, "/api/v1/admin/sessions", "admin_list_sessions", "List browser sessions (admin)", tagAdminSessions, AuthAdmin),
		func(ctx context.Context, in *PageQuery) (*adminSessionListOutput, error) {
			p := in.Page(maxPage)
			list, total, err := svc.ListSessions(ctx, p.PageSize, p.Offset())
			if err != nil {
				return nil, s.adminUserError("admin_list_sessions", err)
			}
			data := make([]views.AdminSession, len(list))
			for i, si := range list {
				data[i] = views.NewAdminSession(si)
			}
			return &adminSessionListOutput{Body: List[views.AdminSession]{Data: data, Meta: NewMeta(p, len(list), total, false)}}, nil
		})

	huma.Register(api, Op(http.MethodDelete, "/api/v1/admin/sessions/{id}", "admin_delete_session", "Delete a browser session (admin)", tagAdminSessions, AuthAdmin),
		func(ctx context.Context, in *sessionIDPath) (*EmptyOutput, error) {
			if err := svc.DeleteSession(ctx, strings.ToLower(in.ID)); err != nil {
				return nil, s.adminUserError("admin_delete_session", err)
			}
			return &EmptyOutput{}, nil
		})
}
