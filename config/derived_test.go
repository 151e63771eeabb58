package config

import (
	"log/slog"
	"net/netip"
	"reflect"
	"testing"
)

func TestPublicURL(t *testing.T) {
	tests := []struct {
		env  []string
		want string
	}{
		{nil, "http://localhost:4000"},
		{[]string{"PORT=80"}, "http://localhost"},
		{[]string{"PHX_HOST=127.0.0.1", "PORT=8080"}, "http://127.0.0.1:8080"},
		{[]string{"PHX_HOST=game.example.com"}, "https://game.example.com"},
		{[]string{"PHX_HOST=game.example.com", "PORT=8443"}, "https://game.example.com"},
		{[]string{"PHX_HOST=game.example.com", "PHX_SCHEME=http"}, "http://game.example.com"},
		{[]string{"PHX_SCHEME=https"}, "https://localhost"},
		{[]string{"PHX_SCHEME=HTTP", "PORT=4001"}, "http://localhost:4001"},
	}
	for _, tt := range tests {
		if got := load(t, tt.env...).PublicURL(); got != tt.want {
			t.Errorf("%v: PublicURL = %q, want %q", tt.env, got, tt.want)
		}
	}
}

func TestDatabase(t *testing.T) {
	tests := []struct {
		env         []string
		dialect     string
		url         string
		poolSize    int
		description string
	}{
		{nil, DialectSQLite, "", 5, "defaults"},
		{[]string{"POSTGRES_HOST=db"}, DialectSQLite, "", 5, "host alone is not enough"},
		{[]string{"DATABASE_URL=postgres://u:p@db:5432/game"}, DialectPostgres, "postgres://u:p@db:5432/game", 10, "url"},
		{[]string{"DATABASE_URL=ecto://u:p@db/game"}, DialectPostgres, "postgres://u:p@db/game", 10, "upstream ecto scheme"},
		{[]string{"POSTGRES_HOST=db", "POSTGRES_USER=game", "POSTGRES_PASSWORD=p@ss:w/rd?#%", "POOL_SIZE=3"},
			DialectPostgres, "postgres://game:p%40ss%3Aw%2Frd%3F%23%25@db:5432/game_server_prod", 3, "escaped parts"},
		{[]string{"POSTGRES_HOST=::1", "POSTGRES_USER=game", "POSTGRES_PORT=6543", "POSTGRES_DB=g"},
			DialectPostgres, "postgres://game@[::1]:6543/g", 10, "ipv6 host, no password"},
		{[]string{"DATABASE_URL=postgres://db/x", "POSTGRES_HOST=other", "POSTGRES_USER=u"},
			DialectPostgres, "postgres://db/x", 10, "url wins"},
		{[]string{"DATABASE_ADAPTER=sqlite", "DATABASE_URL=postgres://db/x"}, DialectSQLite, "postgres://db/x", 5, "forced sqlite"},
	}
	for _, tt := range tests {
		c := load(t, tt.env...)
		if got := c.DatabaseDialect(); got != tt.dialect {
			t.Errorf("%s: dialect %q, want %q", tt.description, got, tt.dialect)
		}
		if tt.url != "" {
			if got := c.PostgresURL(); got != tt.url {
				t.Errorf("%s: PostgresURL %q, want %q", tt.description, got, tt.url)
			}
		}
		if got := c.DBPoolSize(); got != tt.poolSize {
			t.Errorf("%s: DBPoolSize %d, want %d", tt.description, got, tt.poolSize)
		}
	}
}

func TestSecrets(t *testing.T) {
	const a, b = goodSecret + "-guardian", goodSecret + "-base"
	tests := []struct {
		env         []string
		jwt, cookie string
	}{
		{[]string{"GUARDIAN_SECRET_KEY=" + a, "SECRET_KEY_BASE=" + b}, a, b},
		{[]string{"SECRET_KEY_BASE=" + b}, b, b},
		{[]string{"GUARDIAN_SECRET_KEY=" + a}, a, a},
		{nil, "", ""},
	}
	for _, tt := range tests {
		c := load(t, tt.env...)
		if string(c.JWTSecret()) != tt.jwt || string(c.CookieSecret()) != tt.cookie {
			t.Errorf("%d vars: JWTSecret/CookieSecret mismatch", len(tt.env))
		}
	}
}

func TestTrustedProxies(t *testing.T) {
	tests := []struct {
		value string
		want  []string
	}{
		{"", []string{"127.0.0.0/8", "::1/128"}},
		{"none", []string{}},
		{"NONE", []string{}},
		{"10.1.2.3, 2001:db8::/32", []string{"10.1.2.3/32", "2001:db8::/32"}},
		{"10.1.2.3/8", []string{"10.0.0.0/8"}},
	}
	for _, tt := range tests {
		c := load(t, "TRUSTED_PROXIES="+tt.value)
		got := []string{}
		for _, p := range c.TrustedProxies() {
			got = append(got, p.String())
		}
		if !reflect.DeepEqual(got, tt.want) {
			t.Errorf("TRUSTED_PROXIES=%q: got %v, want %v", tt.value, got, tt.want)
		}
	}
	c := load(t)
	// Loopback only: a client on a LAN, Docker or Kubernetes network is
	// not a proxy until the operator says so.
	for a, want := range map[string]bool{"127.0.0.1": true, "::1": true, "172.20.1.1": false, "10.0.0.2": false, "192.168.1.5": false, "fd00::1": false, "8.8.8.8": false} {
		if contains(c.TrustedProxies(), netip.MustParseAddr(a)) != want {
			t.Errorf("default proxies cover %s: %v, want %v", a, !want, want)
		}
	}
}

func contains(ps []netip.Prefix, a netip.Addr) bool {
	for _, p := range ps {
		if p.Contains(a) {
			return true
		}
	}
	return false
}

func TestServiceHelpers(t *testing.T) {
	c := load(t, "REDIS_URL=redis://shared", "SMTP_RELAY=smtp.example.com")
	if c.CacheRedisURL() != "redis://shared" || c.RateLimitRedisURL() != "redis://shared" {
		t.Errorf("REDIS_URL fallback: cache %q, rate limit %q", c.CacheRedisURL(), c.RateLimitRedisURL())
	}
	c = load(t, "REDIS_URL=redis://shared", "CACHE_REDIS_URL=redis://cache", "RATE_LIMIT_BACKEND=redis")
	if c.RateLimitRedisURL() != "redis://cache" {
		t.Errorf("RATE_LIMIT_REDIS_URL should fall back to CACHE_REDIS_URL, got %q", c.RateLimitRedisURL())
	}
	c = load(t, "SMTP_RELAY=smtp.example.com")
	if c.SMTPEnabled() || c.SMTPServerName() != "smtp.example.com" {
		t.Errorf("SMTP: enabled %v, server name %q", c.SMTPEnabled(), c.SMTPServerName())
	}
	c = load(t, "SSL_CERTFILE=/c.pem", "SSL_KEYFILE=/k.pem")
	if !c.TLSEnabled() || !c.ForceSSL(true) || c.ForceSSL(false) || c.ACMEWebroot() != "/var/www/acme" {
		t.Errorf("TLS helpers: enabled %v force %v/%v webroot %q", c.TLSEnabled(), c.ForceSSL(true), c.ForceSSL(false), c.ACMEWebroot())
	}
	if c := load(t); c.ACMEWebroot() != "" || c.ForceSSL(true) {
		t.Error("no TLS: want no ACME webroot and no forced SSL")
	}
}

func TestSlogLevel(t *testing.T) {
	tests := []struct {
		name string
		want slog.Level
		on   bool
	}{
		{"debug", slog.LevelDebug, true}, {"info", slog.LevelInfo, true}, {"notice", slog.LevelInfo, true},
		{"warning", slog.LevelWarn, true}, {"warn", slog.LevelWarn, true}, {"critical", slog.LevelError, true},
		{"off", 0, false},
	}
	for _, tt := range tests {
		if got, on := SlogLevel(tt.name); got != tt.want || on != tt.on {
			t.Errorf("SlogLevel(%q) = %v, %v", tt.name, got, on)
		}
	}
}

func TestHTTPListenAddr(t *testing.T) {
	for bind, want := range map[string]string{"": ":4000", "127.0.0.1": "127.0.0.1:4000", "::1": "[::1]:4000", "[::1]": "[::1]:4000", "localhost": "localhost:4000"} {
		c := load(t, "BIND_ADDRESS="+bind)
		if errs := c.Validate(); errs != nil {
			t.Fatalf("BIND_ADDRESS=%q: %v", bind, errs)
		}
		if got := c.HTTPListenAddr(); got != want {
			t.Errorf("BIND_ADDRESS=%q: listen on %q, want %q", bind, got, want)
		}
	}
}
