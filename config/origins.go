package config

import (
	"fmt"
	"net/url"
	"regexp"
	"strings"
)

// Origins matches request Origin headers against PHX_ALLOWED_ORIGINS, with
// the semantics of Phoenix's check_origin (API.md section 1.2):
//   - an empty list (or a "*" entry) allows any origin;
//   - "regex:<re>" matches when re matches anywhere in the origin;
//   - other entries are URLs; a bare host becomes "//host". A part the entry
//     leaves out (scheme, port) matches anything, the host must be equal,
//     and "//*.example.com" also matches every subdomain of example.com.
//
// The zero value matches nothing; use ParseOrigins or Config.AllowedOrigins.
type Origins struct {
	any     bool
	hosts   []originRule
	regexes []*regexp.Regexp
}

type originRule struct {
	scheme, host, port string
	wildcard           bool // host was "*.<host>"
}

// ParseOrigins parses a comma-separated origin list. It returns the
// matcher built from every valid entry and the first invalid entry's error.
func ParseOrigins(list string) (*Origins, error) {
	o := &Origins{}
	var first error
	for _, entry := range strings.Split(list, ",") {
		entry = strings.TrimSpace(entry)
		switch {
		case entry == "":
			continue
		case entry == "*":
			o.any = true
		case strings.HasPrefix(entry, "regex:"):
			re, err := regexp.Compile(strings.TrimPrefix(entry, "regex:"))
			if err != nil {
				first = cmpErr(first, fmt.Errorf("invalid regex in %q: %v", entry, err))
				continue
			}
			o.regexes = append(o.regexes, re)
		default:
			if !strings.HasPrefix(entry, "//") && !strings.HasPrefix(entry, "http") {
				entry = "//" + entry
			}
			r, ok := parseOriginRule(entry)
			if !ok {
				first = cmpErr(first, fmt.Errorf("%q is not an origin", entry))
				continue
			}
			o.hosts = append(o.hosts, r)
		}
	}
	if len(o.hosts) == 0 && len(o.regexes) == 0 && first == nil {
		o.any = true
	}
	return o, first
}

func parseOriginRule(s string) (originRule, bool) {
	u, err := url.Parse(s)
	if err != nil || u.Hostname() == "" {
		return originRule{}, false
	}
	r := originRule{scheme: strings.ToLower(u.Scheme), host: strings.ToLower(u.Hostname()), port: u.Port()}
	if r.port == "" && r.scheme != "" {
		r.port = defaultPort(r.scheme)
	}
	if h, ok := strings.CutPrefix(r.host, "*."); ok {
		r.host, r.wildcard = h, true
	}
	return r, true
}

func defaultPort(scheme string) string {
	switch scheme {
	case "http", "ws":
		return "80"
	case "https", "wss":
		return "443"
	}
	return ""
}

// Any reports whether every origin is allowed: PHX_ALLOWED_ORIGINS is
// unset, or lists "*". CORS then answers "*" and never allows credentials;
// the WebSocket origin check falls back to the server's own host when the
// variable is unset.
func (o *Origins) Any() bool { return o != nil && o.any }

// Match reports whether origin (an Origin header value such as
// "https://game.example.com:8443") is allowed.
func (o *Origins) Match(origin string) bool {
	if o == nil {
		return false
	}
	if o.any {
		return true
	}
	for _, re := range o.regexes {
		if re.MatchString(origin) {
			return true
		}
	}
	u, err := url.Parse(origin)
	if err != nil || u.Hostname() == "" {
		return false
	}
	scheme, host, port := strings.ToLower(u.Scheme), strings.ToLower(u.Hostname()), u.Port()
	if port == "" {
		port = defaultPort(scheme)
	}
	for _, r := range o.hosts {
		if (r.scheme == "" || r.scheme == scheme) && (r.port == "" || r.port == port) && r.matchHost(host) {
			return true
		}
	}
	return false
}

func (r originRule) matchHost(host string) bool {
	if host == r.host {
		return true
	}
	return r.wildcard && strings.HasSuffix(host, "."+r.host)
}
