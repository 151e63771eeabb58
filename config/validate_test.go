package config

import (
	"errors"
	"strings"
	"testing"
)

const goodSecret = "0123456789abcdef0123456789abcdef0123456789abcdef"

func TestValidationErrorsNameTheirVariable(t *testing.T) {
	tests := []struct {
		env      []string
		wantVar  string
		wantText string
	}{
		{[]string{"PORT=99999"}, "PORT", `must be between 1 and 65535, got "99999"`},
		{[]string{"PORT=0"}, "PORT", `must be between 1 and 65535, got "0"`},
		{[]string{"PORT=abc"}, "PORT", `must be an integer, got "abc"`},
		{[]string{"HTTPS_PORT=70000"}, "HTTPS_PORT", "must be between 1 and 65535"},
		{[]string{"POSTGRES_PORT=-1"}, "POSTGRES_PORT", "must be between 1 and 65535"},
		{[]string{"RATE_LIMIT_BACKEND=mem"}, "RATE_LIMIT_BACKEND", `must be "ets" or "redis", got "mem"`},
		{[]string{"SQLITE_SYNCHRONOUS=sometimes"}, "SQLITE_SYNCHRONOUS", "must be one of off, normal, full, extra"},
		{[]string{"GAMEND_ENV=staging"}, "GAMEND_ENV", "must be one of development, production, test"},
		{[]string{"LOG_FORMAT=xml"}, "LOG_FORMAT", `must be "text" or "json"`},
		{[]string{"PHX_SCHEME=ftp"}, "PHX_SCHEME", `must be "http" or "https"`},
		{[]string{"SMTP_TLS=sometimes"}, "SMTP_TLS", "must be one of never, if_available, always"},
		{[]string{"CACHE_MODE=both"}, "CACHE_MODE", `must be "single" or "multi"`},
		{[]string{"DATABASE_ADAPTER=mysql"}, "DATABASE_ADAPTER", `must be "sqlite" or "postgres"`},
		{[]string{"DATABASE_URL=mysql://u:pw@h/db"}, "DATABASE_URL", "not a postgres:// or postgresql:// URL"},
		{[]string{"DATABASE_ADAPTER=postgres"}, "DATABASE_ADAPTER", "needs DATABASE_URL"},
		{[]string{"TRUSTED_PROXIES=10.0.0.300/8"}, "TRUSTED_PROXIES", `"10.0.0.300/8" is not a CIDR`},
		{[]string{"TRUSTED_PROXIES=none,10.0.0.0/8"}, "TRUSTED_PROXIES", "cannot be combined"},
		{[]string{"BIND_ADDRESS=127.0.0.1:4000"}, "BIND_ADDRESS", `must be an IP address or host name without a port, got "127.0.0.1:4000"`},
		{[]string{"BIND_ADDRESS=http://localhost"}, "BIND_ADDRESS", "must be an IP address or host name"},
		{[]string{"CLIENT_IP_HEADER=X-Client-IP"}, "CLIENT_IP_HEADER", `must be one of X-Forwarded-For, X-Real-IP, CF-Connecting-IP, Fly-Client-IP, none, got "X-Client-IP"`},
		{[]string{"PHX_ALLOWED_ORIGINS=regex:(["}, "PHX_ALLOWED_ORIGINS", "invalid regex"},
		{[]string{"PHX_HOST=https://game.example.com"}, "PHX_HOST", "without scheme or path"},
		{[]string{"RATE_LIMIT_WS_WINDOW=0"}, "RATE_LIMIT_WS_WINDOW", `must be > 0, got "0"`},
		{[]string{"RATE_LIMIT_HTTP_AUTH_LIMIT=-5"}, "RATE_LIMIT_HTTP_AUTH_LIMIT", "must be > 0"},
		{[]string{"LIMIT_MAX_PAGE_SIZE=-1"}, "LIMIT_MAX_PAGE_SIZE", `must be >= 0, got "-1"`},
		{[]string{"LIMIT_MAX_UPLOAD_BYTES=-1"}, "LIMIT_MAX_UPLOAD_BYTES", "must be >= 0"},
		{[]string{"LIMIT_MIN_USERNAME=40"}, "LIMIT_MIN_USERNAME", "must not exceed LIMIT_MAX_USERNAME"},
		{[]string{"WRITE_BEHIND_MAX_BATCH=0"}, "WRITE_BEHIND_MAX_BATCH", "must be > 0"},
		{[]string{"ACTOR_REQUEST_TIMEOUT_MS=0"}, "ACTOR_REQUEST_TIMEOUT_MS", "must be > 0"},
		{[]string{"MAX_BODY_BYTES=0"}, "MAX_BODY_BYTES", "must be > 0"},
		{[]string{"SECRET_KEY_BASE=short"}, "SECRET_KEY_BASE", "at least 32 bytes"},
		{[]string{"GUARDIAN_SECRET_KEY=short"}, "GUARDIAN_SECRET_KEY", "at least 32 bytes"},
		{[]string{"GAMEND_ENV=production"}, "SECRET_KEY_BASE", "GUARDIAN_SECRET_KEY"},
		{[]string{"RATE_LIMIT_BACKEND=redis"}, "RATE_LIMIT_REDIS_URL", "required when RATE_LIMIT_BACKEND is redis"},
		{[]string{"CACHE_MODE=multi", "CACHE_L2=redis"}, "CACHE_REDIS_URL", "required"},
		{[]string{"SSL_CERTFILE=/tmp/cert.pem"}, "SSL_KEYFILE", "set together"},
		{[]string{"CLUSTER_LISTEN_ADDR=nowhere"}, "CLUSTER_LISTEN_ADDR", "not host:port"},
		{[]string{"CLUSTER_ADVERTISE_ADDR=10.0.0.1:0"}, "CLUSTER_ADVERTISE_ADDR", "port between 1 and 65535"},
		{[]string{"CLUSTER_SEEDS=10.0.0.2:4001,bad", "DATABASE_URL=postgres://h/db"}, "CLUSTER_SEEDS", `"bad" is not host:port`},
		{[]string{"CLUSTER_SEEDS=10.0.0.2:4001"}, "CLUSTER_SEEDS", "needs PostgreSQL"},
		{[]string{"WEBRTC_ICE_SERVERS=http://stun.example.com"}, "WEBRTC_ICE_SERVERS", "not a stun:"},
		{[]string{"LOG_LEVEL=verbose"}, "LOG_LEVEL", "must be one of debug"},
	}
	for _, tt := range tests {
		t.Run(strings.Join(tt.env, " "), func(t *testing.T) {
			errs := loadErr(t, tt.env...)
			for _, e := range errs {
				if e.Var == tt.wantVar && strings.Contains(e.Msg, tt.wantText) {
					if !strings.HasPrefix(e.Error(), tt.wantVar+": ") {
						t.Errorf("message %q does not start with the variable", e)
					}
					return
				}
			}
			t.Errorf("errors %v: none names %s with %q", errs, tt.wantVar, tt.wantText)
		})
	}
}

func TestValidationCollectsAllErrors(t *testing.T) {
	errs := loadErr(t, "PORT=99999", "RATE_LIMIT_BACKEND=mem", "LIMIT_MAX_KV_KEY=-1", "ECTO_IPV6=perhaps")
	want := map[string]bool{"PORT": true, "RATE_LIMIT_BACKEND": true, "LIMIT_MAX_KV_KEY": true, "ECTO_IPV6": true}
	if len(errs) != len(want) {
		t.Fatalf("got %d errors %v, want %d", len(errs), errs, len(want))
	}
	for _, e := range errs {
		if !want[e.Var] {
			t.Errorf("unexpected error %v", e)
		}
	}
	msg := errs.Error()
	for v := range want {
		if !strings.Contains(msg, v+": ") {
			t.Errorf("combined message lacks %s:\n%s", v, msg)
		}
	}
	var fe *FieldError
	if !errors.As(error(errs), &fe) {
		t.Error("errors.As cannot reach a *FieldError")
	}
}

func TestProductionWithSecretIsValid(t *testing.T) {
	for _, kv := range []string{"SECRET_KEY_BASE=" + goodSecret, "GUARDIAN_SECRET_KEY=" + goodSecret} {
		c := load(t, "GAMEND_ENV=production", kv)
		if !c.Production() || len(c.JWTSecret()) != len(goodSecret) {
			t.Errorf("%s: Production=%v JWTSecret length %d", kv, c.Production(), len(c.JWTSecret()))
		}
	}
}

// TestSecretsNeverInErrors gives every secret variable a bad value that
// carries a marker; no error message may contain the marker.
func TestSecretsNeverInErrors(t *testing.T) {
	const marker = "hunter2"
	environ := []string{
		"SECRET_KEY_BASE=" + marker, "GUARDIAN_SECRET_KEY=" + marker,
		"DATABASE_URL=mysql://root:" + marker + "@db/x", "DATABASE_ADAPTER=postgres",
		"RATE_LIMIT_BACKEND=redis",
	}
	errs := loadErr(t, environ...)
	if len(errs) < 3 {
		t.Fatalf("want at least 3 errors, got %v", errs)
	}
	if strings.Contains(errs.Error(), marker) {
		t.Errorf("secret value leaked into errors:\n%s", errs)
	}
	c := load(t, "SMTP_PASSWORD="+marker, "SECRET_KEY_BASE="+goodSecret)
	if s := c.String(); strings.Contains(s, marker) || strings.Contains(s, goodSecret) {
		t.Errorf("Config.String leaks a secret:\n%s", s)
	}
}

func TestValidateAfterEdit(t *testing.T) {
	c := load(t)
	if err := c.Validate(); err != nil {
		t.Fatalf("defaults invalid: %v", err)
	}
	c.HTTP.Port = 70000
	c.WriteBehind.QueueSize = 0
	var errs Errors
	if err := c.Validate(); !errors.As(err, &errs) || len(errs) != 2 {
		t.Fatalf("Validate = %v, want PORT and WRITE_BEHIND_QUEUE_SIZE errors", err)
	}
}
