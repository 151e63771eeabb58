package auth

import (
	"regexp"
	"slices"
	"strings"
	"testing"
)

// TestSlug checks the stem of OAuth usernames (API.md §2.3: slug of the
// provider display name).
func TestSlug(t *testing.T) {
	for _, tc := range []struct {
		in   string
		max  int
		want string
	}{
		{"Nelly Furtado", 25, "nelly-furtado"},
		{"  Gary   Oak  ", 25, "gary-oak"},
		{"Zoë O'Brien!!", 25, "zoe-o-brien"},
		{"Ünïcödé Çafé", 25, "unicode-cafe"},
		{"ＦＵＬＬ width", 25, "full-width"},
		{"player_1.two", 25, "player-1-two"},
		{"日本語の名前", 25, ""},
		{"---", 25, ""},
		{"", 25, ""},
		{"abcdefghij klmnopqrst uvwxyz0123456789", 25, "abcdefghij-klmnopqrst-uvw"},
		{"abcdefghij klmnopqrst u", 22, "abcdefghij-klmnopqrst"}, // no trailing separator
	} {
		got := Slug(tc.in, tc.max)
		if got != tc.want {
			t.Errorf("Slug(%q, %d) = %q, want %q", tc.in, tc.max, got, tc.want)
		}
		if len(got) > tc.max {
			t.Errorf("Slug(%q, %d) = %q is longer than %d", tc.in, tc.max, got, tc.max)
		}
	}
}

// TestCandidateUsername checks the generated usernames of API.md §2.3: the
// stem (a random word when empty) plus "-" and 4 random digits, 6 digits
// from the fourth attempt on (after 3 collisions), at most 32 characters,
// and always a valid username (§4.3).
func TestCandidateUsername(t *testing.T) {
	const max = 32
	stemOf := func(name string) string { return Slug(name, max-7) } // as CreateUser and OAuth sign-in do
	long := stemOf("Maximilian Alexander Featherstonehaugh-Smythe")
	for _, tc := range []struct {
		name    string
		stem    string
		attempt int
		pattern string
	}{
		{"random word, first try", "", 0, `^[a-z]+-\d{4}$`},
		{"random word, third try", "", 2, `^[a-z]+-\d{4}$`},
		{"random word after 3 collisions", "", 3, `^[a-z]+-\d{6}$`},
		{"random word, later tries", "", 19, `^[a-z]+-\d{6}$`},
		{"display name slug", stemOf("Nelly Furtado"), 0, `^nelly-furtado-\d{4}$`},
		{"display name slug, second try", stemOf("Nelly Furtado"), 1, `^nelly-furtado-\d{4}$`},
		{"display name slug after 3 collisions", stemOf("Nelly Furtado"), 3, `^nelly-furtado-\d{6}$`},
		{"long name, 4 digits", long, 0, `^` + long + `-\d{4}$`},
		{"long name, 6 digits fit in 32", long, 3, `^` + long + `-\d{6}$`},
		{"stem too long for the suffix is cut", strings.Repeat("a", 30), 0, `^a{27}-\d{4}$`},
		{"cut stem loses a trailing separator", strings.Repeat("a", 24) + "-bcdef", 3, `^a{24}-\d{6}$`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			re := regexp.MustCompile(tc.pattern)
			for range 50 { // random digits and words: many draws
				got := CandidateUsername(tc.stem, tc.attempt, max)
				if !re.MatchString(got) {
					t.Fatalf("CandidateUsername(%q, %d) = %q, want %s", tc.stem, tc.attempt, got, tc.pattern)
				}
				if len(got) > max || !ValidUsername(got, 3, max) {
					t.Fatalf("CandidateUsername(%q, %d) = %q is not a valid username of at most %d characters", tc.stem, tc.attempt, got, max)
				}
				if tc.stem == "" && !slices.Contains(words, got[:strings.LastIndexByte(got, '-')]) {
					t.Fatalf("%q does not start with a word of the list", got)
				}
			}
		})
	}
	if len(long) != max-7 {
		t.Fatalf("fixture: the long stem is %d characters, want %d", len(long), max-7)
	}
}
