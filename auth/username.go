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
// random word when empty) plus "-" and 4 random digits, 6 after three
// collisions, trimmed to maxLen.
func CandidateUsername(stem string, attempt, maxLen int) string {
	if stem == "" {
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
