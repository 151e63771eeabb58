package rest_test

import (
	"fmt"
	"log/slog"
	"net/netip"
	"strings"
	"testing"
	"time"

	"github.com/gamend-go/gamend/transport/rest"
	"github.com/gamend-go/gamend/transport/rest/resttest"
)

// TestClientIPFromOneHeader: the rate-limit bucket (and the access log's
// ip) is the TCP peer, unless the peer is a trusted proxy; then only the
// one header ClientIPHeader names is read. A client that rotates any other
// forwarding header stays in its one bucket.
func TestClientIPFromOneHeader(t *testing.T) {
	loopback := []netip.Prefix{netip.MustParsePrefix("127.0.0.0/8"), netip.MustParsePrefix("::1/128")}
	rotate := func(header string) func(i int) []string {
		return func(i int) []string { return []string{header, fmt.Sprintf("198.51.100.%d", i+1)} }
	}
	tests := []struct {
		name    string
		trusted []netip.Prefix
		header  string // ClientIPHeader
		send    func(i int) []string
		fresh   bool // each request gets a bucket of its own
	}{
		{"CF-Connecting-IP is not read by default", loopback, "", rotate("CF-Connecting-IP"), false},
		{"Fly-Client-IP is not read by default", loopback, "", rotate("Fly-Client-IP"), false},
		{"X-Real-IP is not read by default", loopback, "", rotate("X-Real-IP"), false},
		{"X-Forwarded-For from a trusted proxy", loopback, "", rotate("X-Forwarded-For"), true},
		{"X-Forwarded-For from a peer that is not trusted", nil, "", rotate("X-Forwarded-For"), false},
		{"CF-Connecting-IP when configured", loopback, "CF-Connecting-IP", rotate("CF-Connecting-IP"), true},
		{"X-Forwarded-For when CF-Connecting-IP is configured", loopback, "CF-Connecting-IP", rotate("X-Forwarded-For"), false},
		{"Fly-Client-IP when configured", loopback, "Fly-Client-IP", rotate("Fly-Client-IP"), true},
		{"X-Real-IP when configured", loopback, "X-Real-IP", rotate("X-Real-IP"), true},
		{"no header when none", loopback, "none", rotate("X-Forwarded-For"), false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			base := startServer(t, rest.Options{TrustedProxies: tt.trusted, ClientIPHeader: tt.header,
				RateLimit: rest.RateLimits{GeneralLimit: 3, GeneralWindow: time.Minute, AuthLimit: 3, AuthWindow: time.Minute}})
			var statuses []int
			for i := range 6 {
				statuses = append(statuses, do(t, "GET", base+"/api/v1/nope", "", tt.send(i)...).status)
			}
			limited := statuses[3] == 429 && statuses[4] == 429 && statuses[5] == 429
			if tt.fresh == limited || statuses[0] != 404 {
				t.Fatalf("statuses %v; want a fresh bucket per request: %v", statuses, tt.fresh)
			}
		})
	}
}

// TestClientIPChain: from a trusted proxy, X-Forwarded-For gives the
// right-most entry that is not a trusted proxy; private ranges are not
// trusted unless listed.
func TestClientIPChain(t *testing.T) {
	logs := &resttest.Buffer{}
	base := startServer(t, rest.Options{Logger: slog.New(slog.NewJSONHandler(logs, nil)), AccessLogLevel: slog.LevelInfo,
		TrustedProxies: []netip.Prefix{netip.MustParsePrefix("127.0.0.0/8"), netip.MustParsePrefix("192.0.2.0/24")}})
	tests := []struct{ xff, want string }{
		{"203.0.113.9", "203.0.113.9"},
		{"6.6.6.6, 203.0.113.9", "203.0.113.9"},
		{"203.0.113.9, 10.1.2.3", "10.1.2.3"},          // a LAN address is a client unless trusted
		{"203.0.113.9, 192.0.2.7", "203.0.113.9"},      // a listed proxy is skipped
		{"203.0.113.9, bogus, 192.0.2.7", "192.0.2.7"}, // garbage ends the chain
	}
	for _, tt := range tests {
		r := do(t, "GET", base+"/api/v1/nope", "", "X-Forwarded-For", tt.xff)
		line := logLine(t, logs, `"request_id":"`+r.header.Get("X-Request-Id")+`"`)
		if !strings.Contains(line, `"ip":"`+tt.want+`"`) {
			t.Errorf("X-Forwarded-For %q: access log %s, want ip %s", tt.xff, line, tt.want)
		}
	}
}
