package web

import (
	"bytes"
	"embed"
	"html/template"
	"io/fs"
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"

	"github.com/gamend-go/gamend/persistence/users"
)

//go:embed templates/*.html
var templateFS embed.FS

//go:embed static/app.css
var appCSS []byte

const cssPath = "/assets/web/app.css"

func serveCSS(c *fiber.Ctx) error {
	c.Set(fiber.HeaderCacheControl, "public, max-age=3600")
	c.Type("css")
	return c.Send(appCSS)
}

// views holds one template set per page, each combined with the layout.
type views struct{ pages map[string]*template.Template }

var funcs = template.FuncMap{
	"date": func(t time.Time) string { return t.UTC().Format("2006-01-02 15:04 UTC") },
	"title": func(s string) string {
		if s == "" {
			return s
		}
		return strings.ToUpper(s[:1]) + s[1:]
	},
}

func mustParseViews() *views {
	v := &views{pages: map[string]*template.Template{}}
	names, err := fs.Glob(templateFS, "templates/*.html")
	if err != nil {
		panic(err)
	}
	for _, n := range names {
		if n == "templates/layout.html" {
			continue
		}
		t := template.Must(template.New("").Funcs(funcs).ParseFS(templateFS, "templates/layout.html", n))
		v.pages[strings.TrimSuffix(strings.TrimPrefix(n, "templates/"), ".html")] = t
	}
	return v
}

// page is what every template receives.
type page struct {
	Title   string
	User    *users.Row // signed-in user, nil when anonymous
	CSRF    string     // token for the hidden form field
	Flash   *flash
	Mailbox bool                // link the development mailbox
	OAuth   []providerView      // providers offered for sign-in
	Form    map[string]string   // values to put back into inputs
	Errors  map[string][]string // field errors
	Data    any                 // page-specific data
}

// render writes the page template name with status. The flash message
// pending for this browser is shown and cleared.
func (w *Web) render(c *fiber.Ctx, status int, name string, p page) error {
	t, ok := w.views.pages[name]
	if !ok {
		panic("web: no template " + name)
	}
	if p.User == nil {
		p.User, _ = w.CurrentUser(c)
	}
	p.CSRF, _ = c.Locals(localCSRF).(string)
	p.OAuth = w.oauthProviders()
	if p.Flash == nil {
		p.Flash = w.takeFlash(c)
	}
	p.Mailbox = w.mailboxAllowed(c)
	var buf bytes.Buffer
	if err := t.ExecuteTemplate(&buf, "layout", p); err != nil {
		return err
	}
	setPageHeaders(c)
	c.Status(status).Type("html", "utf-8")
	return c.Send(buf.Bytes())
}

// message renders a page with a heading and one paragraph (errors, notices).
func (w *Web) message(c *fiber.Ctx, status int, title, text string) error {
	return w.render(c, status, "message", page{Title: title, Data: notice{Text: text}})
}

// redirect sends the browser to path (303) with a flash message.
func (w *Web) redirect(c *fiber.Ctx, path, kind, text string) error {
	if text != "" {
		w.setFlash(c, kind, text)
	}
	return c.Redirect(path, fiber.StatusSeeOther)
}

// setPageHeaders keeps account pages out of caches and frames, limits
// what they can load to this site, and keeps token URLs out of Referer
// headers sent elsewhere.
func setPageHeaders(c *fiber.Ctx) {
	c.Set(fiber.HeaderCacheControl, "no-store")
	c.Set(fiber.HeaderContentSecurityPolicy, "default-src 'none'; style-src 'self'; img-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'")
	c.Set(fiber.HeaderXFrameOptions, "DENY")
	c.Set(fiber.HeaderXContentTypeOptions, "nosniff")
	c.Set(fiber.HeaderReferrerPolicy, "same-origin")
}

// formValue returns a trimmed copy of a form field (safe to keep after the
// request).
func formValue(c *fiber.Ctx, name string) string {
	return strings.Clone(strings.TrimSpace(c.FormValue(name)))
}

// secretValue returns a copy of a password field, untrimmed.
func secretValue(c *fiber.Ctx, name string) string { return strings.Clone(c.FormValue(name)) }

// strCopy copies a string out of fiber's reusable request buffer.
func strCopy(s string) string { return strings.Clone(s) }
