package main

import (
	"context"

	"github.com/gamend-go/gamend/actors/user"
	"github.com/gamend-go/gamend/transport/channels"
	"github.com/gamend-go/gamend/transport/phoenix"
)

// registerKinds registers every entity kind with the registry (before it
// starts): user actors, and the node handler of user channels.
func registerKinds(a *app) {
	a.userChannels = channels.NewUsers(a.reg, a.db, a.log.With("component", "channels"))
	a.presence = user.NewPresence(user.PresenceOptions{Deliverer: a.userChannels, Resync: a.userChannels.Resync,
		Grace: a.cfg.Realtime.PresenceGrace.Duration(), Cache: a.userCache})
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
		Logger:            a.log.With("component", "socket"),
	}, phoenix.AuthenticatorFunc(func(ctx context.Context, token string) (string, error) {
		u, err := a.auth.Authenticate(ctx, token)
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
	a.sweeper = user.StartSweeper(a.queue, user.SweeperOptions{Logger: a.log.With("component", "presence")})
}
