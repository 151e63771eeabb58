package rest

import (
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"net/http"
	"regexp"
	"strings"

	"github.com/danielgtaylor/huma/v2"
	"github.com/gofiber/fiber/v2"
)

// Error is an HTTP error with the exact JSON body the contract specifies for
// it (API.md §1.3): upstream has no single envelope, so the body is free.
// It implements huma.StatusError, so handlers simply return it.
type Error struct {
	Status int
	Body   any
}

func (e *Error) Error() string {
	b, _ := json.Marshal(e.Body)
	return http.StatusText(e.Status) + ": " + string(b)
}

// GetStatus implements huma.StatusError.
func (e *Error) GetStatus() int { return e.Status }

// MarshalJSON writes the contract body.
func (e *Error) MarshalJSON() ([]byte, error) { return json.Marshal(e.Body) }

// ContentType keeps errors application/json (not problem+json).
func (e *Error) ContentType(string) string { return "application/json" }

// ErrCode is the default domain error body {"error":"<code>"}.
func ErrCode(status int, code string) *Error {
	return &Error{Status: status, Body: map[string]any{"error": code}}
}

// ErrMessage is {"error":"<code>","message":"<text>"}.
func ErrMessage(status int, code, message string) *Error {
	return &Error{Status: status, Body: map[string]any{"error": code, "message": message}}
}

// FieldErrors maps field names to human messages, e.g.
// {"email":["can't be blank"]}.
type FieldErrors map[string][]string

// Add appends a message for field and returns the map.
func (f FieldErrors) Add(field, msg string) FieldErrors {
	f[field] = append(f[field], msg)
	return f
}

// ErrFields is {"error":"<code>","errors":{field:[msg]}} (invalid_data,
// validation_failed).
func ErrFields(status int, code string, fields FieldErrors) *Error {
	return &Error{Status: status, Body: map[string]any{"error": code, "errors": fields}}
}

// ErrDetails is {"error":"<code>","details":<details>}.
func ErrDetails(status int, code string, details any) *Error {
	return &Error{Status: status, Body: map[string]any{"error": code, "details": details}}
}

// ErrChangeset is {"error":{field:[msg]}} (lobby/party/group changesets).
func ErrChangeset(status int, fields FieldErrors) *Error {
	return &Error{Status: status, Body: map[string]any{"error": fields}}
}

// ErrDetail is the framework shape {"errors":{"detail":"<text>"}}.
func ErrDetail(status int) *Error {
	return &Error{Status: status, Body: map[string]any{"errors": map[string]string{"detail": http.StatusText(status)}}}
}

// ErrRequired is the answer to a missing required parameter:
// 400 {"error":"<field>_required","message":"<field> is required"} (API.md
// §4 allows it in place of the framework's {"errors":{"detail":"Bad
// Request"}}).
func ErrRequired(field string) *Error {
	return ErrMessage(http.StatusBadRequest, field+"_required", field+" is required")
}

// Auth failure bodies (API.md §1.4).
var (
	ErrAuthRequired = ErrCode(http.StatusUnauthorized, "Authentication required")
	ErrInvalidToken = ErrCode(http.StatusUnauthorized, "Invalid authentication token")
	ErrAuthFailed   = ErrCode(http.StatusUnauthorized, "Failed.")
	ErrForbidden    = ErrCode(http.StatusForbidden, "forbidden")
	ErrTooMany      = ErrCode(http.StatusTooManyRequests, "Too Many Requests")
	ErrNotFound     = ErrDetail(http.StatusNotFound)
	ErrBadRequest   = ErrDetail(http.StatusBadRequest)
	ErrInternal     = ErrDetail(http.StatusInternalServerError)
	ErrTooLarge     = ErrMessage(http.StatusRequestEntityTooLarge, "request_too_large", "request body exceeds the size limit")
	ErrNotAccept    = ErrDetail(http.StatusNotAcceptable)
	ErrNULInput     = ErrMessage(http.StatusBadRequest, "invalid_input", "NUL characters are not allowed")
	// ErrProviderNotConfigured answers every route of an OAuth provider (or
	// flow) whose credentials the operator did not set: a choice of the
	// operator, not a server error (API.md §13-23).
	ErrProviderNotConfigured = ErrCode(http.StatusNotFound, "provider_not_configured")
	// ErrUnsupportedType answers a request body of a media type the API
	// does not read (API.md §1.2: JSON, url-encoded and multipart forms).
	ErrUnsupportedType = ErrMessage(http.StatusUnsupportedMediaType, "unsupported_media_type",
		"request bodies are application/json, application/x-www-form-urlencoded or multipart/form-data")
	// ErrUnsupportedEncoding answers a body whose Content-Encoding is not
	// one of gzip, deflate or br, or lists more than one (API.md §1.2).
	ErrUnsupportedEncoding = ErrMessage(http.StatusUnsupportedMediaType, "unsupported_content_encoding",
		"Content-Encoding must be one of gzip, deflate or br, applied once")
	// ErrBadEncoding answers a body that does not decode with the
	// Content-Encoding it names (corrupt or truncated).
	ErrBadEncoding = ErrMessage(http.StatusBadRequest, "invalid_content_encoding",
		"request body does not decode with its Content-Encoding")
)

// frameworkError turns huma's own errors (unparsable bodies, schema
// validation, content negotiation) into contract bodies that name the
// offending field: 400 {"error":"invalid_json","message":…} for a body that
// is not JSON, 422 {"error":"validation_failed","errors":{field:[msg]}} for
// schema violations. Raw bodies are never echoed back.
func frameworkError(status int, msg string, errs ...error) huma.StatusError {
	switch status {
	case http.StatusRequestEntityTooLarge:
		return ErrTooLarge
	case http.StatusNotAcceptable:
		return ErrNotAccept
	case http.StatusInternalServerError:
		return ErrInternal
	case http.StatusUnsupportedMediaType:
		return ErrUnsupportedType
	}
	fields := FieldErrors{}
	for _, e := range errs {
		var d *huma.ErrorDetail
		switch {
		case errors.As(e, &d):
			if f, msg, ok := unmarshalError(d.Message); ok {
				fields.Add(f, msg)
				continue
			}
			f := fieldName(d.Location)
			if m := requiredRE.FindStringSubmatch(d.Message); m != nil {
				// huma reports a missing property on its parent object
				// ("body"): report it on the property itself.
				if f == "body" {
					f = m[1]
				} else {
					f += "." + m[1]
				}
				fields.Add(f, "is required")
				continue
			}
			if f == "body" {
				if m, ok := topLevelMessages[d.Message]; ok {
					fields.Add(f, m) // huma's "expected object" for the body itself
					continue
				}
			}
			fields.Add(f, d.Message)
		case e != nil:
			if f, msg, ok := unmarshalError(e.Error()); ok {
				fields.Add(f, msg)
				continue
			}
			fields.Add("body", e.Error())
		}
	}
	if body, ok := fields["body"]; ok && len(fields) == 1 && (status == http.StatusBadRequest || isSyntaxError(body[0])) {
		return ErrMessage(http.StatusBadRequest, "invalid_json", "request body is not valid JSON: "+body[0])
	}
	if len(fields) > 0 {
		return ErrFields(status, "validation_failed", fields)
	}
	code := strings.ToLower(strings.ReplaceAll(http.StatusText(status), " ", "_"))
	return ErrMessage(status, code, msg)
}

// isSyntaxError recognizes encoding/json syntax errors (a body that is not
// JSON at all), as opposed to type errors of a field.
func isSyntaxError(msg string) bool {
	return strings.Contains(msg, "invalid character") || strings.Contains(msg, "unexpected end of JSON input") ||
		strings.Contains(msg, "looking for beginning of value")
}

var (
	requiredRE    = regexp.MustCompile(`^expected required property (\S+) to be present$`)
	structFieldRE = regexp.MustCompile(`Go struct field (\S*) of type`)
	goValueRE     = regexp.MustCompile(`cannot unmarshal \S+ into Go value of type (\S+)`)
)

// topLevelMessages rewrites huma's schema messages about the body itself.
var topLevelMessages = map[string]string{
	"expected object": "must be a JSON object",
	"expected array":  "must be a JSON array",
}

// unmarshalError turns an encoding/json type error into a field and a
// message free of Go type names: "cannot unmarshal string into Go struct
// field .metadata of type …" is {"metadata":["is invalid"]}, and "cannot
// unmarshal array into Go value of type struct { … }" (a body of the wrong
// top-level type) is {"body":["must be a JSON object"]}.
func unmarshalError(msg string) (field, text string, ok bool) {
	if m := structFieldRE.FindStringSubmatch(msg); m != nil {
		f := m[1]
		if i := strings.LastIndexByte(f, '.'); i >= 0 {
			f = f[i+1:]
		}
		if f == "" {
			f = "body"
		}
		return f, "is invalid", true
	}
	if m := goValueRE.FindStringSubmatch(msg); m != nil {
		return "body", "must be " + jsonKind(m[1]), true
	}
	return "", "", false
}

// jsonKind names the JSON value a Go type decodes from.
func jsonKind(goType string) string {
	goType = strings.TrimLeft(goType, "*")
	switch {
	case strings.HasPrefix(goType, "[]") || strings.HasPrefix(goType, "["):
		return "a JSON array"
	case goType == "string":
		return "a string"
	case goType == "bool":
		return "a boolean"
	case strings.HasPrefix(goType, "int") || strings.HasPrefix(goType, "uint") || strings.HasPrefix(goType, "float"):
		return "a number"
	}
	return "a JSON object" // structs, maps and named types
}

// fieldName turns huma locations ("body.email", "query.page",
// "body.items[0].name") into the field key clients see.
func fieldName(loc string) string {
	for _, p := range []string{"body.", "query.", "path.", "header."} {
		if strings.HasPrefix(loc, p) {
			return loc[len(p):]
		}
	}
	if loc == "" {
		return "body"
	}
	return loc
}

// contextError is huma.NewErrorWithContext: frameworkError, plus an error
// log line for 500s (a handler returned an error that is not a contract
// error). The client only ever sees the generic 500 body.
func contextError(ctx huma.Context, status int, msg string, errs ...error) huma.StatusError {
	if status == http.StatusInternalServerError {
		logInternal(ctx, msg, errs)
	}
	return frameworkError(status, msg, errs...)
}

// logInternal logs the cause of a 500 at error level, with the operation,
// route and request id when the context has them.
func logInternal(ctx huma.Context, msg string, errs []error) {
	log, reqCtx := slog.Default(), context.Background()
	args := []any{"err", errors.Join(errs...)}
	if ctx != nil {
		if c := ctx.Context(); c != nil {
			reqCtx = c
		}
		if op := ctx.Operation(); op != nil {
			args = append(args, "operation", op.OperationID)
		}
	}
	if c := fiberCtx(ctx); c != nil {
		if l, ok := c.Locals(localLogger).(*slog.Logger); ok {
			log = l
		}
		args = append(args, "method", c.Method(), "route", routePattern(c),
			"request_id", c.GetRespHeader(fiber.HeaderXRequestID))
	}
	log.ErrorContext(reqCtx, "HTTP handler failed: "+msg, args...)
}

// fiberCtx digs the fiber context out of a (possibly wrapped) huma context,
// or returns nil when ctx does not come from the fiber adapter.
func fiberCtx(ctx huma.Context) *fiber.Ctx {
	for ctx != nil {
		switch c := ctx.(type) {
		case interface{ Unwrap() *fiber.Ctx }:
			return c.Unwrap()
		case interface{ Unwrap() huma.Context }:
			ctx = c.Unwrap()
		default:
			return nil
		}
	}
	return nil
}

func init() {
	huma.NewError = frameworkError
	huma.NewErrorWithContext = contextError
}

// Schema documents the error bodies in the OpenAPI document: an object whose
// "error" is a code string (or a field-error object for changesets), with an
// optional "message", "errors" field map or "details".
func (e *Error) Schema(r huma.Registry) *huma.Schema {
	fieldMap := &huma.Schema{Type: huma.TypeObject, AdditionalProperties: &huma.Schema{Type: huma.TypeArray, Items: &huma.Schema{Type: huma.TypeString}}}
	return &huma.Schema{
		Type:        huma.TypeObject,
		Description: "Error body. `error` is a machine-readable code (or, for lobby/party/group changesets, a field-error map); see API.md §1.3.",
		Properties: map[string]*huma.Schema{
			"error":   {OneOf: []*huma.Schema{{Type: huma.TypeString}, fieldMap}, Examples: []any{"not_found"}},
			"message": {Type: huma.TypeString, Description: "human-readable explanation"},
			"errors":  {Description: "field errors, e.g. {\"email\":[\"can't be blank\"]}", AdditionalProperties: true, Type: huma.TypeObject},
			"details": {Description: "extra detail (string or object)"},
		},
	}
}
