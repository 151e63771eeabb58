package user

import (
	"encoding/json"
	"fmt"
	"regexp"
	"strings"
	"unicode/utf8"

	"github.com/gamend-go/gamend/auth"
	"github.com/gamend-go/gamend/persistence/users"
)

// Limits are the profile rules of API.md §4.3/§11 (LIMIT_*). Zero values
// take the contract defaults.
type Limits struct {
	MaxDisplayName  int // LIMIT_MAX_DISPLAY_NAME, 80
	MinUsername     int // LIMIT_MIN_USERNAME, 3
	MaxUsername     int // LIMIT_MAX_USERNAME, 32
	MaxMetadataSize int // LIMIT_MAX_METADATA_SIZE in bytes of JSON, 16384
}

func (l *Limits) defaults() {
	if l.MaxDisplayName <= 0 {
		l.MaxDisplayName = 80
	}
	if l.MinUsername <= 0 {
		l.MinUsername = 3
	}
	if l.MaxUsername <= 0 {
		l.MaxUsername = 32
	}
	if l.MaxMetadataSize <= 0 {
		l.MaxMetadataSize = 16384
	}
}

// Validation messages (upstream's changeset wording).
const (
	msgBlank          = "can't be blank"
	msgTaken          = "has already been taken"
	msgInvalid        = "is invalid"
	msgUsernameFormat = "only a-z, 0-9 and non-consecutive . _ - separators; must start and end alphanumeric"
)

// usernameRE is the username rule of API.md §4.3 (the same one
// auth.ValidUsername applies when accounts are created).
var usernameRE = regexp.MustCompile(`^[a-z0-9](?:[._-]?[a-z0-9])*$`)

// NormalizeUsername is what a requested username is stored as: lower-cased,
// nothing else (no trimming, as upstream).
func NormalizeUsername(s string) string { return strings.ToLower(s) }

// UsernameErrors returns the problems of a normalized username, all of them
// (length and format are both reported), or nil when it is valid.
func UsernameErrors(u string, l Limits) []string {
	l.defaults()
	if u == "" {
		return []string{msgBlank}
	}
	var out []string
	n := utf8.RuneCountInString(u)
	if n < l.MinUsername {
		out = append(out, fmt.Sprintf("should be at least %d character(s)", l.MinUsername))
	}
	if n > l.MaxUsername {
		out = append(out, fmt.Sprintf("should be at most %d character(s)", l.MaxUsername))
	}
	if !usernameRE.MatchString(u) {
		out = append(out, msgUsernameFormat)
	}
	return out
}

// DisplayNameErrors returns the problems of a display name: at most
// MaxDisplayName characters; "" is allowed. It is stored as given.
func DisplayNameErrors(name string, l Limits) []string {
	l.defaults()
	if utf8.RuneCountInString(name) > l.MaxDisplayName {
		return []string{fmt.Sprintf("should be at most %d character(s)", l.MaxDisplayName)}
	}
	if !utf8.ValidString(name) {
		return []string{msgInvalid}
	}
	return nil
}

// MetadataErrors returns the problems of a metadata map: its JSON encoding
// must fit MaxMetadataSize bytes.
func MetadataErrors(m map[string]any, l Limits) []string {
	l.defaults()
	b, err := json.Marshal(m)
	if err != nil {
		return []string{msgInvalid}
	}
	if len(b) > l.MaxMetadataSize {
		return []string{fmt.Sprintf("is too large (max %d bytes)", l.MaxMetadataSize)}
	}
	return nil
}

// Changes are the profile fields a caller wants to set; nil fields stay as
// they are. /me routes set one player field; the admin API sets any.
type Changes struct {
	DisplayName *string
	Username    *string
	IsAdmin     *bool
	IsActivated *bool
	// Metadata replaces the whole map when non-nil ({} clears it).
	Metadata map[string]any
	// Privileged marks a change made by an administrator (the admin API,
	// or an administrator's own profile): it may set a reserved username.
	Privileged bool
}

// Empty reports whether c changes nothing.
func (c Changes) Empty() bool {
	return c.DisplayName == nil && c.Username == nil && c.IsAdmin == nil && c.IsActivated == nil && c.Metadata == nil
}

// Normalize returns c with the username lower-cased.
func (c Changes) Normalize() Changes {
	if c.Username != nil {
		u := NormalizeUsername(*c.Username)
		c.Username = &u
	}
	return c
}

// Validate checks every set field against l. A spoofing name is a
// *RefusedNameError naming only the refused fields (RefusedNames); any
// other problem is a *ValidationError listing them all; else nil.
func (c Changes) Validate(l Limits) error {
	if err := c.RefusedNames(); err != nil {
		return err
	}
	v := &ValidationError{}
	if c.DisplayName != nil {
		v.add("display_name", DisplayNameErrors(*c.DisplayName, l)...)
	}
	if c.Username != nil {
		v.add("username", UsernameErrors(*c.Username, l)...)
	}
	if c.Metadata != nil {
		v.add("metadata", MetadataErrors(c.Metadata, l)...)
	}
	return v.orNil()
}

// RefusedNames returns a *RefusedNameError when a set display name or
// username holds a character names must not hold (auth.SafeName), or the
// username is reserved (auth.ReservedUsername) and c is not Privileged;
// else nil. Administrators may take reserved usernames, but no one may
// set an unsafe name.
func (c Changes) RefusedNames() error {
	v := &ValidationError{}
	if c.DisplayName != nil && !auth.SafeName(*c.DisplayName) {
		v.add("display_name", auth.MsgUnsafeName)
	}
	if c.Username != nil {
		switch {
		case !auth.SafeName(*c.Username):
			v.add("username", auth.MsgUnsafeName)
		case !c.Privileged && auth.ReservedUsername(*c.Username):
			v.add("username", auth.MsgReservedUsername)
		}
	}
	if len(v.Fields) == 0 {
		return nil
	}
	return &RefusedNameError{Fields: v.Fields}
}

// MatchesPrefix reports whether the public search for q finds r by its
// text fields: display name or username starting with q, ignoring case.
func MatchesPrefix(r *users.Row, q string) bool {
	lq := strings.ToLower(q)
	return strings.HasPrefix(strings.ToLower(r.DisplayName), lq) || strings.HasPrefix(strings.ToLower(r.Username), lq)
}
