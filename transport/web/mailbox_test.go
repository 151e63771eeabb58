package web_test

import (
	"net"
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

	// A client reaching the server over a real non-loopback interface.
	addr := nonLoopbackIPv4(t)
	if addr == "" {
		t.Skip("no non-loopback IPv4 interface: direct remote client not tested")
	}
	lan := startEnv(t, persistencetest.SQLite(t), envOptions{listen: "0.0.0.0:0", host: addr})
	rb := lan.browser()
	expect(t, rb.register("lan@example.com", "password 123"), 200, "/users/settings")
	if p := rb.get("/dev/mailbox"); p.status != 404 {
		t.Fatalf("mailbox from %s: %d", addr, p.status)
	}
	if strings.Contains(rb.get("/").body, "/dev/mailbox") {
		t.Fatal("home page links the mailbox for a remote client")
	}

	// In production with MAILBOX_PREVIEW_ENABLED, administrators read it
	// from anywhere; nobody else does, not even from this machine.
	prod := startEnv(t, persistencetest.SQLite(t), envOptions{production: true, previewInProd: true, listen: "0.0.0.0:0", host: addr})
	admin := prod.browser()
	expect(t, admin.register("admin@example.com", "password 123"), 200, "/users/settings") // first user: admin
	expect(t, admin.get("/dev/mailbox"), 200, "/dev/mailbox", "admin@example.com")
	loopback := strings.Replace(prod.base, addr, "127.0.0.1", 1)
	if p := prod.browser().get(loopback + "/dev/mailbox"); p.status != 404 {
		t.Fatalf("anonymous local client in production: %d", p.status)
	}
}

// nonLoopbackIPv4 returns an IPv4 address of an interface that is up and
// not loopback, or "".
func nonLoopbackIPv4(t *testing.T) string {
	t.Helper()
	ifaces, err := net.Interfaces()
	if err != nil {
		return ""
	}
	for _, ifc := range ifaces {
		if ifc.Flags&net.FlagUp == 0 || ifc.Flags&net.FlagLoopback != 0 {
			continue
		}
		addrs, _ := ifc.Addrs()
		for _, a := range addrs {
			if n, ok := a.(*net.IPNet); ok && n.IP.To4() != nil && !n.IP.IsLoopback() && !n.IP.IsLinkLocalUnicast() {
				return n.IP.String()
			}
		}
	}
	return ""
}
