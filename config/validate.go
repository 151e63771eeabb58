package config

import (
	"fmt"
	"net"
	"net/url"
	"reflect"
	"regexp"
	"slices"
	"strconv"
	"strings"
)

// MinSecretBytes is the shortest accepted SECRET_KEY_BASE or GUARDIAN_SECRET_KEY.
const MinSecretBytes = 32

// Validate checks every value and cross-variable rule, returning an Errors
// listing all problems (nil when there are none). Load already calls it;
// call it again after changing a Config by hand.
func (c *Config) Validate() error {
	if errs := c.check(); len(errs) > 0 {
		return errs
	}
	return nil
}

func (c *Config) check() Errors {
	var errs Errors
	add := func(name, format string, args ...any) {
		errs = append(errs, &FieldError{Var: name, Msg: fmt.Sprintf(format, args...)})
	}
	for i := range allFields() {
		if e := allFields()[i].checkTags(c); e != nil {
			errs = append(errs, e)
		}
	}
	c.checkSecrets(add)
	c.checkDatabase(add)
	c.checkNetwork(add)
	c.checkServices(add)
	c.checkOAuth(add)
	return errs
}

// checkTags applies the field's oneof, min and max tags.
func (f *fieldMeta) checkTags(c *Config) *FieldError {
	v := f.value(c)
	switch {
	case len(f.OneOf) > 0:
		s := v.String()
		if (s == "" && f.Default == "") || slices.Contains(f.OneOf, s) {
			return nil
		}
		msg := "must be " + describeOneOf(f.OneOf)
		if !f.Secret {
			msg += fmt.Sprintf(", got %q", s)
		}
		return &FieldError{Var: f.Name, Msg: msg}
	case v.Kind() == reflect.Int || v.Kind() == reflect.Int64:
		n := v.Int()
		got := strconv.Quote(strconv.FormatInt(n, 10))
		switch {
		case f.min != nil && f.max != nil && (n < *f.min || n > *f.max):
			return &FieldError{Var: f.Name, Msg: fmt.Sprintf("must be between %d and %d, got %s", *f.min, *f.max, got)}
		case f.min != nil && n < *f.min && *f.min == 1:
			return &FieldError{Var: f.Name, Msg: "must be > 0, got " + got}
		case f.min != nil && n < *f.min:
			return &FieldError{Var: f.Name, Msg: fmt.Sprintf("must be >= %d, got %s", *f.min, got)}
		}
	}
	return nil
}

func describeOneOf(opts []string) string {
	if len(opts) == 2 {
		return strconv.Quote(opts[0]) + " or " + strconv.Quote(opts[1])
	}
	return "one of " + strings.Join(opts, ", ")
}

type addFunc func(name, format string, args ...any)

func (c *Config) checkSecrets(add addFunc) {
	a := &c.Auth
	if c.Production() && a.SecretKeyBase == "" && a.GuardianSecretKey == "" {
		add("SECRET_KEY_BASE", "required in production: set SECRET_KEY_BASE (or at least GUARDIAN_SECRET_KEY) to %d or more random bytes", MinSecretBytes)
	}
	if s := a.SecretKeyBase; s != "" && len(s) < MinSecretBytes {
		add("SECRET_KEY_BASE", "must be at least %d bytes long", MinSecretBytes)
	}
	if s := a.GuardianSecretKey; s != "" && len(s) < MinSecretBytes {
		add("GUARDIAN_SECRET_KEY", "must be at least %d bytes long", MinSecretBytes)
	}
}

func (c *Config) checkDatabase(add addFunc) {
	if c.DB.URL != "" {
		// The URL holds a password: never echo it.
		u, err := url.Parse(c.DB.URL)
		if err != nil || !slices.Contains([]string{"postgres", "postgresql", "ecto"}, strings.ToLower(u.Scheme)) {
			add("DATABASE_URL", "not a postgres:// or postgresql:// URL")
		}
	}
	hasPG := c.DB.URL != "" || (c.DB.Postgres.Host != "" && c.DB.Postgres.User != "")
	if c.DB.Adapter == DialectPostgres && !hasPG {
		add("DATABASE_ADAPTER", "postgres needs DATABASE_URL, or POSTGRES_HOST and POSTGRES_USER")
	}
	if (len(c.Cluster.Seeds) > 0 || c.Cluster.DNSQuery != "") && c.DatabaseDialect() != DialectPostgres {
		add("CLUSTER_SEEDS", "a multi-node cluster needs PostgreSQL: set DATABASE_URL, or POSTGRES_HOST and POSTGRES_USER")
	}
}

func (c *Config) checkNetwork(add addFunc) {
	h := c.HTTP.Host
	if h == "" || strings.ContainsAny(h, "/ ") {
		add("PHX_HOST", "must be a host name without scheme or path, got %q", h)
	}
	if b := c.HTTP.BindAddress; b != "" && !validBindAddress(b) {
		add("BIND_ADDRESS", "must be an IP address or host name without a port, got %q", b)
	}
	if _, err := parseProxies(c.HTTP.TrustedProxies); err != nil {
		add("TRUSTED_PROXIES", "%v", err)
	}
	if !slices.ContainsFunc(clientIPHeaders, func(h string) bool { return strings.EqualFold(h, c.HTTP.ClientIPHeader) }) {
		add("CLIENT_IP_HEADER", "must be one of %s, got %q", strings.Join(clientIPHeaders, ", "), c.HTTP.ClientIPHeader)
	}
	if _, err := ParseOrigins(c.HTTP.AllowedOrigins); err != nil {
		add("PHX_ALLOWED_ORIGINS", "%v", err)
	}
	if (c.TLS.CertFile == "") != (c.TLS.KeyFile == "") {
		add("SSL_KEYFILE", "SSL_CERTFILE and SSL_KEYFILE must be set together")
	}
	if err := checkHostPort(c.Cluster.ListenAddr, true); err != nil {
		add("CLUSTER_LISTEN_ADDR", "%v", err)
	}
	if a := c.Cluster.AdvertiseAddr; a != "" {
		if err := checkHostPort(a, false); err != nil {
			add("CLUSTER_ADVERTISE_ADDR", "%v", err)
		}
	}
	for _, s := range c.Cluster.Seeds {
		if err := checkHostPort(s, false); err != nil {
			add("CLUSTER_SEEDS", "%v", err)
		}
	}
	for _, s := range c.WebRTC.ICEServers {
		scheme, _, _ := strings.Cut(s, ":")
		if !slices.Contains([]string{"stun", "stuns", "turn", "turns"}, strings.ToLower(scheme)) {
			add("WEBRTC_ICE_SERVERS", "%q is not a stun:, stuns:, turn: or turns: URL", s)
		}
	}
}

func (c *Config) checkServices(add addFunc) {
	if c.RateLimit.Backend == "redis" && c.RateLimitRedisURL() == "" {
		add("RATE_LIMIT_REDIS_URL", "required when RATE_LIMIT_BACKEND is redis (or set CACHE_REDIS_URL or REDIS_URL)")
	}
	if c.Cache.Mode == "multi" && c.Cache.L2 == "redis" && c.CacheRedisURL() == "" {
		add("CACHE_REDIS_URL", "required when CACHE_MODE is multi and CACHE_L2 is redis (or set REDIS_URL)")
	}
	if l := c.Limits; l.MinUsername > l.MaxUsername {
		add("LIMIT_MIN_USERNAME", "must not exceed LIMIT_MAX_USERNAME (%d), got %q", l.MaxUsername, strconv.Itoa(l.MinUsername))
	}
}

// validBindAddress accepts an IP address (IPv6 optionally in brackets) or
// a host name (letters, digits, dots and hyphens).
func validBindAddress(s string) bool {
	if ip := strings.TrimSuffix(strings.TrimPrefix(s, "["), "]"); net.ParseIP(ip) != nil {
		return true
	}
	return hostNameRE.MatchString(s)
}

var hostNameRE = regexp.MustCompile(`^[A-Za-z0-9]([A-Za-z0-9-]*[A-Za-z0-9])?(\.[A-Za-z0-9]([A-Za-z0-9-]*[A-Za-z0-9])?)*$`)

// clientIPHeaders are the values CLIENT_IP_HEADER accepts (in any case).
var clientIPHeaders = []string{"X-Forwarded-For", "X-Real-IP", "CF-Connecting-IP", "Fly-Client-IP", "none"}

// checkHostPort accepts "host:port" with a numeric port; port 0 only when
// allowZero (meaning "pick a free port").
func checkHostPort(s string, allowZero bool) error {
	host, port, err := net.SplitHostPort(s)
	if err != nil {
		return fmt.Errorf("%q is not host:port", s)
	}
	n, err := strconv.Atoi(port)
	low := 1
	if allowZero {
		low = 0
	}
	if err != nil || n < low || n > 65535 || (host == "" && !allowZero) {
		return fmt.Errorf("%q is not host:port with a port between %d and 65535", s, low)
	}
	return nil
}
