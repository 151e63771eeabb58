package main

import (
	"context"

	"github.com/gamend-go/gamend/actors/notifications"
	"github.com/gamend-go/gamend/auth"
)

// mount builds the services and registers every feature's HTTP routes.
func mount(a *app) {
	cfg := a.cfg
	a.auth = auth.NewService(a.queue, auth.NewTokens(cfg.JWTSecret()), auth.Options{
		MinPasswordLength: cfg.Auth.MinPasswordLength,
		RequireActivation: cfg.Auth.RequireAccountActivation,
		DeviceAuthEnabled: func() bool { return cfg.Auth.DeviceAuthEnabled },
		MinUsername:       cfg.Limits.MinUsername,
		MaxUsername:       cfg.Limits.MaxUsername,
		MaxEmail:          cfg.Limits.MaxEmail,
		MaxDeviceID:       cfg.Limits.MaxDeviceID,
		MaxDisplayName:    cfg.Limits.MaxDisplayName,
	})
	a.auth.SetUserCache(a.userCache)
	a.http.MountAuth(a.auth)
	mountOAuth(a)
	a.users = mountUsers(a)
	w := mountWeb(a)
	// API.md §4.15: an administrator activating an account e-mails its
	// owner (kept in the development mailbox when SMTP is not configured).
	a.users.OnActivated(w.NotifyActivated)

	a.notifications = notifications.New(a.queue, notifications.Limits{
		MaxTitle:        cfg.Limits.MaxNotificationTitle,
		MaxContent:      cfg.Limits.MaxNotificationContent,
		MaxPerUser:      cfg.Limits.MaxNotificationsPerUser,
		MaxMetadataSize: cfg.Limits.MaxMetadataSize,
	})
	a.notifications.SetNameLookup(func(ctx context.Context, id string) string {
		if u, err := a.userCache.Get(ctx, a.db, id); err == nil {
			return u.DisplayName
		}
		return ""
	})
	a.http.MountNotifications(a.notifications)
	mountRealtime(a)
}
