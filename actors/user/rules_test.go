package user_test

import (
	"errors"
	"reflect"
	"strings"
	"testing"

	"github.com/gamend-go/gamend/actors/user"
	"github.com/gamend-go/gamend/auth"
	"github.com/gamend-go/gamend/persistence/users"
)

const fmtMsg = "only a-z, 0-9 and non-consecutive . _ - separators; must start and end alphanumeric"

func TestUsernameErrors(t *testing.T) {
	l := user.Limits{}
	tests := []struct {
		in   string
		want []string
	}{
		{"sheep-4821", nil},
		{"abc", nil},
		{"a.b_c-d", nil},
		{strings.Repeat("a", 32), nil},
		{"", []string{"can't be blank"}},
		{"ab", []string{"should be at least 3 character(s)"}},
		{strings.Repeat("a", 33), []string{"should be at most 32 character(s)"}},
		{"a!", []string{"should be at least 3 character(s)", fmtMsg}},
		{"-abc", []string{fmtMsg}},
		{"abc-", []string{fmtMsg}},
		{"a..b", []string{fmtMsg}},
		{"a-_b", []string{fmtMsg}},
		{"a b c", []string{fmtMsg}},
		{"ééé", []string{fmtMsg}},
		{"ABC", []string{fmtMsg}}, // callers normalize first
	}
	for _, tt := range tests {
		if got := user.UsernameErrors(tt.in, l); !reflect.DeepEqual(got, tt.want) {
			t.Errorf("UsernameErrors(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
	// Limits are configurable.
	if got := user.UsernameErrors("abcd", user.Limits{MinUsername: 5, MaxUsername: 6}); len(got) != 1 || got[0] != "should be at least 5 character(s)" {
		t.Errorf("custom limits: %q", got)
	}
}

// The profile rule and the account-creation rule of package auth must agree.
func TestUsernameRuleMatchesAuth(t *testing.T) {
	for _, u := range []string{"abc", "a.b", "a..b", "-ab", "ab-", "a_b-c.d", "ab", strings.Repeat("x", 33), "abc!", "0-0-0", "émile"} {
		ours := user.UsernameErrors(u, user.Limits{}) == nil
		if theirs := auth.ValidUsername(u, 3, 32); ours != theirs {
			t.Errorf("%q: profile rule %v, auth rule %v", u, ours, theirs)
		}
	}
}

func TestDisplayNameErrors(t *testing.T) {
	tests := []struct {
		in   string
		max  int
		want []string
	}{
		{"", 0, nil},
		{"  Bob  ", 0, nil}, // stored as given
		{strings.Repeat("é", 80), 0, nil},
		{strings.Repeat("é", 81), 0, []string{"should be at most 80 character(s)"}},
		{"abcdef", 5, []string{"should be at most 5 character(s)"}},
		{"bad\xffutf8", 0, []string{"is invalid"}},
	}
	for _, tt := range tests {
		if got := user.DisplayNameErrors(tt.in, user.Limits{MaxDisplayName: tt.max}); !reflect.DeepEqual(got, tt.want) {
			t.Errorf("DisplayNameErrors(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func TestMetadataErrors(t *testing.T) {
	tests := []struct {
		in   map[string]any
		max  int
		want []string
	}{
		{map[string]any{}, 0, nil},
		{map[string]any{"hat": "red"}, 0, nil},
		{map[string]any{"k": strings.Repeat("x", 20000)}, 0, []string{"is too large (max 16384 bytes)"}},
		{map[string]any{"k": "0123456789"}, 10, []string{"is too large (max 10 bytes)"}},
	}
	for _, tt := range tests {
		if got := user.MetadataErrors(tt.in, user.Limits{MaxMetadataSize: tt.max}); !reflect.DeepEqual(got, tt.want) {
			t.Errorf("MetadataErrors(%v) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func TestChangesValidate(t *testing.T) {
	s := func(v string) *string { return &v }
	ch := user.Changes{Username: s("Bad Name!"), DisplayName: s(strings.Repeat("x", 81))}.Normalize()
	if *ch.Username != "bad name!" {
		t.Fatalf("normalize: %q", *ch.Username)
	}
	err := ch.Validate(user.Limits{})
	verr, ok := err.(*user.ValidationError)
	if !ok {
		t.Fatalf("Validate = %v", err)
	}
	if len(verr.Fields["username"]) != 1 || len(verr.Fields["display_name"]) != 1 {
		t.Fatalf("fields %v", verr.Fields)
	}
	if err := (user.Changes{}).Validate(user.Limits{}); err != nil {
		t.Fatalf("empty changes: %v", err)
	}
	if !(user.Changes{}).Empty() || (user.Changes{Metadata: map[string]any{}}).Empty() {
		t.Fatal("Empty")
	}
}

func TestMatchesPrefix(t *testing.T) {
	r := &users.Row{Username: "sheep-4821", DisplayName: "Big Bob"}
	for q, want := range map[string]bool{"big": true, "BIG B": true, "sheep": true, "SHEEP-48": true, "bob": false, "4821": false} {
		if got := user.MatchesPrefix(r, q); got != want {
			t.Errorf("MatchesPrefix(%q) = %v, want %v", q, got, want)
		}
	}
}

// TestChangesRefusedNames: unsafe names are refused for everyone, reserved
// usernames for all but privileged (administrator) changes, and a refusal
// names only the refused fields.
func TestChangesRefusedNames(t *testing.T) {
	s := func(v string) *string { return &v }
	for _, tc := range []struct {
		name string
		ch   user.Changes
		want map[string][]string // nil = not refused
	}{
		{"plain", user.Changes{DisplayName: s("Bob"), Username: s("bob")}, nil},
		{"bidi display name", user.Changes{DisplayName: s("b\u202eob")}, map[string][]string{"display_name": {auth.MsgUnsafeName}}},
		{"escape in username", user.Changes{Username: s("\x1b[2J")}, map[string][]string{"username": {auth.MsgUnsafeName}}},
		{"reserved", user.Changes{Username: s("admin"), DisplayName: s("x")}, map[string][]string{"username": {auth.MsgReservedUsername}}},
		{"reserved, privileged", user.Changes{Username: s("admin"), Privileged: true}, nil},
		{"unsafe, privileged", user.Changes{DisplayName: s("a\u200bb"), Privileged: true}, map[string][]string{"display_name": {auth.MsgUnsafeName}}},
		{"both", user.Changes{Username: s("root"), DisplayName: s("\ufeff")}, map[string][]string{"username": {auth.MsgReservedUsername}, "display_name": {auth.MsgUnsafeName}}},
	} {
		err := tc.ch.Normalize().Validate(user.Limits{})
		var refused *user.RefusedNameError
		switch {
		case tc.want == nil && err != nil:
			t.Errorf("%s: %v", tc.name, err)
		case tc.want != nil && (!errors.As(err, &refused) || !reflect.DeepEqual(refused.Fields, tc.want)):
			t.Errorf("%s: %v, want refused %v", tc.name, err, tc.want)
		}
	}
}
