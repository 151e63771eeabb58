package config

import (
	"fmt"
	"log/slog"
	"net"
	"net/netip"
	"net/url"
	"strconv"
	"strings"
)

// Run modes (GAMEND_ENV).
const (
	EnvDevelopment = "development"
	EnvProduction  = "production"
	EnvTest        = "test"
)

// Database dialects returned by DatabaseDialect.
const (
	DialectSQLite   = "sqlite"
	DialectPostgres = "postgres"
)

// Production reports whether GAMEND_ENV is production.
func (c *Config) Production() bool { return c.Env == EnvProduction }

// DatabaseDialect is DialectPostgres when DATABASE_ADAPTER says so, or when
// it is empty and DATABASE_URL is set or POSTGRES_HOST and POSTGRES_USER
// both are; otherwise DialectSQLite.
func (c *Config) DatabaseDialect() string {
	if c.DB.Adapter != "" {
		return c.DB.Adapter
	}
	if c.DB.URL != "" || (c.DB.Postgres.Host != "" && c.DB.Postgres.User != "") {
		return DialectPostgres
	}
	return DialectSQLite
}

// PostgresURL is DATABASE_URL (an upstream ecto:// scheme becomes
// postgres://), or else a postgres:// URL built from POSTGRES_* with every
// part escaped. It contains the password: never log it.
func (c *Config) PostgresURL() string {
	if u := c.DB.URL; u != "" {
		if rest, ok := cutPrefixFold(u, "ecto://"); ok {
			return "postgres://" + rest
		}
		return u
	}
	p := c.DB.Postgres
	u := url.URL{
		Scheme: "postgres",
		Host:   net.JoinHostPort(p.Host, strconv.Itoa(p.Port)),
		Path:   "/" + p.Database,
	}
	if p.Password != "" {
		u.User = url.UserPassword(p.User, p.Password)
	} else if p.User != "" {
		u.User = url.User(p.User)
	}
	return u.String()
}

// DBPoolSize is POOL_SIZE, or 10 on PostgreSQL and 5 on SQLite when it is 0.
func (c *Config) DBPoolSize() int {
	switch {
	case c.DB.PoolSize > 0:
		return c.DB.PoolSize
	case c.DatabaseDialect() == DialectPostgres:
		return 10
	default:
		return 5
	}
}

// Scheme is PHX_SCHEME, or http for localhost/127.0.0.1 and https otherwise.
func (c *Config) Scheme() string {
	if c.HTTP.Scheme != "" {
		return c.HTTP.Scheme
	}
	if isLocalHost(c.HTTP.Host) {
		return "http"
	}
	return "https"
}

// PublicURL is the server's external base URL without a trailing slash,
// e.g. "https://game.example.com" or "http://localhost:4000". The port is
// included only for http on localhost/127.0.0.1 when it is not 80.
func (c *Config) PublicURL() string {
	scheme, host := c.Scheme(), c.HTTP.Host
	if scheme == "http" && isLocalHost(host) && c.HTTP.Port != 80 {
		host = net.JoinHostPort(host, strconv.Itoa(c.HTTP.Port))
	}
	return scheme + "://" + host
}

func isLocalHost(h string) bool { return h == "localhost" || h == "127.0.0.1" }

// JWTSecret is the HMAC key for tokens: GUARDIAN_SECRET_KEY, else
// SECRET_KEY_BASE (which EnsureDevSecret fills outside production).
func (c *Config) JWTSecret() []byte {
	if c.Auth.GuardianSecretKey != "" {
		return []byte(c.Auth.GuardianSecretKey)
	}
	return []byte(c.Auth.SecretKeyBase)
}

// CookieSecret is the key for signing browser cookies: SECRET_KEY_BASE,
// else GUARDIAN_SECRET_KEY.
func (c *Config) CookieSecret() []byte {
	if c.Auth.SecretKeyBase != "" {
		return []byte(c.Auth.SecretKeyBase)
	}
	return []byte(c.Auth.GuardianSecretKey)
}

// HTTPListenAddr is the host:port the HTTP listener binds: BIND_ADDRESS
// (every interface when empty; an IPv6 address with or without brackets)
// and PORT.
func (c *Config) HTTPListenAddr() string {
	host := strings.TrimSuffix(strings.TrimPrefix(c.HTTP.BindAddress, "["), "]")
	return net.JoinHostPort(host, strconv.Itoa(c.HTTP.Port))
}

// AllowedOrigins parses PHX_ALLOWED_ORIGINS. An invalid entry (which
// Validate reports) is skipped.
func (c *Config) AllowedOrigins() *Origins {
	o, _ := ParseOrigins(c.HTTP.AllowedOrigins)
	return o
}

// TrustedProxies parses TRUSTED_PROXIES; "none" gives an empty list. An
// invalid entry (which Validate reports) is skipped.
func (c *Config) TrustedProxies() []netip.Prefix {
	out, _ := parseProxies(c.HTTP.TrustedProxies)
	return out
}

// parseProxies parses CIDRs or bare IPs (one-address prefixes); it returns
// every valid prefix and the first error.
func parseProxies(list []string) ([]netip.Prefix, error) {
	if len(list) == 1 && strings.EqualFold(list[0], "none") {
		return []netip.Prefix{}, nil
	}
	var out []netip.Prefix
	var first error
	for _, s := range list {
		if strings.EqualFold(s, "none") {
			first = cmpErr(first, fmt.Errorf("%q cannot be combined with other entries", s))
			continue
		}
		if p, err := netip.ParsePrefix(s); err == nil {
			out = append(out, p.Masked())
			continue
		}
		if a, err := netip.ParseAddr(s); err == nil {
			out = append(out, netip.PrefixFrom(a, a.BitLen()))
			continue
		}
		first = cmpErr(first, fmt.Errorf("%q is not a CIDR", s))
	}
	return out, first
}

func cmpErr(first, next error) error {
	if first != nil {
		return first
	}
	return next
}

// CacheRedisURL is CACHE_REDIS_URL, else REDIS_URL.
func (c *Config) CacheRedisURL() string {
	return firstNonEmpty(c.Cache.RedisURL, c.Redis.URL)
}

// RateLimitRedisURL is RATE_LIMIT_REDIS_URL, else CACHE_REDIS_URL, else REDIS_URL.
func (c *Config) RateLimitRedisURL() string {
	return firstNonEmpty(c.RateLimit.RedisURL, c.Cache.RedisURL, c.Redis.URL)
}

// SMTPEnabled reports whether mail goes out over SMTP (SMTP_PASSWORD is
// set) rather than to the local mailbox.
func (c *Config) SMTPEnabled() bool { return c.SMTP.Password != "" }

// SMTPServerName is the TLS server name for SMTP: SMTP_SNI, else SMTP_RELAY.
func (c *Config) SMTPServerName() string { return firstNonEmpty(c.SMTP.SNI, c.SMTP.Relay) }

// TLSEnabled reports whether native HTTPS is configured (both files set;
// the caller checks that they exist).
func (c *Config) TLSEnabled() bool { return c.TLS.CertFile != "" && c.TLS.KeyFile != "" }

// ForceSSL is FORCE_SSL, or, when unset, whether native HTTPS is
// configured and certFilesExist.
func (c *Config) ForceSSL(certFilesExist bool) bool {
	if c.TLS.ForceSSL != nil {
		return *c.TLS.ForceSSL
	}
	return c.TLSEnabled() && certFilesExist
}

// ACMEWebroot is ACME_WEBROOT, else /var/www/acme when SSL_CERTFILE is
// set, else "" (no ACME challenge route).
func (c *Config) ACMEWebroot() string {
	if c.TLS.ACMEWebroot != "" {
		return c.TLS.ACMEWebroot
	}
	if c.TLS.CertFile != "" {
		return "/var/www/acme"
	}
	return ""
}

// String lists every variable with its current value, secrets redacted,
// so a Config is safe to print or log.
func (c *Config) String() string {
	var b strings.Builder
	for i := range allFields() {
		f := &allFields()[i]
		fmt.Fprintf(&b, "%s=%s\n", f.Name, f.display(c))
	}
	return b.String()
}

func firstNonEmpty(ss ...string) string {
	for _, s := range ss {
		if s != "" {
			return s
		}
	}
	return ""
}

func cutPrefixFold(s, prefix string) (string, bool) {
	if len(s) >= len(prefix) && strings.EqualFold(s[:len(prefix)], prefix) {
		return s[len(prefix):], true
	}
	return s, false
}

// SlogLevel maps an upstream (Elixir Logger) level name, as LOG_LEVEL,
// LOG_FILE_LEVEL and ACCESS_LOG_LEVEL accept, to a slog level; on is false
// for "off".
func SlogLevel(name string) (level slog.Level, on bool) {
	switch strings.ToLower(name) {
	case "off":
		return 0, false
	case "debug":
		return slog.LevelDebug, true
	case "warning", "warn":
		return slog.LevelWarn, true
	case "error", "critical", "alert", "emergency":
		return slog.LevelError, true
	default: // info, notice
		return slog.LevelInfo, true
	}
}
