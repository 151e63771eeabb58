package rest_test

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/danielgtaylor/huma/v2"
	"github.com/gofiber/fiber/v2"

	"github.com/gamend-go/gamend/transport/rest"
)

type echoInput struct {
	Body struct {
		Name  string `json:"name" maxLength:"5" doc:"a short name"`
		Count int    `json:"count,omitempty" minimum:"0"`
	}
}

type echoOutput struct {
	Body struct {
		Name string `json:"name"`
	}
}

type textInput struct {
	Body struct {
		Text string `json:"text"`
	}
}

// typedBody has a field of every JSON type a form value is converted to.
type typedBody struct {
	Name  string         `json:"name"`
	Count int            `json:"count,omitempty" minimum:"0"`
	Ratio float64        `json:"ratio,omitempty"`
	Flag  bool           `json:"flag,omitempty"`
	Tags  []string       `json:"tags,omitempty"`
	Nums  []int          `json:"nums,omitempty"`
	Meta  map[string]any `json:"meta,omitempty"`
}

type typedInput struct {
	Page int `query:"page"`
	Body typedBody
}

type typedOutput struct {
	Body struct {
		typedBody
		Page int `json:"page"`
	}
}

type itemInput struct {
	ID string `path:"id"`
	Q  string `query:"q"`
}

// startServer runs a rest.Server on a random loopback port with two test
// routes, returning its base URL.
func startServer(t *testing.T, opts rest.Options) string {
	t.Helper()
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	s := rest.New(opts)
	huma.Register(s.API, huma.Operation{OperationID: "test_echo", Method: http.MethodPost, Path: "/api/v1/test/echo"},
		func(ctx context.Context, in *echoInput) (*echoOutput, error) {
			out := &echoOutput{}
			out.Body.Name = in.Body.Name
			return out, nil
		})
	huma.Register(s.API, huma.Operation{OperationID: "test_panic", Method: http.MethodGet, Path: "/api/v1/test/panic"},
		func(ctx context.Context, _ *struct{}) (*echoOutput, error) { panic("secret detail") })
	huma.Register(s.API, huma.Operation{OperationID: "test_panic_token", Method: http.MethodGet, Path: "/api/v1/test/panic/{token}"},
		func(ctx context.Context, _ *struct {
			Token string `path:"token"`
		}) (*echoOutput, error) {
			panic("handler bug")
		})
	// A plain fiber route whose error is neither a contract error nor a
	// fiber.Error: errorHandler's last resort.
	s.App.Get("/test/fail/:token", func(c *fiber.Ctx) error { return errors.New("plain failure") })
	huma.Register(s.API, huma.Operation{OperationID: "test_fail", Method: http.MethodGet, Path: "/api/v1/test/fail"},
		func(ctx context.Context, _ *struct{}) (*echoOutput, error) {
			return nil, errors.New("db exploded: secret detail")
		})
	// test_text skips schema validation, as several real handlers do, so
	// the body reaches encoding/json as is.
	huma.Register(s.API, huma.Operation{OperationID: "test_text", Method: http.MethodPost, Path: "/api/v1/test/text", SkipValidateBody: true},
		func(ctx context.Context, in *textInput) (*echoOutput, error) {
			out := &echoOutput{}
			out.Body.Name = in.Body.Text
			return out, nil
		})
	huma.Register(s.API, huma.Operation{OperationID: "test_typed", Method: http.MethodPost, Path: "/api/v1/test/typed"},
		func(ctx context.Context, in *typedInput) (*typedOutput, error) {
			out := &typedOutput{}
			out.Body.typedBody, out.Body.Page = in.Body, in.Page
			return out, nil
		})
	huma.Register(s.API, huma.Operation{OperationID: "test_item", Method: http.MethodGet, Path: "/api/v1/test/items/{id}"},
		func(ctx context.Context, in *itemInput) (*echoOutput, error) {
			out := &echoOutput{}
			out.Body.Name = in.ID + "|" + in.Q
			return out, nil
		})
	s.Finish()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	go s.Serve(ln)
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		s.Shutdown(ctx)
	})
	return "http://" + ln.Addr().String()
}

type resp struct {
	status int
	header http.Header
	body   string
}

func do(t *testing.T, method, url, body string, headers ...string) resp {
	t.Helper()
	req, err := http.NewRequest(method, url, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	for i := 0; i+1 < len(headers); i += 2 {
		req.Header.Set(headers[i], headers[i+1])
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	return resp{res.StatusCode, res.Header, string(b)}
}

func TestHTTPEdge(t *testing.T) {
	base := startServer(t, rest.Options{MaxBodyBytes: 1024, RateLimit: rest.RateLimits{GeneralLimit: 1000, GeneralWindow: time.Minute, AuthLimit: 3, AuthWindow: time.Minute}})
	tests := []struct {
		name, method, path, body string
		headers                  []string
		status                   int
		want, notWant            []string
	}{
		{"health", "GET", "/api/v1/health", "", nil, 200, []string{`"status":"ok"`, `"timestamp":"`}, nil},
		{"unknown route", "GET", "/api/v1/nope", "", nil, 404, []string{`{"errors":{"detail":"Not Found"}}`}, nil},
		{"valid body", "POST", "/api/v1/test/echo", `{"name":"abc"}`, nil, 200, []string{`{"name":"abc"}`}, []string{"$schema"}},
		{"malformed json", "POST", "/api/v1/test/echo", `{"name":`, nil, 400, []string{`"error":"invalid_json"`}, []string{`{"name":`}},
		{"wrong type names field", "POST", "/api/v1/test/echo", `{"name":5}`, nil, 422, []string{`"error":"validation_failed"`, `"name":[`}, nil},
		{"too long names field", "POST", "/api/v1/test/echo", `{"name":"abcdefgh"}`, nil, 422, []string{`"name":["expected length`}, nil},
		{"negative names field", "POST", "/api/v1/test/echo", `{"name":"a","count":-1}`, nil, 422, []string{`"count":[`}, nil},
		{"oversized body", "POST", "/api/v1/test/echo", `{"name":"` + strings.Repeat("x", 4096) + `"}`, nil, 413, []string{`"error":"request_too_large"`}, nil},
		{"accept excludes json", "GET", "/api/v1/health", "", []string{"Accept", "text/html"}, 406, nil, nil},
		{"accept any", "GET", "/api/v1/health", "", []string{"Accept", "text/html, */*;q=0.8"}, 200, nil, nil},
		{"panic is a generic 500", "GET", "/api/v1/test/panic", "", nil, 500, []string{`{"errors":{"detail":"Internal Server Error"}}`}, []string{"secret"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := do(t, tt.method, base+tt.path, tt.body, tt.headers...)
			if r.status != tt.status {
				t.Fatalf("status %d, want %d; body %s", r.status, tt.status, r.body)
			}
			for _, w := range tt.want {
				if !strings.Contains(r.body, w) {
					t.Errorf("body %s lacks %s", r.body, w)
				}
			}
			for _, w := range tt.notWant {
				if strings.Contains(r.body, w) {
					t.Errorf("body %s must not contain %s", r.body, w)
				}
			}
			if r.status >= 400 && r.status != 406 && !strings.HasPrefix(r.header.Get("Content-Type"), "application/json") {
				t.Errorf("error content type %q", r.header.Get("Content-Type"))
			}
			if r.header.Get("X-Request-Id") == "" && r.status != 413 { // 413 is answered before routing
				t.Error("no X-Request-Id")
			}
		})
	}
}

func TestRateLimits(t *testing.T) {
	base := startServer(t, rest.Options{RateLimit: rest.RateLimits{GeneralLimit: 3, GeneralWindow: time.Minute, AuthLimit: 2, AuthWindow: 30 * time.Second}})
	for i := range 3 {
		if r := do(t, "GET", base+"/api/v1/nope", ""); r.status != 404 {
			t.Fatalf("request %d: %d", i, r.status)
		}
	}
	r := do(t, "GET", base+"/api/v1/nope", "")
	if r.status != 429 || r.body != `{"error":"Too Many Requests"}` {
		t.Fatalf("over the general limit: %d %s", r.status, r.body)
	}
	if ra := r.header.Get("Retry-After"); ra == "" || ra == "0" {
		t.Fatalf("Retry-After = %q", ra)
	}
	// Health checks are exempt.
	for range 10 {
		if r := do(t, "GET", base+"/api/v1/health", ""); r.status != 200 {
			t.Fatalf("health limited: %d", r.status)
		}
	}
	// The auth bucket is separate and smaller.
	for i := range 2 {
		if r := do(t, "POST", base+"/api/v1/login", "{}"); r.status == 429 {
			t.Fatalf("auth request %d limited early", i)
		}
	}
	if r := do(t, "POST", base+"/api/v1/login/device", "{}"); r.status != 429 {
		t.Fatalf("auth bucket not enforced: %d", r.status)
	}
	// Non-API paths get an HTML page.
	r = do(t, "GET", base+"/somewhere", "")
	if r.status != 429 || !strings.Contains(r.header.Get("Content-Type"), "html") {
		t.Fatalf("html 429: %d %s", r.status, r.header.Get("Content-Type"))
	}
}

func TestBucketFor(t *testing.T) {
	tests := map[string]rest.Bucket{
		"/api/v1/health":           rest.BucketNone,
		"/health":                  rest.BucketNone,
		"/metrics":                 rest.BucketNone,
		"/socket/websocket":        rest.BucketNone,
		"/api/v1/login":            rest.BucketAuth,
		"/api/v1/login/device":     rest.BucketAuth,
		"/api/v1/refresh":          rest.BucketAuth,
		"/api/v1/register":         rest.BucketAuth,
		"/api/v1/auth/discord":     rest.BucketAuth,
		"/auth/google/callback":    rest.BucketAuth,
		"/users/log-in":            rest.BucketAuth,
		"/users/register":          rest.BucketAuth,
		"/users/oauth/discord":     rest.BucketAuth,
		"/users/settings/password": rest.BucketAuth,
		"/users/settings/email":    rest.BucketAuth,
		"/users/settings":          rest.BucketGeneral,
		"/api/v1/auth/session/abc": rest.BucketGeneral,
		"/api/v1/me":               rest.BucketGeneral,
		"/api/v1/lobbies":          rest.BucketGeneral,
		"/api/v1/users/login":      rest.BucketGeneral,
		"/admin":                   rest.BucketGeneral,
	}
	for path, want := range tests {
		if got := rest.BucketFor(path); got != want {
			t.Errorf("BucketFor(%q) = %v, want %v", path, got, want)
		}
	}
}

func TestCORS(t *testing.T) {
	base := startServer(t, rest.Options{})
	r := do(t, "OPTIONS", base+"/api/v1/health", "", "Origin", "https://game.example", "Access-Control-Request-Method", "GET",
		"Access-Control-Request-Headers", "authorization")
	if r.status != 204 || r.header.Get("Access-Control-Allow-Origin") != "*" || r.header.Get("Access-Control-Allow-Credentials") != "" ||
		r.header.Get("Access-Control-Allow-Methods") != "GET,POST,PUT,PATCH,DELETE,OPTIONS" || r.header.Get("Access-Control-Allow-Headers") != "content-type,authorization" {
		t.Fatalf("preflight: %d %v", r.status, r.header)
	}
	r = do(t, "GET", base+"/api/v1/health", "", "Origin", "https://game.example")
	if r.header.Get("Access-Control-Expose-Headers") != "x-request-time" {
		t.Fatalf("expose headers: %v", r.header)
	}
}

func TestOpenAPIMatchesRoutes(t *testing.T) {
	base := startServer(t, rest.Options{})
	r := do(t, "GET", base+"/api/openapi", "")
	if r.status != 200 {
		t.Fatalf("openapi: %d", r.status)
	}
	var doc struct {
		OpenAPI    string                                `json:"openapi"`
		Paths      map[string]map[string]json.RawMessage `json:"paths"`
		Components struct {
			SecuritySchemes map[string]any `json:"securitySchemes"`
		} `json:"components"`
	}
	if err := json.Unmarshal([]byte(r.body), &doc); err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(doc.OpenAPI, "3.") || doc.Paths["/api/v1/health"]["get"] == nil || doc.Components.SecuritySchemes["authorization"] == nil {
		t.Fatalf("openapi document incomplete: %s %v", doc.OpenAPI, doc.Paths)
	}
	if r := do(t, "GET", base+"/api/docs", ""); r.status != 200 || !strings.Contains(r.body, "/api/openapi") {
		t.Fatalf("docs: %d", r.status)
	}
	off := startServer(t, rest.Options{OpenAPIEnabled: func() bool { return false }})
	if r := do(t, "GET", off+"/api/openapi", ""); r.status != 404 || r.body != "Not Found" {
		t.Fatalf("gated openapi: %d %q", r.status, r.body)
	}
}
