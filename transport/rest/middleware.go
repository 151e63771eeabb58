package rest

import (
	"bytes"
	"net/netip"
	"runtime/debug"
	"strconv"
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"
	"github.com/gofiber/fiber/v2/middleware/cors"
	"github.com/gofiber/fiber/v2/middleware/limiter"
	"github.com/gofiber/fiber/v2/middleware/requestid"
	"github.com/valyala/fasthttp"
)

// Fiber Locals keys: the resolved client address, and the server's logger
// (read where only a huma context is at hand, such as contextError).
const (
	localClientIP = "gamend.client_ip"
	localLogger   = "gamend.logger"
)

// RealIP returns the client address resolved by the middleware (see
// ClientIP): the rate-limit key and the access log's ip. It is what a
// trusted proxy says, so it never grants access: checks that must hold for
// the machine itself (the development mailbox) use PeerIP.
func RealIP(c *fiber.Ctx) netip.Addr {
	if a, ok := c.Locals(localClientIP).(netip.Addr); ok {
		return a
	}
	return PeerIP(c)
}

func (s *Server) useMiddleware() {
	app := s.App
	app.Use(requestid.New(requestid.Config{Header: fiber.HeaderXRequestID}))
	app.Use(s.recoverAndLog)
	app.Use(holdEncoding)
	app.Use(s.resolveClientIP)
	app.Use(cors.New(s.corsConfig()))
	app.Use(s.rateLimit())
	app.Use(checkAccept)
	app.Use(rejectNUL)
}

// corsConfig is the API's CORS policy (API.md §1.2). Only the API (and the
// socket endpoint) is cross-origin: the cookie-authenticated browser pages
// never answer CORS. Without configured origins every origin gets
// "Access-Control-Allow-Origin: *" and never credentials, so no page can
// read an answer to a request that carried the user's cookies; configured
// origins get their own origin back, with credentials, and other origins
// get no CORS headers.
func (s *Server) corsConfig() cors.Config {
	cfg := cors.Config{
		Next:          func(c *fiber.Ctx) bool { return !corsPath(c.Path()) },
		AllowMethods:  "GET,POST,PUT,PATCH,DELETE,OPTIONS",
		AllowHeaders:  "content-type,authorization",
		ExposeHeaders: "x-request-time",
	}
	if o := s.opts.Origins; o == nil || o.Any() {
		cfg.AllowOrigins = "*"
		return cfg
	}
	cfg.AllowOriginsFunc = s.opts.Origins.Match
	cfg.AllowCredentials = true
	return cfg
}

// corsPath reports whether CORS applies to path: /api/* and /socket/*.
func corsPath(path string) bool {
	return path == "/api" || strings.HasPrefix(path, "/api/") || strings.HasPrefix(path, "/socket/")
}

// recoverAndLog turns panics into a generic 500 (details only in the log)
// and writes the access log line with the request duration.
func (s *Server) recoverAndLog(c *fiber.Ctx) (err error) {
	start := time.Now()
	c.Locals(localLogger, s.log)
	defer func() {
		if r := recover(); r != nil {
			// The route pattern, never the raw path (see below).
			s.log.Error("panic in HTTP handler", "panic", r, "method", c.Method(), "route", routePattern(c),
				"request_id", c.GetRespHeader(fiber.HeaderXRequestID), "stack", string(debug.Stack()))
			err = writeError(c, ErrInternal)
		}
		elapsed := time.Since(start)
		c.Set("x-request-time", strconv.FormatInt(elapsed.Microseconds(), 10)+"us")
		// Log the route pattern, never the raw path or query: e-mail link
		// tokens travel in paths and socket tokens in query strings.
		if s.log.Enabled(c.UserContext(), s.opts.AccessLogLevel) {
			s.log.Log(c.UserContext(), s.opts.AccessLogLevel, "request",
				"method", c.Method(), "route", routePattern(c), "status", c.Response().StatusCode(),
				"duration_us", elapsed.Microseconds(), "ip", RealIP(c).String(),
				"request_id", c.GetRespHeader(fiber.HeaderXRequestID))
		}
	}()
	return c.Next()
}

// routePattern is the matched route ("/users/confirm/:token"), or "-" for
// requests that matched no route (the raw path could hold a secret).
func routePattern(c *fiber.Ctx) string {
	if r := c.Route(); r != nil && r.Path != "" && r.Path != "/" {
		return r.Path
	}
	if c.Path() == "/" {
		return "/"
	}
	return "-"
}

// resolveClientIP stores the client address (ClientIP): the TCP peer, or
// what the configured header says when the peer is a trusted proxy.
func (s *Server) resolveClientIP(c *fiber.Ctx) error {
	ip := PeerIP(c)
	if isTrusted(ip, s.opts.TrustedProxies) {
		ip = ClientIP(ip, s.opts.TrustedProxies, s.opts.ClientIPHeader, headerValue(c, s.opts.ClientIPHeader))
	}
	c.Locals(localClientIP, ip)
	return c.Next()
}

// Bucket is the rate-limit bucket a path falls in (API.md §7).
type Bucket int

// Buckets.
const (
	BucketNone Bucket = iota
	BucketGeneral
	BucketAuth
)

// BucketFor classifies a request path: the auth bucket holds sign-in,
// sign-up, refresh and OAuth routes; health checks, metrics, static files
// and the socket endpoint are exempt; everything else is general.
func BucketFor(path string) Bucket {
	switch {
	case strings.HasPrefix(path, "/api/v1/auth/session/"):
		// OAuth polling: SDKs poll once a second while the player signs in
		// in the browser; the auth bucket (10/min) would cut them off.
		return BucketGeneral
	case path == "/health" || path == "/api/v1/health" || path == "/metrics" ||
		strings.HasPrefix(path, "/assets/") || strings.HasPrefix(path, "/socket/") || path == "/favicon.ico":
		return BucketNone
	case strings.HasPrefix(path, "/api/v1/auth/") || strings.HasPrefix(path, "/auth/") ||
		strings.HasPrefix(path, "/users/log-in") || strings.HasPrefix(path, "/users/register") ||
		strings.HasPrefix(path, "/users/reset-password") || strings.HasPrefix(path, "/users/confirm") ||
		// Browser OAuth start, and the settings forms that check the
		// current password (guessing it must be as slow as a log-in).
		strings.HasPrefix(path, "/users/oauth/") ||
		path == "/users/settings/password" || path == "/users/settings/email":
		return BucketAuth
	case strings.HasPrefix(path, "/api/v1/"):
		seg := strings.TrimPrefix(path, "/api/v1/")
		if i := strings.IndexByte(seg, '/'); i >= 0 {
			seg = seg[:i]
		}
		if seg == "login" || seg == "register" || seg == "refresh" {
			return BucketAuth
		}
	}
	return BucketGeneral
}

func (s *Server) rateLimit() fiber.Handler {
	rl := s.opts.RateLimit
	reached := func(c *fiber.Ctx) error {
		if strings.HasPrefix(c.Path(), "/api/") {
			return writeError(c, ErrTooMany)
		}
		c.Status(fiber.StatusTooManyRequests).Type("html")
		return c.SendString("<!doctype html><title>Too Many Requests</title><h1>Too Many Requests</h1><p>Please slow down and try again shortly.</p>")
	}
	key := func(c *fiber.Ctx) string { return rl.KeyPrefix + "rl:" + RealIP(c).String() }
	general := limiter.New(limiter.Config{Max: rl.GeneralLimit, Expiration: rl.GeneralWindow, KeyGenerator: key, LimitReached: reached, Storage: rl.Storage})
	auth := limiter.New(limiter.Config{Max: rl.AuthLimit, Expiration: rl.AuthWindow, KeyGenerator: func(c *fiber.Ctx) string { return "auth:" + key(c) }, LimitReached: reached, Storage: rl.Storage})
	return func(c *fiber.Ctx) error {
		if c.Method() == fiber.MethodOptions {
			return c.Next()
		}
		switch BucketFor(c.Path()) {
		case BucketAuth:
			return auth(c)
		case BucketGeneral:
			return general(c)
		}
		return c.Next()
	}
}

// checkAccept answers 406 on /api routes when the Accept header excludes
// JSON; no Accept header is fine.
func checkAccept(c *fiber.Ctx) error {
	accept := c.Get(fiber.HeaderAccept)
	if accept == "" || !strings.HasPrefix(c.Path(), "/api/") || acceptsJSON(accept) {
		return c.Next()
	}
	return writeError(c, ErrNotAccept)
}

func acceptsJSON(accept string) bool {
	for _, part := range strings.Split(accept, ",") {
		fields := strings.Split(part, ";")
		mt := strings.ToLower(strings.TrimSpace(fields[0]))
		zero := false
		for _, p := range fields[1:] {
			if kv := strings.TrimSpace(p); kv == "q=0" || kv == "q=0.0" || kv == "q=0.00" || kv == "q=0.000" {
				zero = true
			}
		}
		if zero {
			continue
		}
		if mt == "*/*" || mt == "application/*" || mt == "application/json" || strings.HasSuffix(mt, "+json") {
			return true
		}
	}
	return false
}

// writeError writes a contract error body from fiber middleware.
func writeError(c *fiber.Ctx, e *Error) error {
	return c.Status(e.Status).JSON(e.Body)
}

// errorHandler is fiber's last resort: unknown routes, oversized bodies,
// and errors returned by plain fiber handlers.
func (s *Server) errorHandler(c *fiber.Ctx, err error) error {
	if e, ok := err.(*Error); ok {
		return writeError(c, e)
	}
	if fe, ok := err.(*fiber.Error); ok {
		switch fe.Code {
		case fiber.StatusNotFound, fiber.StatusMethodNotAllowed:
			return writeError(c, ErrNotFound)
		case fiber.StatusRequestEntityTooLarge:
			return writeError(c, ErrTooLarge)
		case fiber.StatusInternalServerError:
		default:
			return writeError(c, ErrDetail(fe.Code))
		}
	}
	s.log.Error("unhandled HTTP error", "err", err, "method", c.Method(), "route", routePattern(c), "request_id", c.GetRespHeader(fiber.HeaderXRequestID))
	return writeError(c, ErrInternal)
}

// rejectNUL answers 400 {"error":"invalid_input",…} for an /api request
// that carries a NUL character in its path or query string (raw, or its
// escape %00): PostgreSQL refuses NUL in text and JSON values, so it would
// otherwise surface as a 500 deep inside a handler. Bodies are checked by
// bodyHasNUL once they are decoded, after routing and auth (bodyParams).
// Browser pages validate their own input (a garbage e-mail token is an
// "invalid link" page, not a 400).
func rejectNUL(c *fiber.Ctx) error {
	if !strings.HasPrefix(c.Path(), "/api/") {
		return c.Next()
	}
	uri := c.Request().URI()
	if urlEncodedHasNUL(uri.PathOriginal()) || urlEncodedHasNUL(uri.QueryString()) {
		return writeError(c, ErrNULInput)
	}
	return c.Next()
}

// bodyHasNUL reports a NUL character in a plain (decoded) request body:
// a JSON body (a NUL byte, or a \u0000 escape) or a url-encoded one (a NUL
// byte or %00); other bodies, such as multipart uploads, are not scanned.
func bodyHasNUL(req *fasthttp.Request) bool {
	body := req.Body()
	if len(body) == 0 {
		return false
	}
	switch bodyKind(req.Header.ContentType()) {
	case kindJSON:
		return jsonHasNUL(body)
	case kindForm:
		return urlEncodedHasNUL(body)
	}
	return false
}

const (
	kindOther = iota
	kindJSON
	kindForm
)

// bodyKind classifies a Content-Type; no Content-Type counts as JSON (the
// API handlers assume it).
func bodyKind(contentType []byte) int {
	mt := string(contentType)
	if i := strings.IndexByte(mt, ';'); i >= 0 {
		mt = mt[:i]
	}
	mt = strings.ToLower(strings.TrimSpace(mt))
	switch {
	case mt == "" || mt == "application/json" || strings.HasSuffix(mt, "+json"):
		return kindJSON
	case mt == "application/x-www-form-urlencoded":
		return kindForm
	}
	return kindOther
}

// urlEncodedHasNUL reports a NUL byte or a %00 escape. Every '%' of a
// url-encoded string starts an escape, so "%00" is always an encoded NUL
// (a literal "%00" is sent as "%2500").
func urlEncodedHasNUL(b []byte) bool {
	return bytes.IndexByte(b, 0) >= 0 || bytes.Contains(b, []byte("%00"))
}

// jsonHasNUL reports a NUL byte or a \u0000 escape in a JSON text. Escapes
// are walked pair by pair, so an escaped backslash followed by "u0000"
// ("\\u0000", the six characters \u0000) is not mistaken for a NUL.
func jsonHasNUL(b []byte) bool {
	if bytes.IndexByte(b, 0) >= 0 {
		return true
	}
	for {
		i := bytes.IndexByte(b, '\\')
		if i < 0 || i+1 >= len(b) {
			return false
		}
		if b[i+1] == 'u' && len(b) >= i+6 && string(b[i+2:i+6]) == "0000" {
			return true
		}
		b = b[i+2:] // skip the escaped character
	}
}
