package rest

import (
	"encoding/json"
	"errors"
	"net/http"
	"regexp"
	"strings"

	"github.com/danielgtaylor/huma/v2"
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
	}
	fields := FieldErrors{}
	for _, e := range errs {
		var d *huma.ErrorDetail
		switch {
		case errors.As(e, &d):
			if f, ok := unmarshalField(d.Message); ok {
				fields.Add(f, "is invalid")
				continue
			}
			fields.Add(fieldName(d.Location), d.Message)
		case e != nil:
			if f, ok := unmarshalField(e.Error()); ok {
				fields.Add(f, "is invalid")
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

var structFieldRE = regexp.MustCompile(`Go struct field (\S*) of type`)

// unmarshalField extracts the JSON field of an encoding/json type error
// ("cannot unmarshal string into Go struct field .metadata of type …").
func unmarshalField(msg string) (string, bool) {
	m := structFieldRE.FindStringSubmatch(msg)
	if m == nil {
		return "", false
	}
	f := m[1]
	if i := strings.LastIndexByte(f, '.'); i >= 0 {
		f = f[i+1:]
	}
	if f == "" {
		return "body", true
	}
	return f, true
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

func init() {
	huma.NewError = frameworkError
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
