package rest

import (
	"context"
	"errors"
	"strings"

	"github.com/danielgtaylor/huma/v2"

	"github.com/gamend-go/gamend/auth"
	"github.com/gamend-go/gamend/persistence"
	"github.com/gamend-go/gamend/persistence/users"
)

// Auth levels of an operation (API.md legend), set with Operation
// Metadata["auth"].
const (
	AuthNone     = ""
	AuthOptional = "optional"
	AuthBearer   = "bearer"
	AuthAdmin    = "admin"
)

type userKey struct{}

// CurrentUser returns the authenticated user of the request, or nil.
func CurrentUser(ctx context.Context) *users.Row {
	u, _ := ctx.Value(userKey{}).(*users.Row)
	return u
}

// BearerToken extracts the token of an Authorization header: scheme
// "Bearer" case-insensitive, optionally followed by ':' (API.md §1.4).
func BearerToken(header string) (string, bool) {
	h := strings.TrimSpace(header)
	if len(h) < 6 || !strings.EqualFold(h[:6], "bearer") {
		return "", false
	}
	rest := strings.TrimPrefix(h[6:], ":")
	if rest == h[6:] && (rest == "" || (rest[0] != ' ' && rest[0] != '\t')) {
		return "", false // "Bearerxyz"
	}
	tok := strings.TrimSpace(rest)
	return tok, tok != ""
}

// authError maps auth.Authenticate failures to the §1.4 bodies.
func authError(err error) *Error {
	switch {
	case errors.Is(err, auth.ErrTokenRevoked):
		return ErrAuthFailed
	case errors.Is(err, auth.ErrTokenInvalid):
		return ErrInvalidToken
	}
	return nil
}

// authMiddleware enforces each operation's auth level before its handler
// runs and puts the user in the request context.
func (s *Server) authMiddleware(ctx huma.Context, next func(huma.Context)) {
	level, _ := ctx.Operation().Metadata["auth"].(string)
	if level == AuthNone {
		next(ctx)
		return
	}
	header := ctx.Header("Authorization")
	if header == "" {
		if level == AuthOptional {
			next(ctx)
			return
		}
		s.writeHuma(ctx, ErrAuthRequired)
		return
	}
	token, ok := BearerToken(header)
	if !ok || s.auth == nil {
		s.writeHuma(ctx, ErrInvalidToken)
		return
	}
	u, err := s.auth.Authenticate(ctx.Context(), token)
	if err != nil {
		if e := authError(err); e != nil {
			s.writeHuma(ctx, e)
			return
		}
		s.log.Error("authentication failed", "err", err)
		s.writeHuma(ctx, ErrInternal)
		return
	}
	if level == AuthAdmin && !u.IsAdmin {
		s.writeHuma(ctx, ErrForbidden)
		return
	}
	next(huma.WithValue(ctx, userKey{}, u))
}

// OptionalLinkUser reads a bearer access token on routes without the auth
// plug (OAuth): a valid access token returns its user (the call becomes a
// link); anything else returns nil and the call stays a login, never a 401.
func (s *Server) OptionalLinkUser(ctx context.Context, header string) *users.Row {
	token, ok := BearerToken(header)
	if !ok || s.auth == nil {
		return nil
	}
	u, err := s.auth.Authenticate(ctx, token)
	if err != nil {
		return nil
	}
	return u
}

func (s *Server) writeHuma(ctx huma.Context, e *Error) {
	ctx.SetHeader("Content-Type", "application/json")
	ctx.SetStatus(e.Status)
	b, _ := e.MarshalJSON()
	_, _ = ctx.BodyWriter().Write(b)
}

// Op builds an operation with the contract's conventions: operation id,
// tag, and auth level (which also documents the bearer security scheme).
func Op(method, path, id, summary, tag, authLevel string) huma.Operation {
	op := huma.Operation{
		OperationID: id,
		Method:      method,
		Path:        path,
		Summary:     summary,
		Tags:        []string{tag},
		Metadata:    map[string]any{"auth": authLevel},
	}
	if authLevel != AuthNone {
		op.Security = []map[string][]string{{"authorization": {}}}
	}
	if authLevel == AuthOptional {
		op.Security = append(op.Security, map[string][]string{})
	}
	return op
}

func validUUID(s string) bool { return persistence.ValidID(s) }
