package main

import (
	"context"

	"github.com/redis/go-redis/v9"

	"github.com/gamend-go/gamend/actors/user"
	"github.com/gamend-go/gamend/hooks"
	"github.com/gamend-go/gamend/transport/channels"
	"github.com/gamend-go/gamend/transport/phoenix"
)

// registerKinds registers every entity kind with the registry (before it
// starts): user actors, and the node handler of user channels.
func registerKinds(a *app) {
	a.userChannels = channels.NewUsers(a.reg, a.db, a.log.With("component", "channels"))
	a.presence = user.NewPresence(user.PresenceOptions{Deliverer: a.userChannels, Resync: a.userChannels.Resync,
		Grace: a.cfg.Realtime.PresenceGrace.Duration(), Cache: a.userCache, Logger: a.log.With("component", "presence")})
	a.presence.Attach(a.reg)
	a.reg.Register(a.presence.Kind())
	a.userChannels.RegisterNode()
}

// mountRealtime joins the domain to the socket: notifications and profile
// changes reach user actors, and /socket/websocket serves the channels.
// Call after the services exist and before Finish.
func mountRealtime(a *app) {
	cfg := a.cfg
	a.userChannels.SetNotifications(a.notifications)
	a.userChannels.SetDebounce(cfg.Realtime.Debounce.Duration())
	// call_hook goes to the hooks package; until a plugin runtime is
	// configured that is hooks.None (not_implemented).
	a.userChannels.SetHooks(hooks.None{}, cfg.Limits.MaxHookArgsCount, cfg.Limits.MaxHookArgsSize)
	a.notifications.SetPusher(a.presence)
	a.users.OnUpdated(func(id string) {
		a.userCache.Invalidate(id)
		a.presence.ProfileChanged(id)
	})

	origins := cfg.AllowedOrigins()
	check := origins.Match
	if origins.Any() && cfg.HTTP.AllowedOrigins == "" {
		check = phoenix.SameHost(cfg.HTTP.Host)
	}
	router := phoenix.NewRouter().Handle("user:*", a.userChannels)
	a.socket = phoenix.Mount(a.http.App, phoenix.Config{
		CheckOrigin:       check,
		MaxSocketsPerUser: cfg.Limits.MaxSocketsPerUser,
		PushLimit:         cfg.RateLimit.WSLimit,
		PushWindow:        cfg.RateLimit.WSWindow.Duration(),
		PushBudget:        pushBudget(a),
		Logger:            a.log.With("component", "socket"),
	}, phoenix.AuthenticatorFunc(func(ctx context.Context, token string) (string, error) {
		u, err := a.auth.AuthenticateOnce(ctx, token)
		if err != nil {
			return "", err
		}
		return u.ID, nil
	}), router)
	a.userChannels.SetSocketCloser(a.socket.DisconnectUser)
	a.users.OnDeleted(func(id string) {
		a.userCache.Invalidate(id)
		a.userChannels.DisconnectUser(id)
	})
	prevRevoked := a.auth.OnTokensRevoked
	a.auth.OnTokensRevoked = func(userID string) {
		if prevRevoked != nil {
			prevRevoked(userID)
		}
		a.userChannels.DisconnectUser(userID)
	}
	a.sweeper = user.StartSweeper(a.queue, user.SweeperOptions{Presence: a.presence, Logger: a.log.With("component", "presence")})
}

// pushBudget shares the WebSocket push budget between nodes when
// RATE_LIMIT_BACKEND=redis (API.md §7), on the Redis connection of the
// HTTP limiter (RATE_LIMIT_REDIS_URL → CACHE_REDIS_URL → REDIS_URL, keys
// under RATE_LIMIT_REDIS_PREFIX); nil counts per node.
func pushBudget(a *app) phoenix.PushBudget {
	rl := a.cfg.RateLimit
	if rl.Backend != "redis" {
		return nil
	}
	st, ok := a.http.Options().RateLimit.Storage.(interface{ Conn() redis.UniversalClient })
	if !ok {
		a.log.Warn("RATE_LIMIT_BACKEND=redis but the rate-limit storage is not Redis: the WebSocket push budget counts per node")
		return nil
	}
	return phoenix.NewRedisBudget(st.Conn(), rl.RedisPrefix, rl.WSLimit, rl.WSWindow.Duration())
}
