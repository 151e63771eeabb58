package web_test

import (
	"net/http"
	"net/netip"
	"strings"
	"testing"

	"github.com/gamend-go/gamend/persistence/persistencetest"
)

// getWith loads path in b with extra request headers (name, value, ...).
func (b *browser) getWith(path string, hdr ...string) page {
	b.t.Helper()
	req, _ := http.NewRequest(http.MethodGet, b.url(path), nil)
	for i := 0; i+1 < len(hdr); i += 2 {
		req.Header.Set(hdr[i], hdr[i+1])
	}
	return b.do(req)
}

// TestDevMailboxLoopbackOnly: outside production the mailbox (which holds
// password-reset links) is served to clients on this machine only, as the
// REST edge resolves them; a remote client relayed by a local proxy, or one
// that makes up a loopback CF-Connecting-IP, gets 404 and no link to it.
func TestDevMailboxLoopbackOnly(t *testing.T) {
	tg := persistencetest.SQLite(t)
	e := startEnv(t, tg, envOptions{trustedProxies: []netip.Prefix{netip.MustParsePrefix("127.0.0.0/8"), netip.MustParsePrefix("::1/128")}})
	b := e.browser()
	expect(t, b.register("someone@example.com", "password 123"), 200, "/users/settings")
	id := e.mails()[0].ID

	local := [][]string{
		nil,                                   // a browser on this machine (http://localhost:4000/dev/mailbox)
		{"X-Forwarded-For", "127.0.0.1"},      // relayed by a local proxy
		{"X-Forwarded-For", "::1, 127.0.0.1"}, // through two local hops
	}
	for _, hdr := range local {
		expect(t, b.getWith("/dev/mailbox", hdr...), 200, "/dev/mailbox", "someone@example.com", "Confirm your account")
		expect(t, b.getWith("/dev/mailbox/"+id, hdr...), 200, "", "Confirm your account")
		expect(t, b.getWith("/", hdr...), 200, "/", `href="/dev/mailbox"`)
	}
	remote := [][]string{
		{"X-Forwarded-For", "203.0.113.7"},
		{"X-Forwarded-For", "127.0.0.1, 203.0.113.7"},
		{"X-Forwarded-For", "::ffff:198.51.100.4"},
		{"X-Forwarded-For", "203.0.113.7", "CF-Connecting-IP", "127.0.0.1"}, // made-up header next to the real address
		{"X-Forwarded-For", "not-an-address"},
		{"Fly-Client-IP", "203.0.113.7"},
	}
	for _, hdr := range remote {
		for _, path := range []string{"/dev/mailbox", "/dev/mailbox/" + id} {
			if p := b.getWith(path, hdr...); p.status != 404 || strings.Contains(p.body, "someone@example.com") {
				t.Fatalf("%s with %v: %d\n%s", path, hdr, p.status, p.body)
			}
		}
		if p := b.getWith("/", hdr...); strings.Contains(p.body, "/dev/mailbox") {
			t.Fatalf("home page links the mailbox for %v", hdr)
		}
	}

	// A client whose peer address is not loopback.
	lan := startEnv(t, persistencetest.SQLite(t), envOptions{remote: true})
	rb := lan.remoteBrowser()
	expect(t, rb.register("lan@example.com", "password 123"), 200, "/users/settings")
	if p := rb.get("/dev/mailbox"); p.status != 404 {
		t.Fatalf("mailbox from %s: %d", remotePeer, p.status)
	}
	if strings.Contains(rb.get("/").body, "/dev/mailbox") {
		t.Fatal("home page links the mailbox for a remote client")
	}

	// In production with MAILBOX_PREVIEW_ENABLED, administrators read it
	// from anywhere; nobody else does, not even from this machine.
	prod := startEnv(t, persistencetest.SQLite(t), envOptions{production: true, previewInProd: true, remote: true})
	admin := prod.remoteBrowser()
	expect(t, admin.register("admin@example.com", "password 123"), 200, "/users/settings") // first user: admin
	expect(t, admin.get("/dev/mailbox"), 200, "/dev/mailbox", "admin@example.com")
	if p := prod.browser().get("/dev/mailbox"); p.status != 404 {
		t.Fatalf("anonymous local client in production: %d", p.status)
	}
}

// TestDevMailboxByPeerAddress: the mailbox is granted by the peer address
// alone. A client whose peer address is not loopback (remoteBrowser) never
// opens it, whatever forwarding header it sends, even when that peer is a
// trusted proxy (as every private address used to be by default) that
// names a loopback client.
func TestDevMailboxByPeerAddress(t *testing.T) {
	persistencetest.Dialects(t, func(t *testing.T, tg persistencetest.Target) {
		trusted := []netip.Prefix{netip.PrefixFrom(netip.MustParseAddr(remotePeer), 32), netip.MustParsePrefix("127.0.0.0/8")}
		lan := startEnv(t, tg, envOptions{remote: true, trustedProxies: trusted})
		rb := lan.remoteBrowser()
		expect(t, rb.register("lan@example.com", "password 123"), 200, "/users/settings")
		id := lan.box.List()[0].ID
		for _, hdr := range [][]string{
			nil,
			{"X-Forwarded-For", "127.0.0.1"},
			{"X-Forwarded-For", "::1"},
			{"X-Forwarded-For", "127.0.0.1, 127.0.0.1"},
			{"X-Real-IP", "127.0.0.1"},
			{"CF-Connecting-IP", "127.0.0.1"},
			{"Fly-Client-IP", "127.0.0.1"},
		} {
			for _, path := range []string{"/dev/mailbox", "/dev/mailbox/" + id} {
				if p := rb.getWith(path, hdr...); p.status != 404 || strings.Contains(p.body, "lan@example.com") {
					t.Fatalf("%s from %s with %v: %d", path, remotePeer, hdr, p.status)
				}
			}
			if strings.Contains(rb.getWith("/", hdr...).body, "/dev/mailbox") {
				t.Fatalf("home page links the mailbox for a remote client with %v", hdr)
			}
		}
		// The same server still serves it to a browser on this machine.
		expect(t, lan.browser().get("/dev/mailbox"), 200, "/dev/mailbox", "lan@example.com")
	})
}
