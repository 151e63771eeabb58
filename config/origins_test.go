package config

import "testing"

func TestOrigins(t *testing.T) {
	tests := []struct {
		list   string
		any    bool
		allow  []string
		reject []string
	}{
		{"", true, []string{"https://anything.example", "null"}, nil},
		{"*", true, []string{"http://x.test"}, nil},
		{"game.example.com", false,
			[]string{"https://game.example.com", "http://game.example.com:8080"},
			[]string{"https://evil.example.com", "https://game.example.com.evil.test", ""}},
		{"//game.example.com", false, []string{"https://game.example.com"}, []string{"https://www.game.example.com"}},
		{"https://game.example.com", false,
			[]string{"https://game.example.com", "https://game.example.com:443", "HTTPS://GAME.EXAMPLE.COM"},
			[]string{"http://game.example.com", "https://game.example.com:8443"}},
		{"http://localhost:3000", false, []string{"http://localhost:3000"}, []string{"http://localhost:3001", "http://localhost"}},
		{"//*.example.com", false,
			[]string{"https://a.example.com", "https://a.b.example.com", "https://example.com"},
			[]string{"https://badexample.com"}},
		{`//game.example.com, regex:^https://(.+\.)?itch\.io(:\d+)?$`, false,
			[]string{"https://html.itch.io", "https://itch.io:8080", "https://game.example.com"},
			[]string{"https://itch.io.evil.test", "http://html.itch.io"}},
	}
	for _, tt := range tests {
		o, err := ParseOrigins(tt.list)
		if err != nil {
			t.Fatalf("ParseOrigins(%q): %v", tt.list, err)
		}
		if o.Any() != tt.any {
			t.Errorf("%q: Any = %v, want %v", tt.list, o.Any(), tt.any)
		}
		for _, origin := range tt.allow {
			if !o.Match(origin) {
				t.Errorf("%q should allow %q", tt.list, origin)
			}
		}
		for _, origin := range tt.reject {
			if o.Match(origin) {
				t.Errorf("%q should reject %q", tt.list, origin)
			}
		}
	}
}

func TestOriginsFromConfig(t *testing.T) {
	o := load(t, "PHX_ALLOWED_ORIGINS=game.example.com").AllowedOrigins()
	if o.Any() || !o.Match("https://game.example.com") || o.Match("https://other.example.com") {
		t.Error("AllowedOrigins does not follow PHX_ALLOWED_ORIGINS")
	}
	if _, err := ParseOrigins("regex:(["); err == nil {
		t.Error("invalid regex accepted")
	}
	var zero *Origins
	if zero.Any() || zero.Match("https://x.test") {
		t.Error("a nil *Origins must match nothing")
	}
}
