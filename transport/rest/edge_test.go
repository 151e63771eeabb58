package rest_test

import (
	"fmt"
	"log/slog"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/gamend-go/gamend/config"
	"github.com/gamend-go/gamend/persistence/users"
	"github.com/gamend-go/gamend/transport/rest"
	"github.com/gamend-go/gamend/transport/rest/resttest"
)

const nulBody = `{"error":"invalid_input","message":"NUL characters are not allowed"}`

func gzipped(t *testing.T, s string) string { return string(resttest.Gzip(t, []byte(s))) }

// TestNULCharactersRejected: a NUL in any string input of an API request
// would make PostgreSQL fail (500); the edge answers 400 invalid_input
// instead, and only for real NULs (an escaped backslash followed by u0000
// is text).
func TestNULCharactersRejected(t *testing.T) {
	base := startServer(t, rest.Options{})
	tests := []struct {
		name, method, path, body string
		headers                  []string
		status                   int
		want                     string
	}{
		{"json escape", "POST", "/api/v1/test/text", `{"text":"a\u0000b"}`, nil, 400, nulBody},
		{"json escape in a key", "POST", "/api/v1/test/text", `{"te\u0000xt":"a"}`, nil, 400, nulBody},
		{"json escape after an escaped backslash", "POST", "/api/v1/test/text", `{"text":"a\\\u0000b"}`, nil, 400, nulBody},
		{"escaped backslash then u0000 is text", "POST", "/api/v1/test/text", `{"text":"a\\u0000b"}`, nil, 200, `{"name":"a\\u0000b"}`},
		{"two escaped backslashes then u0000 is text", "POST", "/api/v1/test/text", `{"text":"\\\\u0000"}`, nil, 200, `{"name":"\\\\u0000"}`},
		{"other escapes pass", "POST", "/api/v1/test/text", `{"text":"\u0001\n\"\u00e9"}`, nil, 200, `"name":`},
		{"raw NUL byte in the body", "POST", "/api/v1/test/text", "{\"text\":\"a\x00b\"}", nil, 400, nulBody},
		{"json media type suffix", "POST", "/api/v1/test/text", `{"text":"\u0000"}`, []string{"Content-Type", "application/vnd.api+json; charset=utf-8"}, 400, nulBody},
		{"gzip-encoded json", "POST", "/api/v1/test/text", gzipped(t, `{"text":"\u0000"}`), []string{"Content-Encoding", "gzip"}, 400, nulBody},
		{"url-encoded body", "POST", "/api/v1/test/text", "text=a%00b", []string{"Content-Type", "application/x-www-form-urlencoded"}, 400, nulBody},
		{"query value", "GET", "/api/v1/test/items/x?q=a%00b", "", nil, 400, nulBody},
		{"query key", "GET", "/api/v1/test/items/x?a%00=1", "", nil, 400, nulBody},
		{"path parameter", "GET", "/api/v1/test/items/a%00b", "", nil, 400, nulBody},
		{"encoded percent is text", "GET", "/api/v1/test/items/a%2500b?q=c%2500d", "", nil, 200, `{"name":"a%2500b|c%00d"}`},
		{"clean request", "GET", "/api/v1/test/items/x?q=y", "", nil, 200, `{"name":"x|y"}`},
		{"unknown api route", "GET", "/api/v1/nope?q=%00", "", nil, 400, nulBody},
		{"browser pages validate their own input", "GET", "/users/log-in/%00%ff?return_to=%00", "", nil, 404, `{"errors":{"detail":"Not Found"}}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := do(t, tt.method, base+tt.path, tt.body, tt.headers...)
			if r.status != tt.status || !strings.Contains(r.body, tt.want) {
				t.Fatalf("status %d body %s; want %d with %s", r.status, r.body, tt.status, tt.want)
			}
		})
	}
}

// TestWrongTopLevelBodyType: a body of the wrong JSON type is a clean
// field error, never encoding/json's message with Go type names.
func TestWrongTopLevelBodyType(t *testing.T) {
	base := startServer(t, rest.Options{})
	for _, path := range []string{"/api/v1/test/echo", "/api/v1/test/text"} {
		for _, body := range []string{`[]`, `[{"name":"a"}]`, `"text"`, `42`, `true`} {
			t.Run(path+" "+body, func(t *testing.T) {
				r := do(t, "POST", base+path, body)
				want := `{"error":"validation_failed","errors":{"body":["must be a JSON object"]}}`
				if r.status != 422 || strings.TrimSpace(r.body) != want {
					t.Fatalf("status %d body %s; want 422 %s", r.status, r.body, want)
				}
			})
		}
	}
	// A field of the wrong type still names the field.
	if r := do(t, "POST", base+"/api/v1/test/text", `{"text":[1]}`); r.status != 422 || strings.TrimSpace(r.body) != `{"error":"validation_failed","errors":{"text":["is invalid"]}}` {
		t.Fatalf("field type: %d %s", r.status, r.body)
	}
}

// TestInternalErrorIsLogged: an error that reaches huma as a 500 is logged
// with its cause and the request id; the client sees the generic body.
func TestInternalErrorIsLogged(t *testing.T) {
	logs := &resttest.Buffer{}
	base := startServer(t, rest.Options{Logger: slog.New(slog.NewJSONHandler(logs, nil))})
	r := do(t, "GET", base+"/api/v1/test/fail", "")
	if r.status != 500 || strings.TrimSpace(r.body) != `{"errors":{"detail":"Internal Server Error"}}` {
		t.Fatalf("500: %d %s", r.status, r.body)
	}
	reqID := r.header.Get("X-Request-Id")
	if reqID == "" {
		t.Fatal("no request id")
	}
	var line string
	for range 50 { // the access log is written after the answer
		for _, l := range strings.Split(logs.String(), "\n") {
			if strings.Contains(l, "db exploded") {
				line = l
			}
		}
		if line != "" {
			break
		}
		time.Sleep(10 * time.Millisecond)
	}
	for _, want := range []string{`"level":"ERROR"`, `"err":"db exploded: secret detail"`, `"request_id":"` + reqID + `"`, `"operation":"test_fail"`, `"route":"/api/v1/test/fail"`} {
		if !strings.Contains(line, want) {
			t.Errorf("log line %q lacks %s", line, want)
		}
	}
}

// TestErrorLogsOmitRawPath: e-mail link tokens travel in paths, so the
// panic-recovery log and the last-resort error log name the matched route
// pattern, never the raw path.
func TestErrorLogsOmitRawPath(t *testing.T) {
	logs := &resttest.Buffer{}
	base := startServer(t, rest.Options{Logger: slog.New(slog.NewJSONHandler(logs, nil))})
	const token = "SFMyNTY-secret-link-token"
	tests := []struct{ path, message, route string }{
		{"/api/v1/test/panic/" + token, "panic in HTTP handler", "/api/v1/test/panic/:token"},
		{"/test/fail/" + token, "unhandled HTTP error", "/test/fail/:token"},
	}
	for _, tt := range tests {
		r := do(t, "GET", base+tt.path, "")
		if r.status != 500 || strings.TrimSpace(r.body) != `{"errors":{"detail":"Internal Server Error"}}` {
			t.Fatalf("%s: %d %s", tt.path, r.status, r.body)
		}
		line := logLine(t, logs, tt.message)
		if !strings.Contains(line, `"route":"`+tt.route+`"`) || !strings.Contains(line, `"request_id":"`+r.header.Get("X-Request-Id")+`"`) {
			t.Errorf("log line %q lacks the route %s or the request id", line, tt.route)
		}
	}
	if strings.Contains(logs.String(), token) {
		t.Fatalf("the log holds the raw path:\n%s", logs.String())
	}
}

// logLine waits for the log line containing msg (error logs are written
// while the answer is sent) and returns it.
func logLine(t *testing.T, logs *resttest.Buffer, msg string) string {
	t.Helper()
	for range 100 {
		for _, l := range strings.Split(logs.String(), "\n") {
			if strings.Contains(l, msg) {
				return l
			}
		}
		time.Sleep(10 * time.Millisecond)
	}
	t.Fatalf("no log line %q in\n%s", msg, logs.String())
	return ""
}

// TestCORSOnlyOnAPI: the cookie-authenticated browser pages never answer
// CORS, whatever the Origin; the API and the socket endpoint do.
func TestCORSOnlyOnAPI(t *testing.T) {
	base := startServer(t, rest.Options{})
	for _, path := range []string{"/users/log-in", "/users/settings", "/admin", "/"} {
		r := do(t, "OPTIONS", base+path, "", "Origin", "https://evil.example", "Access-Control-Request-Method", "POST")
		g := do(t, "GET", base+path, "", "Origin", "https://evil.example")
		for _, h := range []http.Header{r.header, g.header} {
			for _, name := range []string{"Access-Control-Allow-Origin", "Access-Control-Allow-Credentials", "Access-Control-Expose-Headers", "Access-Control-Allow-Methods"} {
				if v := h.Get(name); v != "" {
					t.Errorf("%s: %s = %q", path, name, v)
				}
			}
		}
	}
	for _, path := range []string{"/api/v1/health", "/socket/websocket"} {
		r := do(t, "OPTIONS", base+path, "", "Origin", "https://game.example", "Access-Control-Request-Method", "GET")
		if r.status != 204 || r.header.Get("Access-Control-Allow-Origin") != "*" {
			t.Errorf("%s preflight: %d %v", path, r.status, r.header)
		}
	}
}

// TestCORSCredentials: without PHX_ALLOWED_ORIGINS (or with "*") the API
// answers every origin, "null" included, with "*" and never allows
// credentials, so a hostile page cannot make cookie- or auth-carrying
// requests read their answers; configured origins get their own origin
// back with credentials, and other origins get nothing.
func TestCORSCredentials(t *testing.T) {
	unset, _ := config.ParseOrigins("")
	star, _ := config.ParseOrigins("*")
	game, _ := config.ParseOrigins("https://game.example, regex:^https://[a-z]+\\.studio\\.example$")
	type want struct{ origin, credentials string }
	tests := []struct {
		name    string
		origins rest.OriginMatcher
		origin  string
		want    want
	}{
		{"no origins option: evil", nil, "https://evil.example", want{"*", ""}},
		{"no origins option: null", nil, "null", want{"*", ""}},
		{"unset: evil", unset, "https://evil.example", want{"*", ""}},
		{"unset: null", unset, "null", want{"*", ""}},
		{"star: evil", star, "https://evil.example", want{"*", ""}},
		{"configured: listed origin", game, "https://game.example", want{"https://game.example", "true"}},
		{"configured: regex origin", game, "https://qa.studio.example", want{"https://qa.studio.example", "true"}},
		{"configured: evil", game, "https://evil.example", want{"", ""}},
		{"configured: null", game, "null", want{"", ""}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			base := startServer(t, rest.Options{Origins: tt.origins})
			pre := do(t, "OPTIONS", base+"/api/v1/me", "", "Origin", tt.origin,
				"Access-Control-Request-Method", "PATCH", "Access-Control-Request-Headers", "authorization,content-type")
			get := do(t, "GET", base+"/api/v1/health", "", "Origin", tt.origin)
			for name, h := range map[string]http.Header{"preflight": pre.header, "request": get.header} {
				if got := h.Get("Access-Control-Allow-Origin"); got != tt.want.origin {
					t.Errorf("%s: Access-Control-Allow-Origin %q, want %q", name, got, tt.want.origin)
				}
				if got := h.Get("Access-Control-Allow-Credentials"); got != tt.want.credentials {
					t.Errorf("%s: Access-Control-Allow-Credentials %q, want %q", name, got, tt.want.credentials)
				}
			}
			if tt.want.origin != "" && !strings.Contains(strings.ToLower(pre.header.Get("Access-Control-Allow-Headers")), "authorization") {
				t.Errorf("preflight allows headers %q", pre.header.Get("Access-Control-Allow-Headers"))
			}
		})
	}
}

// TestEdgeAgainstDatabase runs the regressions that used to be 500s on
// PostgreSQL: a page number whose offset overflows, and NUL characters in
// a query value or a JSON body.
func TestEdgeAgainstDatabase(t *testing.T) {
	resttest.Dialects(t, resttest.Options{MaxPageSize: 10}, func(t *testing.T, e *resttest.Env) {
		admin := e.CreateUser(t, resttest.UserSpec{New: users.New{Email: "admin@example.com", Username: "root-admin"}})
		e.CreateUser(t, resttest.UserSpec{New: users.New{Username: "alice"}})
		huge := "368934881474191034"
		emptyPage := fmt.Sprintf(`"meta":{"page":%d,"page_size":10,"count":0,"total_count":1,"total_pages":1,"has_more":false}`, rest.MaxPage)
		e.Run(t, []resttest.Scenario{
			{Name: "huge page: users search", Method: "GET", Path: "/api/v1/users?q=al&page=" + huge, Status: 200,
				Want: []string{`"data":[]`, emptyPage}},
			{Name: "huge page and size: users search", Method: "GET", Path: "/api/v1/users?q=al&page=" + huge + "&page_size=" + huge, Status: 200,
				Want: []string{`"data":[]`, emptyPage}},
			{Name: "page beyond int64: users search", Method: "GET", Path: "/api/v1/users?q=al&page=99999999999999999999999", Status: 200,
				Want: []string{`"data":[]`, emptyPage}},
			{Name: "huge page: admin users", Method: "GET", Path: "/api/v1/admin/users?page=" + huge, Token: admin.Token, Status: 200,
				Want: []string{`"data":[]`, `"count":0`, `"total_count":2`, `"has_more":false`}},
			{Name: "huge page: admin sessions", Method: "GET", Path: "/api/v1/admin/sessions?page=" + huge, Token: admin.Token, Status: 200,
				Want: []string{`"data":[]`, `"count":0`, `"has_more":false`}},
			{Name: "NUL in a search query", Method: "GET", Path: "/api/v1/users?q=al%00", Status: 400, Want: []string{nulBody}},
			{Name: "NUL in a JSON body", Method: "PATCH", Path: "/api/v1/me/display_name", Token: admin.Token,
				Body: `{"display_name":"x\u0000y"}`, Status: 400, Want: []string{nulBody}, Events: map[string]int{}},
			{Name: "NUL in an admin path id", Method: "GET", Path: "/api/v1/admin/users/%00", Token: admin.Token, Status: 400, Want: []string{nulBody}},
			{Name: "escaped text is stored", Method: "PATCH", Path: "/api/v1/me/display_name", Token: admin.Token,
				Body: `{"display_name":"x\\u0000y"}`, Status: 200, Want: []string{`"display_name":"x\\u0000y"`}},
		})
	})
}
