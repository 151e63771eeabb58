package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"time"

	"github.com/gofiber/fiber/v2"
	redisstore "github.com/gofiber/storage/redis/v3"

	"github.com/gamend-go/gamend/actors/notifications"
	"github.com/gamend-go/gamend/actors/registry"
	"github.com/gamend-go/gamend/actors/user"
	"github.com/gamend-go/gamend/auth"
	authmail "github.com/gamend-go/gamend/auth/mail"
	"github.com/gamend-go/gamend/config"
	"github.com/gamend-go/gamend/persistence"
	"github.com/gamend-go/gamend/persistence/postgres"
	"github.com/gamend-go/gamend/persistence/sqlite"
	"github.com/gamend-go/gamend/persistence/users"
	"github.com/gamend-go/gamend/persistence/writebehind"
	"github.com/gamend-go/gamend/transport/channels"
	"github.com/gamend-go/gamend/transport/phoenix"
	"github.com/gamend-go/gamend/transport/rest"
)

// app is one running server: store, write-behind queue, actor registry and
// the HTTP edge, joined here (the only place that knows every package).
type app struct {
	cfg      *config.Config
	log      *slog.Logger
	logClose io.Closer
	db       *persistence.DB
	queue    *writebehind.Queue
	reg      *registry.Registry
	http     *rest.Server
	ln       net.Listener
	auth     *auth.Service
	mail     *authmail.Queue

	notifications *notifications.Service
	users         *user.Profiles
	presence      *user.Presence
	userChannels  *channels.Users
	socket        *phoenix.Endpoint
	sweeper       *user.Sweeper
	userCache     *users.Cache
}

func openDB(ctx context.Context, cfg *config.Config) (*persistence.DB, error) {
	if cfg.DatabaseDialect() == config.DialectPostgres {
		return postgres.Open(ctx, cfg.PostgresURL(), postgres.Options{PoolSize: cfg.DBPoolSize()})
	}
	return sqlite.Open(ctx, cfg.DB.SQLite.Path, sqlite.Options{
		Synchronous:   cfg.DB.SQLite.Synchronous,
		CacheSizeKB:   cfg.DB.SQLite.CacheSizeKB,
		BusyTimeoutMS: int(cfg.DB.SQLite.BusyTimeout),
		WALAutoCkpt:   cfg.DB.SQLite.WALAutocheckpoint,
	})
}

func migrate(ctx context.Context, cfg *config.Config) int {
	log, closer := newLogger(cfg)
	defer closer.Close()
	db, err := openDB(ctx, cfg) // Open runs the migrations
	if err != nil {
		log.Error("migration failed", "err", err)
		return 1
	}
	defer db.Close()
	log.Info("database is migrated", "dialect", db.Dialect().Name())
	return 0
}

func serve(ctx context.Context, cfg *config.Config) int {
	a, err := start(ctx, cfg, nil)
	if err != nil {
		slog.Error("start-up failed", "err", err)
		return 1
	}
	serveErr := make(chan error, 1)
	startPprof(cfg.Ops.PprofAddr, a.log)
	setGCPercent(cfg.Ops.GCPercent)
	raiseProcs(cfg.Ops.MinGOMAXPROCS, a.log)
	if cfg.Ops.IdleMemoryTrim {
		stopTrim := make(chan struct{})
		defer close(stopTrim)
		startIdleTrim(stopTrim, a.log)
	}
	go func() { serveErr <- a.http.Serve(a.ln) }()
	a.log.Info("gamend is listening", "addr", a.ln.Addr().String(), "url", cfg.PublicURL(),
		"dialect", a.db.Dialect().Name(), "version", version)

	code := 0
	select {
	case <-ctx.Done():
		a.log.Info("shutting down")
	case err := <-serveErr:
		if err != nil {
			a.log.Error("HTTP server stopped", "err", err)
			code = 1
		}
	}
	if err := a.shutdown(); err != nil {
		a.log.Error("shutdown incomplete", "err", err)
		code = 1
	}
	return code
}

// start opens everything in dependency order; on error it closes what it
// opened. ln, when given, replaces listening on the configured port (tests).
func start(ctx context.Context, cfg *config.Config, ln net.Listener) (a *app, err error) {
	a = &app{cfg: cfg}
	a.log, a.logClose = newLogger(cfg)
	slog.SetDefault(a.log)
	defer func() {
		if err != nil {
			a.shutdown()
		}
	}()
	if used, err := cfg.EnsureDevSecret(cfg.DataDir); err != nil {
		return a, fmt.Errorf("development secret: %w", err)
	} else if used {
		a.log.Warn("!!! NO SECRET CONFIGURED: using a development secret stored in " + config.DevSecretPath(cfg.DataDir) +
			". Set GUARDIAN_SECRET_KEY and SECRET_KEY_BASE (and GAMEND_ENV=production) before going to production !!!")
	}
	if a.db, err = openDB(ctx, cfg); err != nil {
		return a, fmt.Errorf("database: %w", err)
	}
	shards := 1
	if a.db.Dialect().Name() == config.DialectPostgres {
		shards = max(1, min(4, cfg.DBPoolSize()/2))
	}
	a.queue = writebehind.New(a.db, writebehind.Options{
		MaxBatch:  cfg.WriteBehind.MaxBatch,
		MaxDelay:  cfg.WriteBehind.MaxDelay.Duration(),
		QueueSize: cfg.WriteBehind.QueueSize,
		Shards:    shards,
		OpTimeout: cfg.DB.QueryTimeout.Duration(),
		Logger:    a.log.With("component", "writebehind"),
	})

	rcfg := registry.Config{
		NodeID:         cfg.Cluster.NodeID,
		ListenAddr:     cfg.Cluster.ListenAddr,
		AdvertiseAddr:  cfg.Cluster.AdvertiseAddr,
		Seeds:          cfg.Cluster.Seeds,
		IdleTimeout:    cfg.Actors.IdleTimeout.Duration(),
		RequestTimeout: cfg.Actors.RequestTimeout.Duration(),
		Store:          a.queue,
		Logger:         a.log.With("component", "registry"),
	}
	if a.db.Dialect().Name() == config.DialectPostgres {
		rcfg.Discovery = registry.NewTableDiscovery(a.db, 10*time.Second)
	} else {
		// An SQLite node is never part of a cluster (config refuses seeds
		// and DNS discovery on SQLite): it runs without remoting.
		rcfg.Standalone, rcfg.AdvertiseAddr = true, ""
	}
	a.reg = registry.New(rcfg)
	// Token checks and user actor activation read users through a short
	// cache; writers on this node invalidate it, other nodes within 2 s.
	a.userCache = users.NewCache(2*time.Second, 200_000)
	registerKinds(a)
	if err := a.reg.Start(); err != nil {
		return a, err
	}

	ropts := restOptions(cfg, a.log)
	if ropts.RateLimit.Storage, err = rateLimitStorage(cfg); err != nil {
		return a, err
	}
	a.http = rest.New(ropts)
	mount(a)
	a.http.Finish()

	a.ln = ln
	if a.ln == nil {
		addr := cfg.HTTPListenAddr()
		if a.ln, err = net.Listen("tcp", addr); err != nil {
			return a, fmt.Errorf("listen on %s: %w", addr, err)
		}
	}
	return a, nil
}

// rateLimitStorage returns the shared counter store of
// RATE_LIMIT_BACKEND=redis, or nil for per-node counters.
func rateLimitStorage(cfg *config.Config) (st fiber.Storage, err error) {
	if cfg.RateLimit.Backend != "redis" {
		return nil, nil
	}
	defer func() {
		if r := recover(); r != nil { // the storage panics when Redis is unreachable
			err = fmt.Errorf("RATE_LIMIT_BACKEND=redis: cannot reach Redis: %v", r)
		}
	}()
	return redisstore.New(redisstore.Config{URL: cfg.RateLimitRedisURL()}), nil
}

func restOptions(cfg *config.Config, log *slog.Logger) rest.Options {
	access, on := config.SlogLevel(cfg.Log.AccessLevel)
	if !on {
		access = slog.LevelDebug - 8 // below any handler's level: never written
	}
	return rest.Options{
		Logger:         log.With("component", "http"),
		AccessLogLevel: access,
		Version:        firstNonEmpty(cfg.Ops.AppVersion, version),
		MaxBodyBytes:   int(cfg.HTTP.MaxBodyBytes),
		TrustedProxies: cfg.TrustedProxies(),
		ClientIPHeader: cfg.HTTP.ClientIPHeader,
		Origins:        cfg.AllowedOrigins(),
		MaxPageSize:    cfg.Limits.MaxPageSize,
		RateLimit: rest.RateLimits{
			GeneralLimit:  cfg.RateLimit.HTTPGeneralLimit,
			GeneralWindow: cfg.RateLimit.HTTPGeneralWindow.Duration(),
			AuthLimit:     cfg.RateLimit.HTTPAuthLimit,
			AuthWindow:    cfg.RateLimit.HTTPAuthWindow.Duration(),
			KeyPrefix:     cfg.RateLimit.RedisPrefix,
		},
		OpenAPIEnabled: func() bool { return cfg.Features.OpenAPI },
	}
}

// mailDrainTimeout bounds how long shutdown waits for queued e-mails, so
// a relay that is down cannot eat the time the store needs to flush.
const mailDrainTimeout = 10 * time.Second

// shutdown stops intake first and the store last: HTTP (no new requests,
// in-flight ones finish), the mail queue (drained for up to
// mailDrainTimeout; its workers still write tokens), actors (entities
// passivate and flush), the write-behind queue (drained), then the
// database.
func (a *app) shutdown() error {
	ctx, cancel := context.WithTimeout(context.Background(), a.cfg.HTTP.ShutdownTimeout.Duration())
	defer cancel()
	var errs []error
	if a.sweeper != nil {
		a.sweeper.Stop()
	}
	if a.socket != nil {
		errs = append(errs, a.socket.Shutdown(ctx)) // fiber does not wait for upgraded sockets
	}
	if a.http != nil {
		if a.ln != nil {
			errs = append(errs, a.http.Shutdown(ctx))
		}
	}
	if a.mail != nil {
		mctx, mcancel := context.WithTimeout(ctx, mailDrainTimeout)
		errs = append(errs, a.mail.Stop(mctx))
		mcancel()
	}
	if a.reg != nil {
		errs = append(errs, a.reg.Stop(ctx))
	}
	if a.queue != nil {
		errs = append(errs, a.queue.Close(ctx))
	}
	if a.db != nil {
		errs = append(errs, a.db.Close())
	}
	if a.log != nil {
		a.log.Info("shutdown complete")
	}
	if a.logClose != nil {
		a.logClose.Close()
	}
	return errors.Join(errs...)
}

func firstNonEmpty(s ...string) string {
	for _, v := range s {
		if v != "" {
			return v
		}
	}
	return ""
}
