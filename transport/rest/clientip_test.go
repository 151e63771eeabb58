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
		name, peer, cf, fly, xff string
		trusted                  []netip.Prefix
		want                     string
	}{
		{"direct client ignores headers", "203.0.113.5", "1.1.1.1", "2.2.2.2", "3.3.3.3", private, "203.0.113.5"},
		{"trusted proxy, cloudflare wins", "10.0.0.2", "198.51.100.7", "2.2.2.2", "3.3.3.3", private, "198.51.100.7"},
		{"trusted proxy, fly next", "10.0.0.2", "", "198.51.100.8", "3.3.3.3", private, "198.51.100.8"},
		{"rightmost untrusted xff", "127.0.0.1", "", "", "6.6.6.6, 198.51.100.9, 10.1.2.3", private, "198.51.100.9"},
		{"xff all trusted falls back to leftmost trusted", "127.0.0.1", "", "", "10.0.0.9, 10.1.2.3", private, "10.0.0.9"},
		{"garbage cf header ignored", "10.0.0.2", "not-an-ip", "", "198.51.100.10", private, "198.51.100.10"},
		{"garbage xff stops the chain", "10.0.0.2", "", "", "1.2.3.4, bogus", private, "10.0.0.2"},
		{"no trusted proxies configured", "127.0.0.1", "198.51.100.7", "", "", nil, "127.0.0.1"},
		{"ipv4-mapped peer", "::ffff:10.0.0.2", "198.51.100.7", "", "", private, "198.51.100.7"},
		{"ipv6 loopback proxy", "::1", "", "", "2001:db8::1", private, "2001:db8::1"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := ClientIP(netip.MustParseAddr(tt.peer), tt.trusted, tt.cf, tt.fly, tt.xff)
			if got.String() != tt.want {
				t.Fatalf("got %s, want %s", got, tt.want)
			}
		})
	}
}
