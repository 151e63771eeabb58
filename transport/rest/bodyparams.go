package rest

import (
	"bytes"
	"encoding/json"
	"mime"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"github.com/danielgtaylor/huma/v2"
	"github.com/gofiber/fiber/v2"
)

// Request parameters (API.md §1.2): bodies are JSON, but url-encoded and
// multipart form bodies are parsed too, and query-string parameters are
// merged with the body, so a client may send a field either way. bodyParams
// does this once, at the edge, for every operation with a JSON object body:
// before huma reads and validates the body it rewrites the request into the
// JSON object the handler expects.
//
//   - A JSON body (or no Content-Type) is kept as is. Query parameters named
//     like a body property, and not declared as query parameters of the
//     operation, are added to it; a value in the body wins over the query.
//   - A form body (application/x-www-form-urlencoded or multipart/form-data)
//     becomes a JSON object of its fields (files are ignored), with the query
//     merged the same way; again the body wins.
//   - An operation whose body is required gets {} when the request has no
//     body and no matching query parameter, so a missing field is reported
//     by name (400 {"error":"<field>_required"} or a 422 field error) rather
//     than as a missing body.
//
// Form and query values are strings; they are converted by the type the
// body schema gives the property: "integer" and "number" parse as decimal
// numbers, "boolean" accepts true/false, 1/0 and on/off (an HTML checkbox),
// "array" collects every value of the field (name or name[]), and "object"
// takes a JSON object text. A value that does not convert stays a string,
// so validation names the field ("expected integer"). Fields that are not
// body properties are passed as strings (validation rejects unknown ones,
// as it does in JSON); query parameters that are not body properties are
// left to the query.
//
// Before any of this, a compressed body is decoded (DecodeBody: one
// encoding, 415 otherwise; the server's 1 MiB limit applies to the decoded
// body, 413) and a NUL character in the plain body is refused (400
// invalid_input). This runs after the operation's auth check, so a request
// it refuses never has its body decoded. A JSON body that is not valid JSON
// is left for huma to report (400 invalid_json).
func (s *Server) bodyParams(ctx huma.Context, next func(huma.Context)) {
	op := ctx.Operation()
	c := fiberCtx(ctx)
	if op == nil || c == nil || op.RequestBody == nil {
		next(ctx) // no body is read: it is never decoded
		return
	}
	if err := DecodeBody(c); err != nil {
		_ = writeError(c, err)
		return
	}
	if bodyHasNUL(c.Request()) {
		_ = writeError(c, ErrNULInput)
		return
	}
	info := s.bodyInfo(op)
	if info == nil {
		next(ctx)
		return
	}
	body, rewrite, err := info.requestObject(c)
	if err != nil {
		_ = writeError(c, err)
		return
	}
	if rewrite {
		if jsonHasNUL(body) { // multipart values are not scanned at the fiber edge
			_ = writeError(c, ErrNULInput)
			return
		}
		req := c.Request()
		req.Header.SetContentType(fiber.MIMEApplicationJSON)
		req.SetBody(body)
	}
	next(ctx)
}

// bodyInfo is what bodyParams needs to know about an operation's body.
type bodyInfo struct {
	props    map[string]*huma.Schema // body properties, $refs resolved
	required []string                // required properties, in field order
	bodyReq  bool                    // the operation requires a body
	queryOps map[string]bool         // names declared as query parameters
}

// bodyInfo returns (and caches) the body description of op, or nil when op
// has no JSON object body to fill.
func (s *Server) bodyInfo(op *huma.Operation) *bodyInfo {
	if v, ok := s.bodies.Load(op); ok {
		info, _ := v.(*bodyInfo)
		return info
	}
	info := s.describeBody(op)
	s.bodies.Store(op, info)
	return info
}

func (s *Server) describeBody(op *huma.Operation) *bodyInfo {
	if op.RequestBody == nil || s.API == nil {
		return nil
	}
	for ct := range op.RequestBody.Content {
		if ct == fiber.MIMEApplicationForm || ct == fiber.MIMEMultipartForm {
			return nil // the operation reads forms itself
		}
	}
	mt := op.RequestBody.Content["application/json"]
	if mt == nil || mt.Schema == nil {
		return nil
	}
	reg := s.API.OpenAPI().Components.Schemas
	schema := resolveSchema(reg, mt.Schema)
	if schema == nil || schema.Type != huma.TypeObject {
		return nil
	}
	info := &bodyInfo{props: map[string]*huma.Schema{}, required: schema.Required, bodyReq: op.RequestBody.Required, queryOps: map[string]bool{}}
	for name, p := range schema.Properties {
		info.props[name] = resolveSchema(reg, p)
	}
	for _, p := range op.Parameters {
		if p != nil && p.In == "query" {
			info.queryOps[p.Name] = true
		}
	}
	return info
}

func resolveSchema(reg huma.Registry, sc *huma.Schema) *huma.Schema {
	for i := 0; sc != nil && sc.Ref != "" && i < 8; i++ {
		sc = reg.SchemaFromRef(sc.Ref)
	}
	return sc
}

// The content types bodyParams rewrites.
const (
	bodyJSON = iota
	bodyURLEncoded
	bodyMultipart
	bodyUnknown
)

func requestBodyType(contentType string) int {
	if contentType == "" || contentType == fiber.MIMEApplicationJSON || contentType == fiber.MIMEApplicationJSONCharsetUTF8 {
		return bodyJSON // the common cases, without parsing
	}
	if strings.TrimSpace(contentType) == "" {
		return bodyJSON
	}
	mt, _, err := mime.ParseMediaType(contentType)
	if err != nil {
		return bodyUnknown
	}
	switch {
	case mt == fiber.MIMEApplicationJSON || strings.HasSuffix(mt, "+json"):
		return bodyJSON
	case mt == fiber.MIMEApplicationForm:
		return bodyURLEncoded
	case mt == fiber.MIMEMultipartForm:
		return bodyMultipart
	}
	return bodyUnknown
}

var errInvalidForm = ErrMessage(http.StatusBadRequest, "invalid_form", "request body is not a valid form")

// requestObject builds the JSON body for c; rewrite is false when the
// request body should be left as it is.
func (b *bodyInfo) requestObject(c *fiber.Ctx) (body []byte, rewrite bool, err *Error) {
	query := b.queryValues(c)
	switch requestBodyType(string(c.Request().Header.ContentType())) {
	case bodyURLEncoded:
		form, perr := url.ParseQuery(string(c.Body()))
		if perr != nil {
			return nil, false, errInvalidForm
		}
		return b.fromForm(form, query), true, nil
	case bodyMultipart:
		mf, perr := c.MultipartForm()
		if perr != nil {
			return nil, false, errInvalidForm
		}
		return b.fromForm(mf.Value, query), true, nil
	case bodyJSON:
		raw := bytes.TrimSpace(c.Body())
		if len(raw) == 0 {
			if len(query) == 0 && !b.bodyReq {
				return nil, false, nil
			}
			return b.fromForm(nil, query), true, nil
		}
		if len(query) == 0 || raw[0] != '{' {
			return nil, false, nil
		}
		var obj map[string]json.RawMessage
		if json.Unmarshal(raw, &obj) != nil {
			return nil, false, nil // invalid JSON: huma answers 400 invalid_json
		}
		added := false
		for name, vals := range query {
			if _, ok := obj[name]; ok {
				continue // the body wins
			}
			v := marshalBody(b.convert(name, vals))
			obj[name] = v
			added = true
		}
		if !added {
			return nil, false, nil
		}
		return marshalBody(obj), true, nil
	}
	return nil, false, nil // huma answers unknown content types
}

// queryValues returns the query parameters that name body properties and
// are not the operation's own query parameters.
func (b *bodyInfo) queryValues(c *fiber.Ctx) url.Values {
	qs := c.Request().URI().QueryString()
	if len(qs) == 0 {
		return nil
	}
	all, _ := url.ParseQuery(string(qs)) // keep what parses
	var out url.Values
	for name, vals := range all {
		prop := b.propName(name)
		if prop == "" || b.queryOps[name] || b.queryOps[prop] {
			continue
		}
		if out == nil {
			out = url.Values{}
		}
		out[prop] = append(out[prop], vals...)
	}
	return out
}

// propName maps a form or query field name to the body property it sets:
// name itself, or name without a trailing "[]" for an array property; ""
// when it names no property.
func (b *bodyInfo) propName(name string) string {
	if _, ok := b.props[name]; ok {
		return name
	}
	if base, ok := strings.CutSuffix(name, "[]"); ok {
		if p := b.props[base]; p != nil && p.Type == huma.TypeArray {
			return base
		}
	}
	return ""
}

// fromForm builds the JSON object of form fields merged over query.
func (b *bodyInfo) fromForm(form, query url.Values) []byte {
	fields := url.Values{}
	for name, vals := range form {
		prop := b.propName(name)
		if prop == "" {
			prop = name // not a property: validation decides
		}
		fields[prop] = append(fields[prop], vals...)
	}
	for name, vals := range query {
		if _, ok := fields[name]; !ok { // the body wins
			fields[name] = vals
		}
	}
	obj := make(map[string]any, len(fields))
	for name, vals := range fields {
		obj[name] = b.convert(name, vals)
	}
	return marshalBody(obj)
}

// marshalBody encodes a rewritten body without HTML escaping: json.Marshal
// would turn each <, > or & of a form value into six bytes, and a body
// under the edge's size limit could grow past the operation's.
func marshalBody(v any) []byte {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	_ = enc.Encode(v)
	return bytes.TrimSuffix(buf.Bytes(), []byte("\n"))
}

// convert turns the string values of a form or query field into the JSON
// value its schema type asks for.
func (b *bodyInfo) convert(name string, vals []string) any {
	p := b.props[name]
	if p == nil {
		return last(vals)
	}
	if p.Type == huma.TypeArray {
		items := make([]any, len(vals))
		for i, v := range vals {
			items[i] = scalar(p.Items, v)
		}
		return items
	}
	return scalar(p, last(vals))
}

func last(vals []string) string {
	if len(vals) == 0 {
		return ""
	}
	return vals[len(vals)-1]
}

// scalar converts one string by the schema's type; a value that does not
// convert is returned as the string, for validation to report.
func scalar(p *huma.Schema, v string) any {
	if p == nil {
		return v
	}
	switch p.Type {
	case huma.TypeInteger:
		if n, err := strconv.ParseInt(strings.TrimSpace(v), 10, 64); err == nil {
			return n
		}
	case huma.TypeNumber:
		if f, err := strconv.ParseFloat(strings.TrimSpace(v), 64); err == nil {
			return f
		}
	case huma.TypeBoolean:
		switch strings.ToLower(strings.TrimSpace(v)) {
		case "true", "1", "on":
			return true
		case "false", "0", "off":
			return false
		}
	case huma.TypeObject:
		var obj map[string]any
		if json.Unmarshal([]byte(v), &obj) == nil && obj != nil {
			return obj
		}
	}
	return v
}

// nameMissingField is a huma transformer: when a handler answers the
// framework's generic 400 ({"errors":{"detail":"Bad Request"}}, which
// handlers return for a missing required parameter) and a required body
// property is absent, null or empty, the answer names it instead:
// 400 {"error":"<field>_required","message":"<field> is required"}
// (API.md §4: any 400 is compatible). Handlers with a contract body of
// their own for a missing field (POST /refresh) return that body and are
// left alone.
func (s *Server) nameMissingField(ctx huma.Context, status string, v any) (any, error) {
	if e, ok := v.(*Error); !ok || e != ErrBadRequest {
		return v, nil
	}
	op := ctx.Operation()
	c := fiberCtx(ctx)
	if op == nil || c == nil {
		return v, nil
	}
	info := s.bodyInfo(op)
	if info == nil || len(info.required) == 0 {
		return v, nil
	}
	var obj map[string]json.RawMessage
	if raw := bytes.TrimSpace(c.Body()); len(raw) > 0 && json.Unmarshal(raw, &obj) != nil {
		return v, nil
	}
	if f := missingField(obj, info.required); f != "" {
		return ErrRequired(f), nil
	}
	return v, nil
}

// missingField is the first of required that obj lacks (absent or null),
// else the first that is an empty string, else "".
func missingField(obj map[string]json.RawMessage, required []string) string {
	for _, f := range required {
		if raw, ok := obj[f]; !ok || string(bytes.TrimSpace(raw)) == "null" {
			return f
		}
	}
	for _, f := range required {
		if string(bytes.TrimSpace(obj[f])) == `""` {
			return f
		}
	}
	return ""
}
