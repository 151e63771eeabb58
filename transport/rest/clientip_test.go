package rest

import (
	"net/netip"
	"testing"
)

func TestClientIP(t *testing.T) {
	private := []netip.Prefix{
		netip.MustParsePrefix("127.0.0.0/8"), netip.MustParsePrefix("10.0.0.0/8"),
		netip.MustParsePrefix("172.16.0.0/12"), netip.MustParsePrefix("192.168.0.0/16"),
		netip.MustParsePrefix("::1/128"), netip.MustParsePrefix("fd00::/8"),
	}
	tests := []struct {
		name, peer, header, value string
		trusted                   []netip.Prefix
		want                      string
	}{
		{"direct client ignores headers", "203.0.113.5", HeaderXForwardedFor, "3.3.3.3", private, "203.0.113.5"},
		{"rightmost untrusted xff", "127.0.0.1", HeaderXForwardedFor, "6.6.6.6, 198.51.100.9, 10.1.2.3", private, "198.51.100.9"},
		{"xff all trusted falls back to leftmost trusted", "127.0.0.1", HeaderXForwardedFor, "10.0.0.9, 10.1.2.3", private, "10.0.0.9"},
		{"garbage xff stops the chain", "10.0.0.2", HeaderXForwardedFor, "1.2.3.4, bogus", private, "10.0.0.2"},
		{"no trusted proxies configured", "127.0.0.1", HeaderXForwardedFor, "198.51.100.7", nil, "127.0.0.1"},
		{"ipv4-mapped peer", "::ffff:10.0.0.2", HeaderXForwardedFor, "198.51.100.7", private, "198.51.100.7"},
		{"ipv6 loopback proxy", "::1", HeaderXForwardedFor, "2001:db8::1", private, "2001:db8::1"},
		{"cloudflare when configured", "10.0.0.2", HeaderCFConnectingIP, "198.51.100.7", private, "198.51.100.7"},
		{"fly when configured", "10.0.0.2", HeaderFlyClientIP, " 198.51.100.8 ", private, "198.51.100.8"},
		{"x-real-ip when configured", "10.0.0.2", HeaderXRealIP, "::ffff:198.51.100.9", private, "198.51.100.9"},
		{"single-address header with a list is ignored", "10.0.0.2", HeaderCFConnectingIP, "1.1.1.1,198.51.100.7", private, "10.0.0.2"},
		{"garbage single-address header", "10.0.0.2", HeaderCFConnectingIP, "not-an-ip", private, "10.0.0.2"},
		{"none reads nothing", "127.0.0.1", ClientIPNone, "198.51.100.7", private, "127.0.0.1"},
		{"unknown header reads nothing", "127.0.0.1", "X-Client-IP", "198.51.100.7", private, "127.0.0.1"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := ClientIP(netip.MustParseAddr(tt.peer), tt.trusted, tt.header, tt.value)
			if got.String() != tt.want {
				t.Fatalf("got %s, want %s", got, tt.want)
			}
		})
	}
}

func TestCanonicalClientIPHeader(t *testing.T) {
	for in, want := range map[string]string{"": HeaderXForwardedFor, "x-forwarded-for": HeaderXForwardedFor, "cf-connecting-ip": HeaderCFConnectingIP,
		"FLY-CLIENT-IP": HeaderFlyClientIP, "x-real-ip": HeaderXRealIP, "None": ClientIPNone, "X-Client-IP": "", "Forwarded": ""} {
		if got, ok := CanonicalClientIPHeader(in); got != want || ok != (want != "") {
			t.Errorf("CanonicalClientIPHeader(%q) = %q, %v; want %q", in, got, ok, want)
		}
	}
}
