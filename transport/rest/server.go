package rest

import (
	"context"
	"log/slog"
	"net"
	"net/netip"
	"sync"
	"time"

	"github.com/danielgtaylor/huma/v2"
	"github.com/danielgtaylor/huma/v2/adapters/humafiber"
	"github.com/gofiber/fiber/v2"

	"github.com/gamend-go/gamend/auth"
)

// OriginMatcher decides whether a browser Origin may use the API
// (config.Origins implements it).
type OriginMatcher interface {
	// Match reports whether origin is one of the configured origins.
	Match(origin string) bool
	// Any reports that no origin list is configured (or it lists "*"): the
	// API then answers every origin with "*" and no credentials.
	Any() bool
}

// RateLimits are the per-IP HTTP limits (API.md §7).
type RateLimits struct {
	GeneralLimit  int
	GeneralWindow time.Duration
	AuthLimit     int
	AuthWindow    time.Duration
	// Storage shares counters between nodes (redis backend); nil keeps
	// them in this process.
	Storage fiber.Storage
	// KeyPrefix namespaces the counters in a shared Storage.
	KeyPrefix string
}

// Options configures the HTTP edge.
type Options struct {
	Logger         *slog.Logger
	AccessLogLevel slog.Level
	Version        string
	MaxBodyBytes   int
	// TrustedProxies are the peers whose forwarding header is believed
	// (TRUSTED_PROXIES); nil trusts none.
	TrustedProxies []netip.Prefix
	// ClientIPHeader is the one header read from a trusted proxy
	// (CLIENT_IP_HEADER): X-Forwarded-For (default), X-Real-IP,
	// CF-Connecting-IP, Fly-Client-IP, or "none" (see ClientIP).
	ClientIPHeader string
	// Origins are the browser origins allowed to call the API with
	// credentials (PHX_ALLOWED_ORIGINS); nil, or a matcher whose Any is
	// true, allows every origin without credentials.
	Origins     OriginMatcher
	RateLimit   RateLimits
	MaxPageSize int
	// OpenAPIEnabled gates /api/openapi and /api/docs (read per request).
	OpenAPIEnabled func() bool
}

func (o *Options) defaults() {
	if o.Logger == nil {
		o.Logger = slog.Default()
	}
	if o.MaxBodyBytes <= 0 {
		o.MaxBodyBytes = 1 << 20
	}
	if h, ok := CanonicalClientIPHeader(o.ClientIPHeader); ok {
		o.ClientIPHeader = h
	} else {
		o.ClientIPHeader = ClientIPNone
	}
	if o.MaxPageSize <= 0 {
		o.MaxPageSize = 100
	}
	if o.RateLimit.GeneralLimit <= 0 {
		o.RateLimit.GeneralLimit, o.RateLimit.GeneralWindow = 240, time.Minute
	}
	if o.RateLimit.AuthLimit <= 0 {
		o.RateLimit.AuthLimit, o.RateLimit.AuthWindow = 10, time.Minute
	}
	if o.OpenAPIEnabled == nil {
		o.OpenAPIEnabled = func() bool { return true }
	}
	if o.Version == "" {
		o.Version = "dev"
	}
}

// Server is the fiber app plus the huma API describing it.
type Server struct {
	App  *fiber.App
	API  huma.API
	opts Options
	log  *slog.Logger
	auth *auth.Service
	// oauth is the OAuth sign-in state (oauth.go).
	oauth oauthState
	// bodies caches each operation's body description (bodyparams.go).
	bodies sync.Map
}

// New builds the HTTP server with its middleware, the OpenAPI routes and
// the health endpoint. Feature handlers register on s.API afterwards.
func New(opts Options) *Server {
	opts.defaults()
	s := &Server{opts: opts, log: opts.Logger}
	s.App = fiber.New(fiber.Config{
		AppName:               "gamend",
		BodyLimit:             opts.MaxBodyBytes,
		DisableStartupMessage: true,
		ErrorHandler:          s.errorHandler,
		Network:               "tcp",
		ReadTimeout:           30 * time.Second,
		WriteTimeout:          30 * time.Second,
		IdleTimeout:           120 * time.Second,
		ReadBufferSize:        4096,
		// Release per-connection buffers while idle: upgraded WebSockets
		// would otherwise pin fasthttp's 8 KB read buffer each.
		ReduceMemoryUsage: true,
	})
	s.useMiddleware()

	cfg := huma.DefaultConfig("Gamend-Go API", opts.Version)
	cfg.Info.Description = "REST API of Gamend-Go, wire-compatible with Gamend (API.md). Realtime events use Phoenix Channels on /socket/websocket.\n\n" +
		"Request bodies are JSON; url-encoded and multipart form bodies are accepted too, and query-string parameters named like body fields are merged into the body (the body wins). " +
		"Form and query values are converted by the field's type: integers and numbers in decimal, booleans as true/false, 1/0 or on/off, arrays from repeated fields (name or name[]), objects from JSON text.\n\n" +
		"A request body may be compressed with one Content-Encoding: gzip, deflate or br (anything else, or two encodings such as `gzip, gzip`, is 415 `unsupported_content_encoding`). " +
		"It is decoded once, after routing and the operation's auth check, and the 1 MiB body limit applies to the decoded size (413 `request_too_large`); a body that does not decode is 400 `invalid_content_encoding`.\n\n" +
		"CORS: without PHX_ALLOWED_ORIGINS every origin is answered with `Access-Control-Allow-Origin: *` and never with credentials; only the origins it lists get their origin back with `Access-Control-Allow-Credentials: true`."
	cfg.OpenAPIPath, cfg.DocsPath, cfg.SchemasPath = "", "", ""
	cfg.CreateHooks = nil // no "$schema" links injected into bodies
	cfg.Components.SecuritySchemes = map[string]*huma.SecurityScheme{
		"authorization": {Type: "http", Scheme: "bearer", BearerFormat: "JWT"},
	}
	cfg.Transformers = append(cfg.Transformers, s.nameMissingField)
	s.API = humafiber.New(s.App, cfg)
	// Auth first: a request the operation refuses is answered before its
	// body is decoded or read.
	s.API.UseMiddleware(s.authMiddleware, s.bodyParams)
	s.registerOpenAPI()
	s.registerHealth()
	return s
}

// Options returns the options the server was built with.
func (s *Server) Options() Options { return s.opts }

// Serve accepts connections on ln until Shutdown.
func (s *Server) Serve(ln net.Listener) error { return s.App.Listener(ln) }

// Shutdown stops accepting, waits for in-flight requests (bounded by ctx).
func (s *Server) Shutdown(ctx context.Context) error { return s.App.ShutdownWithContext(ctx) }

// Finish registers the catch-all 404 after every feature route; call it
// once, after all handlers are registered.
func (s *Server) Finish() {
	s.App.Use(func(c *fiber.Ctx) error { return writeError(c, ErrNotFound) })
}
