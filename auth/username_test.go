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

// TestUnsafeNameRune checks every character class names must not hold, and
// that ordinary letters, marks, scripts, emoji and spaces are fine.
func TestUnsafeNameRune(t *testing.T) {
	unsafe := []rune{0x00, 0x01, 0x09, 0x0a, 0x0d, 0x1b, 0x1f, 0x7f, 0x80, 0x85, 0x9b, 0x9f,
		0x061c, 0x200e, 0x200f, 0x202a, 0x202b, 0x202c, 0x202d, 0x202e, 0x2066, 0x2067, 0x2068, 0x2069,
		0x200b, 0x200c, 0x200d, 0x2060, 0xfeff, 0x2028, 0x2029}
	for _, r := range unsafe {
		if !UnsafeNameRune(r) {
			t.Errorf("U+%04X is not refused", r)
		}
	}
	for _, r := range []rune{' ', 'a', 'Z', '0', '~', 0xa0, 0xe9, 0x0301, 0x05d0, 0x0627, 0x65e5, 0x1f3ae, 0x200a, 0x2010, 0x206a, 0xfe0f, 0xfefe, 0xff21} {
		if UnsafeNameRune(r) {
			t.Errorf("U+%04X is refused", r)
		}
	}
}

func TestSafeNameAndStrip(t *testing.T) {
	for _, tc := range []struct {
		in    string
		safe  bool
		strip string
	}{
		{"Zoë O'Brien", true, "Zoë O'Brien"},
		{"  spaced  ", true, "  spaced  "}, // safe names are left alone
		{"日本語 🎮", true, "日本語 🎮"},
		{"", true, ""},
		{"admin\u202egpj.exe", false, "admingpj.exe"},
		{"ad\u200bmin", false, "admin"},
		{"\ufeffBob\u200d", false, "Bob"},
		{"\x1b[31mRed\x1b[0m", false, "[31mRed[0m"},
		{"two\nlines\tand\u2028more", false, "two lines and more"},
		{"a\u0085b\u009bc", false, "a bc"},
		{"\u2066\u2069", false, ""},
	} {
		if got := SafeName(tc.in); got != tc.safe {
			t.Errorf("SafeName(%q) = %v, want %v", tc.in, got, tc.safe)
		}
		got := StripUnsafeName(tc.in)
		if got != tc.strip {
			t.Errorf("StripUnsafeName(%q) = %q, want %q", tc.in, got, tc.strip)
		}
		if !SafeName(got) {
			t.Errorf("StripUnsafeName(%q) = %q is not safe", tc.in, got)
		}
	}
}

func TestReservedUsername(t *testing.T) {
	for _, u := range []string{"admin", "administrator", "root", "system", "support", "moderator", "mod", "gamend", "staff",
		"official", "security", "help", "null", "undefined", "server", "api",
		"ADMIN", "Root", "sup.port", "a-d-m-i-n", "s_y_s_t_e_m", "Ad.Min", "m-o-d"} {
		if !ReservedUsername(u) {
			t.Errorf("%q is not reserved", u)
		}
	}
	for _, u := range []string{"admins", "admin-1234", "sheep-4821", "modest", "rooty", "help-desk", "apis", "api2", "server-room", "nullable", ""} {
		if ReservedUsername(u) {
			t.Errorf("%q is reserved", u)
		}
	}
}

// TestCandidateUsernameNeverReserved: generated usernames (device and
// OAuth sign-up) are never reserved, and a reserved stem is replaced by a
// random word rather than spelled out ("admin-1234").
func TestCandidateUsernameNeverReserved(t *testing.T) {
	for _, stem := range []string{"", "admin", "root", "sup-port", "api", "mod"} {
		for attempt := range 6 {
			for range 50 {
				got := CandidateUsername(stem, attempt, 32)
				base := got[:strings.LastIndexByte(got, '-')]
				if ReservedUsername(got) || ReservedUsername(base) || !ValidUsername(got, 3, 32) {
					t.Fatalf("CandidateUsername(%q, %d) = %q", stem, attempt, got)
				}
				if !slices.Contains(words, base) {
					t.Fatalf("CandidateUsername(%q, %d) = %q does not use a random word", stem, attempt, got)
				}
			}
		}
	}
	for _, w := range words {
		if ReservedUsername(w) {
			t.Errorf("the word list holds the reserved %q", w)
		}
	}
}
