package web

import (
	"net/netip"
	"regexp"
	"strings"

	"github.com/gofiber/fiber/v2"

	"github.com/gamend-go/gamend/transport/rest"
)

// The development mailbox: every e-mail the server sent while no SMTP relay
// is configured, newest first, with clickable links.

type mailPart struct {
	Text string
	URL  bool
}

var linkRE = regexp.MustCompile(`https?://[^\s<>"']+`)

// linkify splits a plain-text body into text and URL parts; the template
// escapes both and turns URLs into links.
func linkify(s string) []mailPart {
	var out []mailPart
	last := 0
	for _, m := range linkRE.FindAllStringIndex(s, -1) {
		if m[0] > last {
			out = append(out, mailPart{Text: s[last:m[0]]})
		}
		out = append(out, mailPart{Text: s[m[0]:m[1]], URL: true})
		last = m[1]
	}
	if last < len(s) {
		out = append(out, mailPart{Text: s[last:]})
	}
	return out
}

// mailboxAllowed: outside production, clients on this machine only (the
// mailbox holds confirmation, log-in and password-reset links); in
// production, when MAILBOX_PREVIEW_ENABLED opens it, signed-in
// administrators only. Everyone else gets 404.
func (w *Web) mailboxAllowed(c *fiber.Ctx) bool {
	if !w.mailboxOn() {
		return false
	}
	if !w.opts.MailboxAdminOnly {
		return loopbackClient(c)
	}
	u, ok := w.CurrentUser(c)
	return ok && u.IsAdmin
}

// loopbackClient reports whether the request comes from this machine. Only
// the TCP peer address can grant it: it must be a loopback address, never
// mind what any header says (a forwarding header is whatever the client or
// a proxy wrote; TRUSTED_PROXIES does not apply here). Headers can only
// refuse: a local reverse proxy that relays a remote client names that
// client in a forwarding header, and every address any such header names
// must be loopback too.
func loopbackClient(c *fiber.Ctx) bool {
	if !rest.PeerIP(c).IsLoopback() {
		return false
	}
	for _, h := range []string{rest.HeaderCFConnectingIP, rest.HeaderFlyClientIP, rest.HeaderXForwardedFor, rest.HeaderXRealIP} {
		for _, v := range c.Request().Header.PeekAll(h) {
			for _, part := range strings.Split(string(v), ",") {
				a, err := netip.ParseAddr(strings.TrimSpace(part))
				if err != nil || !a.Unmap().IsLoopback() {
					return false
				}
			}
		}
	}
	return true
}

func (w *Web) mailboxList(c *fiber.Ctx) error {
	if !w.mailboxAllowed(c) {
		return fiber.ErrNotFound
	}
	return w.render(c, fiber.StatusOK, "mailbox", page{Title: "Development mailbox", Data: w.opts.Mailbox.List()})
}

func (w *Web) mailboxMessage(c *fiber.Ctx) error {
	if !w.mailboxAllowed(c) {
		return fiber.ErrNotFound
	}
	m, ok := w.opts.Mailbox.Get(c.Params("id"))
	if !ok {
		return w.render(c, fiber.StatusNotFound, "message", page{Title: "No such message",
			Data: notice{Text: "The mailbox keeps only the latest messages, and forgets them when the server restarts.", Link: "/dev/mailbox", LinkText: "Back to the mailbox"}})
	}
	return w.render(c, fiber.StatusOK, "mail", page{Title: m.Subject, Data: map[string]any{"Mail": m, "Parts": linkify(m.Text)}})
}
