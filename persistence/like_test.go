package persistence_test

import (
	"testing"

	"github.com/gamend-go/gamend/persistence"
)

func TestLikePatterns(t *testing.T) {
	tests := []struct{ q, prefix, contains string }{
		{"Bob", "bob%", "%bob%"},
		{"50%_off", `50\%\_off%`, `%50\%\_off%`},
		{`back\slash`, `back\\slash%`, `%back\\slash%`},
		{"ÉCLAIR", "éclair%", "%éclair%"},
	}
	for _, tt := range tests {
		if got := persistence.PrefixPattern(tt.q); got != tt.prefix {
			t.Errorf("PrefixPattern(%q) = %q, want %q", tt.q, got, tt.prefix)
		}
		if got := persistence.ContainsPattern(tt.q); got != tt.contains {
			t.Errorf("ContainsPattern(%q) = %q, want %q", tt.q, got, tt.contains)
		}
	}
}
