package main

import (
	"github.com/gamend-go/gamend/actors/user"
)

// mountUsers builds the profile service of the user domain and registers
// /me, /users and the admin user and session routes. Call it after the
// auth service exists. Account changes made by auth (password, device,
// providers) are routed into the profile service's single notification
// point, so realtime subscribers only subscribe to profiles.OnUpdated.
func mountUsers(a *app) *user.Profiles {
	cfg := a.cfg
	profiles := user.NewProfiles(a.queue, user.Options{
		Limits: user.Limits{
			MaxDisplayName:  cfg.Limits.MaxDisplayName,
			MinUsername:     cfg.Limits.MinUsername,
			MaxUsername:     cfg.Limits.MaxUsername,
			MaxMetadataSize: cfg.Limits.MaxMetadataSize,
		},
		Logger: a.log.With("component", "users"),
	})
	prev := a.auth.OnUserChanged
	a.auth.OnUserChanged = func(userID string) {
		if prev != nil {
			prev(userID)
		}
		profiles.NotifyUpdated(userID)
	}
	a.http.MountMe(a.auth, profiles)
	a.http.MountUsers(profiles, func() bool { return cfg.Features.ListUsers })
	a.http.MountAdminUsers(a.auth, profiles)
	return profiles
}
