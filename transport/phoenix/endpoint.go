package phoenix

import (
	"bytes"
	"context"
	"fmt"
	"log/slog"
	"net"
	"reflect"
	"runtime/debug"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/fasthttp/websocket"
	"github.com/gofiber/fiber/v2"
	"github.com/valyala/fasthttp"
)

// Endpoint is the mounted socket endpoint of one node.
type Endpoint struct {
	cfg    Config
	auth   Authenticator
	router *Router
	log    *slog.Logger
	users  *userTable
	stats  counters
	nextID atomic.Uint64

	upgrader websocket.FastHTTPUpgrader

	budgetWarned atomic.Int64 // when a PushBudget failure was last logged (Unix ns)

	shuttingDown atomic.Bool
	stopOnce     sync.Once
	stopSweep    chan struct{}
}

type handshake struct {
	userID   string
	docs     bool
	compress bool
}

// Mount registers GET {Path}/websocket (and a 404 for {Path}/longpoll) on
// app. Call it before the app's catch-all 404 (rest.Server.Finish). auth
// verifies connect tokens; router maps topics to channels.
func Mount(app *fiber.App, cfg Config, auth Authenticator, router *Router) *Endpoint {
	cfg.defaults()
	e := &Endpoint{
		cfg:       cfg,
		auth:      auth,
		router:    router,
		log:       cfg.Logger.With("component", "phoenix"),
		users:     newUserTable(cfg.MaxSocketsPerUser, cfg.PushLimit, cfg.PushWindow),
		stopSweep: make(chan struct{}),
	}
	// The upgrade uses fasthttp/websocket's upgrader directly, the library
	// gofiber/contrib/websocket wraps: the wrapper copies every header,
	// query value and cookie of the request into maps kept for the life of
	// each socket (about 2 KB per idle socket), which this endpoint never
	// reads. Origin is checked in handshake.
	e.upgrader = websocket.FastHTTPUpgrader{
		ReadBufferSize:    cfg.ReadBufferSize,
		WriteBufferSize:   4096,
		WriteBufferPool:   libWriteBufferPool,
		EnableCompression: !cfg.DisableCompression,
		CheckOrigin:       func(*fasthttp.RequestCtx) bool { return true },
	}
	// The endpoint closes every upgraded connection itself (serveWS), so a
	// socket can outlive fasthttp's hijack handler; see handshake.
	app.Server().KeepHijackedConns = true
	app.Get(cfg.Path+"/websocket", e.handshake)
	app.All(cfg.Path+"/longpoll", func(*fiber.Ctx) error { return fiber.ErrNotFound })
	go e.sweep()
	return e
}

// allowPush charges one client push or join of s's user to the push
// budget: the shared PushBudget when configured (falling back to this
// node's count when it fails), else this node's count.
func (e *Endpoint) allowPush(s *Socket, now time.Time) bool {
	if b := e.cfg.PushBudget; b != nil {
		ctx, cancel := context.WithTimeout(s.ctx, e.cfg.PushBudgetTimeout)
		ok, err := b.AllowPush(ctx, s.userID, now)
		cancel()
		if err == nil {
			return ok
		}
		// At most one warning per PushWindow, not one per push.
		last := e.budgetWarned.Load()
		if now.UnixNano()-last >= int64(e.cfg.PushWindow) && e.budgetWarned.CompareAndSwap(last, now.UnixNano()) {
			e.log.Warn("shared push budget failed; counting on this node", "user_id", s.userID, "err", err)
		}
	}
	return e.users.allowPush(s.userID, now)
}

// Stats returns a snapshot of the counters.
func (e *Endpoint) Stats() Stats { return e.stats.snapshot() }

// DisconnectUser closes every socket of userID on this node with
// CloseNormal (token revocation, account deletion) and returns how many.
func (e *Endpoint) DisconnectUser(userID string) int {
	socks := e.users.sockets(userID)
	for _, s := range socks {
		s.Disconnect()
	}
	return len(socks)
}

// Shutdown refuses new sockets (503), closes every open one with
// CloseGoingAway, and waits until they are gone or ctx ends. The HTTP
// server's own shutdown does not wait for upgraded connections.
func (e *Endpoint) Shutdown(ctx context.Context) error {
	e.shuttingDown.Store(true)
	e.stopOnce.Do(func() { close(e.stopSweep) })
	for _, s := range e.users.sockets("") {
		s.closeWith(CloseGoingAway, "server shutting down")
	}
	t := time.NewTicker(10 * time.Millisecond)
	defer t.Stop()
	for e.stats.socketsOpen.Load() > 0 {
		select {
		case <-ctx.Done():
			return fmt.Errorf("phoenix: %d sockets still open: %w", e.stats.socketsOpen.Load(), ctx.Err())
		case <-t.C:
		}
	}
	return nil
}

func (e *Endpoint) sweep() {
	t := time.NewTicker(max(e.cfg.PushWindow, time.Second))
	defer t.Stop()
	for {
		select {
		case <-e.stopSweep:
			return
		case now := <-t.C:
			e.users.sweep(now)
		}
	}
}

// handshake runs the upgrade-time checks of API.md §5.1 in Phoenix's
// order (origin, serializer, connect) and refuses with 403 before any
// upgrade. The query string is never logged: the token travels there.
func (e *Endpoint) handshake(c *fiber.Ctx) error {
	if e.shuttingDown.Load() {
		return e.refuse(c, fiber.StatusServiceUnavailable, "shutting_down")
	}
	if origin := c.Get(fiber.HeaderOrigin); origin != "" && e.cfg.CheckOrigin != nil && !e.cfg.CheckOrigin(origin) {
		return e.refuse(c, fiber.StatusForbidden, "origin_not_allowed")
	}
	if c.Query("vsn") != "2.0.0" {
		return e.refuse(c, fiber.StatusForbidden, "unsupported_vsn")
	}
	if f := c.Query("format"); f != "" && f != "json" {
		return e.refuse(c, fiber.StatusForbidden, "unsupported_format")
	}
	token := strings.Clone(c.Query("token"))
	if token == "" {
		return e.refuse(c, fiber.StatusForbidden, "missing_token")
	}
	userID, err := e.auth.AuthenticateSocket(c.UserContext(), token)
	if err != nil || userID == "" {
		e.log.Debug("socket token refused", "err", err, "ip", c.IP())
		return e.refuse(c, fiber.StatusForbidden, "invalid_token")
	}
	if e.users.full(userID) {
		return e.refuse(c, fiber.StatusForbidden, "too_many_sockets")
	}
	if !websocket.FastHTTPIsWebSocketUpgrade(c.Context()) {
		return fiber.ErrUpgradeRequired
	}
	hs := &handshake{
		userID:   strings.Clone(userID),
		docs:     c.Query("event_names") == "docs",
		compress: !e.cfg.DisableCompression && offersDeflate(c.Request().Header.Peek(fiber.HeaderSecWebSocketExtensions)),
	}
	// On failure the upgrader has written the HTTP error response itself.
	fctx := c.Context()
	_ = e.upgrader.Upgrade(fctx, func(conn *websocket.Conn) {
		// fasthttp keeps the upgrade's *RequestCtx (about 1.5 KB, with
		// pointers every collection scans) until this handler returns.
		// When the connection reads straight from the socket, the session
		// runs on a goroutine of its own and the context goes back to
		// fasthttp's pool now. Otherwise the client sent bytes behind the
		// request and they sit in fasthttp's read buffer, which fasthttp
		// takes back when the handler returns: the session then runs here.
		serve := func() {
			defer e.recoverSocket()
			e.serveWS(conn, hs)
		}
		if readsConnDirectly(conn.NetConn()) {
			e.stats.detached.Add(1)
			go serve()
			return
		}
		dropRequest(fctx)
		serve()
	})
	return nil
}

// readsConnDirectly reports whether nc, fasthttp's hijacked connection,
// reads from the TCP connection itself rather than through the request's
// bufio.Reader. fasthttp does not export which one it is, so this reads
// the type of the reader field; any other shape (another fasthttp
// version) answers false, which is always safe.
func readsConnDirectly(nc net.Conn) bool {
	raw, ok := nc.(interface{ UnsafeConn() net.Conn })
	if !ok {
		return false
	}
	v := reflect.ValueOf(nc)
	if v.Kind() != reflect.Pointer || v.IsNil() || v.Elem().Kind() != reflect.Struct {
		return false
	}
	r := v.Elem().FieldByName("r")
	if !r.IsValid() || r.Kind() != reflect.Interface || r.IsNil() {
		return false
	}
	conn := raw.UnsafeConn()
	return conn != nil && r.Elem().Type() == reflect.TypeOf(conn)
}

// dropRequest frees what the upgrade request still holds while a session
// runs on fasthttp's hijack goroutine (see handshake): the request's
// header, URI and query buffers (the connect token alone appears three
// times), about 4 KB per socket for nothing, as everything needed was read
// during the handshake. A zero Request and Response are valid (a new
// RequestCtx starts zeroed), so fasthttp can still reset and pool the
// context when the socket closes.
func dropRequest(ctx *fasthttp.RequestCtx) {
	reflect.ValueOf(&ctx.Request).Elem().SetZero()
	reflect.ValueOf(&ctx.Response).Elem().SetZero()
}

func (e *Endpoint) refuse(c *fiber.Ctx, status int, reason string) error {
	e.stats.rejected.Add(1)
	return c.Status(status).JSON(fiber.Map{"error": reason})
}

// offersDeflate mirrors the library's negotiation: an offered extension
// starting with permessage-deflate.
func offersDeflate(h []byte) bool {
	for _, ext := range bytes.Split(h, []byte{','}) {
		if bytes.HasPrefix(bytes.TrimSpace(ext), []byte("permessage-deflate")) {
			return true
		}
	}
	return false
}

// serveWS owns the upgraded connection until it closes, and closes it
// (fasthttp keeps hijacked connections open: KeepHijackedConns).
func (e *Endpoint) serveWS(conn *websocket.Conn, hs *handshake) {
	defer conn.NetConn().Close()
	ctx, cancel := context.WithCancel(context.Background())
	s := &Socket{
		ep:       e,
		id:       e.nextID.Add(1),
		userID:   hs.userID,
		docs:     hs.docs,
		compress: hs.compress,
		ws:       conn,
		nc:       conn.NetConn(),
		ctx:      ctx,
		cancel:   cancel,
	}
	e.stats.socketsOpen.Add(1)
	if !e.users.add(s) { // lost a race for the last slot
		e.stats.socketsOpen.Add(-1)
		cancel()
		e.stats.rejected.Add(1)
		s.ws.WriteControl(websocket.CloseMessage, websocket.FormatCloseMessage(ClosePolicyViolation, "too many sockets"), time.Now().Add(e.cfg.CloseGrace))
		return
	}
	e.stats.socketsTotal.Add(1)
	if e.shuttingDown.Load() { // registered after Shutdown looked
		s.closeWith(CloseGoingAway, "server shutting down")
	}
	e.log.Debug("socket connected", "socket_id", s.id, "user_id", s.userID, "deflate", s.compress)
	s.serve()
}

func (e *Endpoint) recoverSocket() {
	if r := recover(); r != nil {
		e.log.Error("socket session panicked", "panic", fmt.Sprint(r), "stack", string(debug.Stack()))
	}
}
