package auth

import (
	"crypto/rand"
	"math/big"
	"regexp"
	"strconv"
	"strings"
	"unicode"

	"golang.org/x/text/unicode/norm"
)

// Username rules (API.md §4.3): lower-case, 3–32 characters, letters and
// digits separated by single '.', '_' or '-'.
var usernameRE = regexp.MustCompile(`^[a-z0-9](?:[._-]?[a-z0-9])*$`)

// ValidUsername reports whether u (already lower-cased) satisfies the rules
// with the given length bounds.
func ValidUsername(u string, minLen, maxLen int) bool {
	return len(u) >= minLen && len(u) <= maxLen && usernameRE.MatchString(u)
}

// Messages of the name rules (field errors).
const (
	MsgUnsafeName       = "must not contain control, bidirectional-override or zero-width characters"
	MsgReservedUsername = "is reserved"
)

// UnsafeNameRune reports whether r must never appear in a display name or
// a username, because it lets a name impersonate another or mangle what
// other players see: C0 controls, DEL and C1 controls (terminal escape
// sequences among them), the bidirectional controls (U+061C, U+200E,
// U+200F, U+202A–U+202E, U+2066–U+2069), the zero-width characters
// (U+200B–U+200D, U+2060, U+FEFF), and the line and paragraph separators
// U+2028/U+2029.
func UnsafeNameRune(r rune) bool {
	switch {
	case r < 0x20, r >= 0x7f && r <= 0x9f: // C0, DEL, C1
		return true
	case r == 0x061c, r == 0x200e, r == 0x200f, r >= 0x202a && r <= 0x202e, r >= 0x2066 && r <= 0x2069: // bidi
		return true
	case r >= 0x200b && r <= 0x200d, r == 0x2060, r == 0xfeff: // zero-width
		return true
	case r == 0x2028, r == 0x2029:
		return true
	}
	return false
}

// SafeName reports whether s holds no UnsafeNameRune.
func SafeName(s string) bool {
	return strings.IndexFunc(s, UnsafeNameRune) < 0
}

// StripUnsafeName is s without its unsafe runes, for names that come from
// elsewhere (an OAuth provider) and must not fail a sign-in: whitespace
// controls (tab, newline, …) and the separators become spaces, the others
// are dropped, and the result is trimmed.
func StripUnsafeName(s string) string {
	if SafeName(s) {
		return s
	}
	return strings.TrimSpace(strings.Map(func(r rune) rune {
		switch {
		case r == '\t', r == '\n', r == '\v', r == '\f', r == '\r', r == 0x85, r == 0x2028, r == 0x2029:
			return ' '
		case UnsafeNameRune(r):
			return -1
		}
		return r
	}, s))
}

// reservedUsernames may be taken by administrators only.
var reservedUsernames = map[string]bool{
	"admin": true, "administrator": true, "root": true, "system": true, "support": true, "moderator": true,
	"mod": true, "gamend": true, "staff": true, "official": true, "security": true, "help": true,
	"null": true, "undefined": true, "server": true, "api": true,
}

// ReservedUsername reports whether u names one of the reserved accounts
// (admin, administrator, root, system, support, moderator, mod, gamend,
// staff, official, security, help, null, undefined, server, api): compared
// lower-cased, as usernames are stored, and without the separators . _ -,
// so "Sup.Port" and "a-d-m-i-n" are reserved too. Only administrators may
// take such a name.
func ReservedUsername(u string) bool {
	u = strings.ToLower(u)
	if reservedUsernames[u] {
		return true
	}
	return reservedUsernames[strings.Map(func(r rune) rune {
		if r == '.' || r == '_' || r == '-' {
			return -1
		}
		return r
	}, u)]
}

var words = strings.Fields(`sheep otter panda tiger eagle falcon wolf fox bear lynx raven heron crane koala lemur
	badger bison camel cobra coyote dingo dolphin gecko gorilla hawk hippo husky ibis jackal jaguar kiwi
	llama mamba marmot moose newt ocelot orca osprey parrot pelican penguin puma quail rabbit rhino robin
	salmon seal shark sloth snail sparrow squid stork swan tapir toucan turtle viper walrus whale wombat yak zebra`)

// Slug turns a display name into a username stem: ASCII letters and digits,
// separators collapsed to '-', at most maxLen characters; "" if nothing is
// left.
func Slug(s string, maxLen int) string {
	var b strings.Builder
	sep := false
	for _, r := range norm.NFKD.String(strings.ToLower(s)) {
		switch {
		case r < unicode.MaxASCII && (unicode.IsLetter(r) || unicode.IsDigit(r)):
			if sep && b.Len() > 0 {
				b.WriteByte('-')
			}
			sep = false
			b.WriteRune(r)
		case unicode.Is(unicode.Mn, r):
			// drop combining marks (é -> e)
		default:
			sep = true
		}
		if b.Len() >= maxLen {
			break
		}
	}
	out := b.String()
	if len(out) > maxLen {
		out = out[:maxLen]
	}
	return strings.Trim(out, "-")
}

// CandidateUsername makes the attempt-th username candidate: the stem (a
// random word when empty or reserved) plus "-" and 4 random digits, 6
// after three collisions, trimmed to maxLen. A candidate is never a
// reserved username, nor one spelled from a reserved stem ("admin-1234").
func CandidateUsername(stem string, attempt, maxLen int) string {
	if stem == "" || ReservedUsername(stem) {
		stem = words[randInt(len(words))]
	}
	digits := 4
	if attempt >= 3 {
		digits = 6
	}
	suffix := "-" + pad(randInt(pow10(digits)), digits)
	if len(stem)+len(suffix) > maxLen {
		stem = strings.TrimRight(stem[:maxLen-len(suffix)], "-._")
	}
	return stem + suffix
}

func randInt(n int) int {
	v, err := rand.Int(rand.Reader, big.NewInt(int64(n)))
	if err != nil {
		panic(err)
	}
	return int(v.Int64())
}

func pow10(n int) int {
	p := 1
	for range n {
		p *= 10
	}
	return p
}

func pad(v, width int) string {
	s := strconv.Itoa(v)
	for len(s) < width {
		s = "0" + s
	}
	return s
}

func itoa(n int) string { return strconv.Itoa(n) }
