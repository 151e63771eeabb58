package views

import (
	"github.com/gamend-go/gamend/auth"
	"github.com/gamend-go/gamend/persistence/users"
)

// UserBrief is the compact public user of member lists (API.md §3).
type UserBrief struct {
	ID          string         `json:"id" format:"uuid"`
	Username    string         `json:"username"`
	DisplayName string         `json:"display_name"`
	ProfileURL  string         `json:"profile_url"`
	Metadata    map[string]any `json:"metadata"`
	IsOnline    bool           `json:"is_online"`
	IsActivated bool           `json:"is_activated"`
	LastSeenAt  string         `json:"last_seen_at" format:"date-time" doc:"1970-01-01T00:00:00Z when never seen"`
}

// NewUserBrief builds the UserBrief of r.
func NewUserBrief(r *users.Row) UserBrief {
	return UserBrief{
		ID:          r.ID,
		Username:    r.Username,
		DisplayName: r.DisplayName,
		ProfileURL:  r.ProfileURL,
		Metadata:    Map(r.Metadata),
		IsOnline:    r.IsOnline,
		IsActivated: r.IsActivated,
		LastSeenAt:  TimeOr(r.LastSeenAt, Epoch),
	}
}

// UserPublic is a user as the users search and show endpoints return it:
// UserBrief plus the current lobby and party ("" when none).
type UserPublic struct {
	UserBrief
	LobbyID string `json:"lobby_id" doc:"\"\" when not in a lobby"`
	PartyID string `json:"party_id" doc:"\"\" when not in a party"`
}

// NewUserPublic builds the UserPublic of r.
func NewUserPublic(r *users.Row) UserPublic {
	return UserPublic{UserBrief: NewUserBrief(r), LobbyID: r.LobbyID, PartyID: r.PartyID}
}

// MemberBrief is UserBrief plus user_id (= id), as channel member events
// carry it.
type MemberBrief struct {
	UserBrief
	UserID string `json:"user_id" format:"uuid"`
}

// NewMemberBrief builds the MemberBrief of r.
func NewMemberBrief(r *users.Row) MemberBrief {
	return MemberBrief{UserBrief: NewUserBrief(r), UserID: r.ID}
}

// LinkedProviders says which sign-in methods other than the password are
// linked to an account.
type LinkedProviders struct {
	Google   bool `json:"google"`
	Facebook bool `json:"facebook"`
	Discord  bool `json:"discord"`
	Apple    bool `json:"apple"`
	Steam    bool `json:"steam"`
	Device   bool `json:"device"`
}

// NewLinkedProviders reads the linked providers of r.
func NewLinkedProviders(r *users.Row) LinkedProviders {
	linked := func(p string) bool { return r.ProviderIDs[p] != "" }
	return LinkedProviders{
		Google:   linked("google"),
		Facebook: linked("facebook"),
		Discord:  linked("discord"),
		Apple:    linked("apple"),
		Steam:    linked("steam"),
		Device:   r.DeviceID != "",
	}
}

// SelfUser is the signed-in user's own view (GET /me and the user
// channel's "updated" push). It is the only user shape with the e-mail
// besides AdminUser; it says whether a password is set, never which.
type SelfUser struct {
	ID              string          `json:"id" format:"uuid"`
	Email           string          `json:"email" doc:"\"\" when the account has no e-mail"`
	Username        string          `json:"username"`
	DisplayName     string          `json:"display_name"`
	ProfileURL      string          `json:"profile_url"`
	Metadata        map[string]any  `json:"metadata"`
	LobbyID         string          `json:"lobby_id" doc:"\"\" when not in a lobby"`
	PartyID         string          `json:"party_id" doc:"\"\" when not in a party"`
	IsOnline        bool            `json:"is_online"`
	LastSeenAt      string          `json:"last_seen_at" format:"date-time"`
	LinkedProviders LinkedProviders `json:"linked_providers"`
	HasPassword     bool            `json:"has_password"`
}

// NewSelfUser builds the SelfUser of r.
func NewSelfUser(r *users.Row) SelfUser {
	return SelfUser{
		ID:              r.ID,
		Email:           r.Email,
		Username:        r.Username,
		DisplayName:     r.DisplayName,
		ProfileURL:      r.ProfileURL,
		Metadata:        Map(r.Metadata),
		LobbyID:         r.LobbyID,
		PartyID:         r.PartyID,
		IsOnline:        r.IsOnline,
		LastSeenAt:      TimeOr(r.LastSeenAt, Epoch),
		LinkedProviders: NewLinkedProviders(r),
		HasPassword:     r.HasPassword(),
	}
}

// AdminUser is a user as the admin API returns it.
type AdminUser struct {
	ID          string         `json:"id" format:"uuid"`
	Email       string         `json:"email"`
	Username    string         `json:"username"`
	DisplayName string         `json:"display_name"`
	IsAdmin     bool           `json:"is_admin"`
	IsActivated bool           `json:"is_activated"`
	Metadata    map[string]any `json:"metadata"`
	LobbyID     string         `json:"lobby_id"`
	PartyID     string         `json:"party_id"`
	IsOnline    bool           `json:"is_online"`
	LastSeenAt  string         `json:"last_seen_at" format:"date-time"`
	InsertedAt  string         `json:"inserted_at" format:"date-time"`
	UpdatedAt   string         `json:"updated_at" format:"date-time"`
}

// NewAdminUser builds the AdminUser of r.
func NewAdminUser(r *users.Row) AdminUser {
	return AdminUser{
		ID:          r.ID,
		Email:       r.Email,
		Username:    r.Username,
		DisplayName: r.DisplayName,
		IsAdmin:     r.IsAdmin,
		IsActivated: r.IsActivated,
		Metadata:    Map(r.Metadata),
		LobbyID:     r.LobbyID,
		PartyID:     r.PartyID,
		IsOnline:    r.IsOnline,
		LastSeenAt:  TimeOr(r.LastSeenAt, Epoch),
		InsertedAt:  Time(r.InsertedAt),
		UpdatedAt:   Time(r.UpdatedAt),
	}
}

// AdminSession is a browser session as the admin API lists it.
type AdminSession struct {
	ID              string  `json:"id" format:"uuid"`
	UserID          string  `json:"user_id" format:"uuid"`
	Username        string  `json:"username"`
	DisplayName     string  `json:"display_name"`
	UserEmail       string  `json:"user_email"`
	Context         string  `json:"context" example:"session"`
	InsertedAt      string  `json:"inserted_at" format:"date-time"`
	AuthenticatedAt *string `json:"authenticated_at" format:"date-time" nullable:"true"`
}

// NewAdminSession builds the AdminSession of s.
func NewAdminSession(s auth.SessionInfo) AdminSession {
	return AdminSession{
		ID:              s.ID,
		UserID:          s.UserID,
		Username:        s.Username,
		DisplayName:     s.DisplayName,
		UserEmail:       s.UserEmail,
		Context:         s.Context,
		InsertedAt:      Time(s.InsertedAt),
		AuthenticatedAt: TimePtr(s.AuthenticatedAt),
	}
}
