package rest

import (
	"net/netip"
	"strings"

	"github.com/gofiber/fiber/v2"
)

// The forwarding headers ClientIPHeader may name (API.md §7).
const (
	HeaderXForwardedFor  = "X-Forwarded-For"
	HeaderXRealIP        = "X-Real-IP"
	HeaderCFConnectingIP = "CF-Connecting-IP"
	HeaderFlyClientIP    = "Fly-Client-IP"
	// ClientIPNone reads no header: the TCP peer is always the client.
	ClientIPNone = "none"
)

// ClientIP resolves the real client address (API.md §7). The TCP peer is
// the client unless it is a trusted proxy; only then is the one header
// named by header read, with value its value (every line of it, joined by
// commas):
//   - X-Forwarded-For: the right-most entry that is not itself a trusted
//     proxy (entries left of it were written by the client and prove
//     nothing); when every entry is trusted, the left-most one. An entry
//     that is not an address ends the walk at the last trusted hop.
//   - X-Real-IP, CF-Connecting-IP, Fly-Client-IP: the single address the
//     proxy sets; anything else (a list, garbage) is ignored.
//
// Any other header name, or "none", reads nothing.
func ClientIP(peer netip.Addr, trusted []netip.Prefix, header, value string) netip.Addr {
	peer = peer.Unmap()
	if value == "" || !isTrusted(peer, trusted) {
		return peer
	}
	switch header {
	case HeaderXForwardedFor:
		parts := strings.Split(value, ",")
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
	case HeaderXRealIP, HeaderCFConnectingIP, HeaderFlyClientIP:
		if a, err := netip.ParseAddr(strings.TrimSpace(value)); err == nil {
			return a.Unmap()
		}
	}
	return peer
}

// CanonicalClientIPHeader returns the canonical spelling of a
// ClientIPHeader setting (matched without regard to case; "" is
// X-Forwarded-For), or false when it names no supported header.
func CanonicalClientIPHeader(name string) (string, bool) {
	if name == "" {
		return HeaderXForwardedFor, true
	}
	for _, h := range []string{HeaderXForwardedFor, HeaderXRealIP, HeaderCFConnectingIP, HeaderFlyClientIP, ClientIPNone} {
		if strings.EqualFold(name, h) {
			return h, true
		}
	}
	return "", false
}

// PeerIP is the address of the request's TCP peer (IPv4-mapped addresses
// unmapped), whatever any header says.
func PeerIP(c *fiber.Ctx) netip.Addr {
	a, _ := netip.AddrFromSlice(c.Context().RemoteIP())
	return a.Unmap()
}

// headerValue is every line of header name joined by commas ("" when
// absent or when name is "none").
func headerValue(c *fiber.Ctx, name string) string {
	if name == ClientIPNone {
		return ""
	}
	lines := c.Request().Header.PeekAll(name)
	switch len(lines) {
	case 0:
		return ""
	case 1:
		return string(lines[0])
	}
	parts := make([]string, len(lines))
	for i, l := range lines {
		parts[i] = string(l)
	}
	return strings.Join(parts, ",")
}

func isTrusted(a netip.Addr, trusted []netip.Prefix) bool {
	for _, p := range trusted {
		if p.Contains(a) {
			return true
		}
	}
	return false
}
