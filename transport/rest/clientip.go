package rest

import (
	"net/netip"
	"strings"
)

// ClientIP resolves the real client address (API.md §7): only when the TCP
// peer is a trusted proxy are CF-Connecting-IP, then Fly-Client-IP, then the
// right-most untrusted X-Forwarded-For entry believed; otherwise the peer
// address is the client.
func ClientIP(peer netip.Addr, trusted []netip.Prefix, cfConnectingIP, flyClientIP, xForwardedFor string) netip.Addr {
	peer = peer.Unmap()
	if !isTrusted(peer, trusted) {
		return peer
	}
	for _, h := range []string{cfConnectingIP, flyClientIP} {
		if h == "" {
			continue // no header: skip the parse and the error it allocates
		}
		if a, err := netip.ParseAddr(strings.TrimSpace(h)); err == nil {
			return a.Unmap()
		}
	}
	if xForwardedFor != "" {
		parts := strings.Split(xForwardedFor, ",")
		for i := len(parts) - 1; i >= 0; i-- {
			a, err := netip.ParseAddr(strings.TrimSpace(parts[i]))
			if err != nil {
				break // garbage: stop believing the chain
			}
			a = a.Unmap()
			if !isTrusted(a, trusted) {
				return a
			}
			peer = a
		}
	}
	return peer
}

func isTrusted(a netip.Addr, trusted []netip.Prefix) bool {
	for _, p := range trusted {
		if p.Contains(a) {
			return true
		}
	}
	return false
}
