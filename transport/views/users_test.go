package views_test

import (
	"encoding/json"
	"reflect"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/gamend-go/gamend/auth"
	"github.com/gamend-go/gamend/persistence/users"
	"github.com/gamend-go/gamend/transport/views"
)

func keys(t *testing.T, v any) string {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	var m map[string]any
	if err := json.Unmarshal(b, &m); err != nil {
		t.Fatal(err)
	}
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return strings.Join(out, ",")
}

func sorted(s string) string {
	f := strings.Split(s, ",")
	for i := range f {
		f[i] = strings.TrimSpace(f[i])
	}
	sort.Strings(f)
	return strings.Join(f, ",")
}

// A row with every column set, including the ones no shape may show.
func fullRow() *users.Row {
	seen := time.Date(2026, 1, 15, 10, 30, 0, 999999000, time.FixedZone("CET", 3600))
	confirmed := seen
	return &users.Row{
		ID: "0198c0de-0002-7000-8000-000000000002", Email: "a@example.com", HashedPassword: "$2a$12$secret",
		ConfirmedAt: &confirmed, Username: "sheep-4821", DisplayName: "Sheep", ProfileURL: "https://x/a.png",
		ProviderIDs: map[string]string{"discord": "d-secret", "steam": "s-secret"}, DeviceID: "dev-secret",
		IsAdmin: true, IsActivated: true, Metadata: map[string]any{"hat": "red"}, LobbyID: "lobby-1", PartyID: "",
		IsOnline: true, LastSeenAt: &seen, TokenVersion: 7,
		InsertedAt: time.Date(2025, 12, 31, 23, 59, 59, 500000000, time.UTC), UpdatedAt: seen,
	}
}

// TestFieldSets pins every shape to exactly the fields of API.md §3.
func TestFieldSets(t *testing.T) {
	r := fullRow()
	tests := []struct {
		name string
		v    any
		want string
	}{
		{"UserBrief", views.NewUserBrief(r), "id, username, display_name, profile_url, metadata, is_online, is_activated, last_seen_at"},
		{"UserPublic", views.NewUserPublic(r), "id, username, display_name, profile_url, metadata, is_online, is_activated, last_seen_at, lobby_id, party_id"},
		{"MemberBrief", views.NewMemberBrief(r), "id, username, display_name, profile_url, metadata, is_online, is_activated, last_seen_at, user_id"},
		{"SelfUser", views.NewSelfUser(r), "id, email, username, display_name, profile_url, metadata, lobby_id, party_id, is_online, last_seen_at, linked_providers, has_password"},
		{"AdminUser", views.NewAdminUser(r), "id, email, username, display_name, is_admin, is_activated, metadata, lobby_id, party_id, is_online, last_seen_at, inserted_at, updated_at"},
		{"AdminSession", views.NewAdminSession(auth.SessionInfo{}), "id, user_id, username, display_name, user_email, context, inserted_at, authenticated_at"},
		{"LinkedProviders", views.NewLinkedProviders(r), "google, facebook, discord, apple, steam, device"},
	}
	for _, tt := range tests {
		if got := keys(t, tt.v); got != sorted(tt.want) {
			t.Errorf("%s fields\n got %s\nwant %s", tt.name, got, sorted(tt.want))
		}
		b, _ := json.Marshal(tt.v)
		for _, secret := range []string{"$2a$", "d-secret", "s-secret", "dev-secret", "token_version", "hashed"} {
			if strings.Contains(string(b), secret) {
				t.Errorf("%s leaks %q: %s", tt.name, secret, b)
			}
		}
	}
}

func TestValues(t *testing.T) {
	r := fullRow()
	self := views.NewSelfUser(r)
	if self.LastSeenAt != "2026-01-15T09:30:00Z" || self.Email != "a@example.com" || !self.HasPassword || self.PartyID != "" || self.LobbyID != "lobby-1" {
		t.Errorf("self %+v", self)
	}
	if want := (views.LinkedProviders{Discord: true, Steam: true, Device: true}); self.LinkedProviders != want {
		t.Errorf("linked %+v", self.LinkedProviders)
	}
	admin := views.NewAdminUser(r)
	if admin.InsertedAt != "2025-12-31T23:59:59Z" || admin.UpdatedAt != "2026-01-15T09:30:00Z" {
		t.Errorf("admin times %s %s", admin.InsertedAt, admin.UpdatedAt)
	}

	bare := &users.Row{ID: "x", InsertedAt: time.Unix(0, 0), UpdatedAt: time.Unix(0, 0)}
	for name, v := range map[string]any{"brief": views.NewUserBrief(bare), "self": views.NewSelfUser(bare), "admin": views.NewAdminUser(bare)} {
		b, _ := json.Marshal(v)
		s := string(b)
		for _, want := range []string{`"metadata":{}`, `"last_seen_at":"1970-01-01T00:00:00Z"`} {
			if !strings.Contains(s, want) {
				t.Errorf("%s: %s lacks %s", name, s, want)
			}
		}
		if strings.Contains(s, "null") {
			t.Errorf("%s has a null: %s", name, s)
		}
	}
	if !reflect.DeepEqual(views.NewSelfUser(bare).LinkedProviders, views.LinkedProviders{}) {
		t.Error("bare row has linked providers")
	}

	at := time.Date(2026, 2, 3, 4, 5, 6, 0, time.UTC)
	s := views.NewAdminSession(auth.SessionInfo{ID: "s", InsertedAt: at})
	if b, _ := json.Marshal(s); !strings.Contains(string(b), `"authenticated_at":null`) || !strings.Contains(string(b), `"inserted_at":"2026-02-03T04:05:06Z"`) {
		t.Errorf("session %s", b)
	}
	s = views.NewAdminSession(auth.SessionInfo{AuthenticatedAt: &at})
	if s.AuthenticatedAt == nil || *s.AuthenticatedAt != "2026-02-03T04:05:06Z" {
		t.Errorf("authenticated_at %v", s.AuthenticatedAt)
	}
}

func TestTime(t *testing.T) {
	tests := []struct {
		in   time.Time
		want string
	}{
		{time.Date(2026, 1, 15, 10, 30, 0, 0, time.UTC), "2026-01-15T10:30:00Z"},
		{time.Date(2026, 1, 15, 10, 30, 0, 999999999, time.UTC), "2026-01-15T10:30:00Z"}, // truncated, not rounded
		{time.Date(2026, 1, 1, 0, 30, 0, 0, time.FixedZone("X", 3600)), "2025-12-31T23:30:00Z"},
		{time.Unix(0, 0), views.Epoch},
		{time.Date(9, 2, 3, 4, 5, 6, 0, time.UTC), "0009-02-03T04:05:06Z"},
		{time.Date(9999, 12, 31, 23, 59, 59, 0, time.UTC), "9999-12-31T23:59:59Z"},
		{time.Date(10000, 1, 1, 0, 0, 0, 0, time.UTC), "10000-01-01T00:00:00Z"},
	}
	for _, tt := range tests {
		if got := views.Time(tt.in); got != tt.want {
			t.Errorf("Time(%v) = %s, want %s", tt.in, got, tt.want)
		}
	}
	// The hand-written digits match the layout everywhere in range.
	for sec := int64(-62135596800); sec < 253402300800; sec += 86400*97 + 3671 {
		tm := time.Unix(sec, 0)
		if got, want := views.Time(tm), tm.UTC().Format(views.TimeLayout); got != want {
			t.Fatalf("Time(%d) = %s, want %s", sec, got, want)
		}
	}
	if views.TimeOr(nil, "fallback") != "fallback" || views.TimePtr(nil) != nil {
		t.Error("nil handling")
	}
}
