package rest

import "testing"

func TestJSONHasNUL(t *testing.T) {
	tests := map[string]bool{
		``:                      false,
		`{"a":"b"}`:             false,
		`{"a":"\u0000"}`:        true,
		`{"a":"\\u0000"}`:       false, // escaped backslash, then text
		`{"a":"\\\u0000"}`:      true,
		`{"a":"\\\\u0000"}`:     false,
		`{"a":"\u00001"}`:       true,
		`{"a":"\u0001\u0010"}`:  false,
		`{"a":"\"\u0000"}`:      true,
		`{"a":"\u000"}`:         false, // truncated escape (invalid JSON)
		`\`:                     false,
		`\u000`:                 false,
		"{\"a\":\"\x00\"}":      true,
		`{"a":["x", "\u0000"]}`: true,
	}
	for in, want := range tests {
		if got := jsonHasNUL([]byte(in)); got != want {
			t.Errorf("jsonHasNUL(%s) = %v, want %v", in, got, want)
		}
	}
}

func TestURLEncodedHasNUL(t *testing.T) {
	tests := map[string]bool{
		"a=b&c=d":  false,
		"a=%00":    true,
		"a%00=1":   true,
		"a=%2500":  false, // a literal "%00"
		"a=\x00":   true,
		"/api/x/y": false,
	}
	for in, want := range tests {
		if got := urlEncodedHasNUL([]byte(in)); got != want {
			t.Errorf("urlEncodedHasNUL(%q) = %v, want %v", in, got, want)
		}
	}
}
