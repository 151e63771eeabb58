package rest

import (
	"context"
	"errors"
	"net/http"
	"strings"

	"github.com/danielgtaylor/huma/v2"

	"github.com/gamend-go/gamend/actors/user"
	"github.com/gamend-go/gamend/persistence/users"
	"github.com/gamend-go/gamend/transport/views"
)

type userSearchInput struct {
	PageQuery
	Q string `query:"q" doc:"case-insensitive prefix of a display name or username; a user id finds that user first"`
}

type userListOutput struct {
	Body List[views.UserPublic]
}

type userOutput struct {
	Body views.UserPublic
}

type userIDPath struct {
	ID string `path:"id" doc:"user id (UUID)"`
}

// gated wraps op so that it answers 404 text/plain "Not Found" while
// enabled() is false (feature gates such as LIST_USERS_ENABLED, read per
// request).
func gated(op huma.Operation, enabled func() bool) huma.Operation {
	if enabled == nil {
		return op
	}
	op.Middlewares = append(op.Middlewares, func(ctx huma.Context, next func(huma.Context)) {
		if enabled() {
			next(ctx)
			return
		}
		ctx.SetHeader("Content-Type", "text/plain; charset=utf-8")
		ctx.SetStatus(http.StatusNotFound)
		_, _ = ctx.BodyWriter().Write([]byte("Not Found"))
	})
	return op
}

func publicUsers(rows []*users.Row) []views.UserPublic {
	out := make([]views.UserPublic, len(rows))
	for i, r := range rows {
		out[i] = views.NewUserPublic(r)
	}
	return out
}

// MountUsers registers the public user routes of API.md §4.4, behind the
// LIST_USERS_ENABLED gate (enabled is read per request; nil = always on).
// They never show e-mail, password hashes or provider ids: UserPublic has
// no field for them.
func (s *Server) MountUsers(profiles *user.Profiles, enabled func() bool) {
	api := s.API
	maxPage := s.opts.MaxPageSize

	huma.Register(api, gated(Op(http.MethodGet, "/api/v1/users", "search_users", "Search users by display name, username or id", "Users", AuthNone), enabled),
		func(ctx context.Context, in *userSearchInput) (*userListOutput, error) {
			p := in.Page(maxPage)
			rows, total, err := profiles.Search(ctx, in.Q, p.PageSize, p.Offset())
			if err != nil {
				s.log.Error("user search failed", "err", err)
				return nil, ErrInternal
			}
			return &userListOutput{Body: List[views.UserPublic]{Data: publicUsers(rows), Meta: NewMeta(p, len(rows), total, false)}}, nil
		})

	huma.Register(api, gated(Op(http.MethodGet, "/api/v1/users/{id}", "get_user", "Get a user by id", "Users", AuthNone), enabled),
		func(ctx context.Context, in *userIDPath) (*userOutput, error) {
			if !validUUID(in.ID) {
				return nil, ErrCode(http.StatusBadRequest, "invalid_id")
			}
			row, err := profiles.Get(ctx, strings.ToLower(in.ID))
			switch {
			case errors.Is(err, user.ErrNotFound):
				return nil, ErrCode(http.StatusNotFound, "not_found")
			case err != nil:
				s.log.Error("user lookup failed", "err", err)
				return nil, ErrInternal
			}
			return &userOutput{Body: views.NewUserPublic(row)}, nil
		})
}
