package config

import (
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"
)

// load runs Load on kv ("KEY=value" entries) with ENV_FILE=none and fails
// the test on error.
func load(t *testing.T, kv ...string) *Config {
	t.Helper()
	c, err := Load(append(kv, "ENV_FILE=none"))
	if err != nil {
		t.Fatalf("Load(%q): %v", kv, err)
	}
	return c
}

// loadErr runs Load with ENV_FILE=none and returns its Errors.
func loadErr(t *testing.T, kv ...string) Errors {
	t.Helper()
	c, err := Load(append(kv, "ENV_FILE=none"))
	if err == nil {
		t.Fatalf("Load(%q) = %v, want an error", kv, c)
	}
	var errs Errors
	if !errors.As(err, &errs) {
		t.Fatalf("Load(%q) error %T %v, want Errors", kv, err, err)
	}
	return errs
}

func TestDefaults(t *testing.T) {
	c := load(t)
	tests := []struct {
		name      string
		got, want any
	}{
		{"GAMEND_ENV", c.Env, "development"},
		{"PHX_HOST", c.HTTP.Host, "localhost"},
		{"PORT", c.HTTP.Port, 4000},
		{"PHX_SCHEME", c.HTTP.Scheme, ""},
		{"MAX_BODY_BYTES", c.HTTP.MaxBodyBytes, int64(1 << 20)},
		{"TRUSTED_PROXIES", len(c.HTTP.TrustedProxies), 2},
		{"CLIENT_IP_HEADER", c.HTTP.ClientIPHeader, "X-Forwarded-For"},
		{"SHUTDOWN_TIMEOUT_MS", c.HTTP.ShutdownTimeout.Duration(), 15 * time.Second},
		{"HTTPS_PORT", c.TLS.HTTPSPort, 443},
		{"FORCE_SSL", c.TLS.ForceSSL == nil, true},
		{"LOG_LEVEL", c.Log.Level, "info"},
		{"ACCESS_LOG_LEVEL", c.Log.AccessLevel, "debug"},
		{"LOG_FORMAT", c.Log.Format, "text"},
		{"LOG_FILE_MAX_BYTES", c.Log.FileMaxBytes, int64(10000000)},
		{"LOG_FILE_MAX_FILES", c.Log.FileMaxFiles, 5},
		{"OPENAPI_ENABLED", c.Features.OpenAPI, true},
		{"LIST_MATCHMAKING_ENABLED", c.Features.ListMatchmaking, true},
		{"REQUIRE_ACCOUNT_ACTIVATION", c.Auth.RequireAccountActivation, false},
		{"DEVICE_AUTH_ENABLED", c.Auth.DeviceAuthEnabled, true},
		{"MIN_PASSWORD_LENGTH", c.Auth.MinPasswordLength, 8},
		{"REALTIME_DEBOUNCE_MS", c.Realtime.Debounce, Millis(0)},
		{"POSTGRES_PORT", c.DB.Postgres.Port, 5432},
		{"POSTGRES_DB", c.DB.Postgres.Database, "game_server_prod"},
		{"SQLITE_DATABASE_PATH", c.DB.SQLite.Path, "data/gamend.db"},
		{"SQLITE_SYNCHRONOUS", c.DB.SQLite.Synchronous, "full"},
		{"SQLITE_CACHE_SIZE_KB", c.DB.SQLite.CacheSizeKB, 200000},
		{"SQLITE_BUSY_TIMEOUT", c.DB.SQLite.BusyTimeout, Millis(15000)},
		{"SQLITE_WAL_AUTOCHECKPOINT", c.DB.SQLite.WALAutocheckpoint, 2000},
		{"POOL_SIZE", c.DB.PoolSize, 0},
		{"DB_POOL_TIMEOUT", c.DB.PoolTimeout, Millis(10000)},
		{"DB_QUEUE_TARGET", c.DB.QueueTarget, Millis(10000)},
		{"DB_QUEUE_INTERVAL", c.DB.QueueInterval, Millis(1000)},
		{"DB_QUERY_TIMEOUT", c.DB.QueryTimeout, Millis(15000)},
		{"SMTP_PORT", c.SMTP.Port, 465},
		{"SMTP_SSL", c.SMTP.SSL, true},
		{"SMTP_TLS", c.SMTP.TLS, "never"},
		{"RATE_LIMIT_BACKEND", c.RateLimit.Backend, "ets"},
		{"RATE_LIMIT_HTTP_GENERAL_LIMIT", c.RateLimit.HTTPGeneralLimit, 240},
		{"RATE_LIMIT_HTTP_GENERAL_WINDOW", c.RateLimit.HTTPGeneralWindow, Millis(60000)},
		{"RATE_LIMIT_HTTP_AUTH_LIMIT", c.RateLimit.HTTPAuthLimit, 10},
		{"RATE_LIMIT_HTTP_AUTH_WINDOW", c.RateLimit.HTTPAuthWindow, Millis(60000)},
		{"RATE_LIMIT_WS_LIMIT", c.RateLimit.WSLimit, 60},
		{"RATE_LIMIT_WS_WINDOW", c.RateLimit.WSWindow, Millis(10000)},
		{"RATE_LIMIT_WEBRTC_LIMIT", c.RateLimit.WebRTCLimit, 300},
		{"RATE_LIMIT_WEBRTC_WINDOW", c.RateLimit.WebRTCWindow, Millis(10000)},
		{"CACHE_ENABLED", c.Cache.Enabled, true},
		{"CACHE_MODE", c.Cache.Mode, "single"},
		{"CACHE_L2", c.Cache.L2, "partitioned"},
		{"CACHE_REDIS_POOL_SIZE", c.Cache.RedisPoolSize, 10},
		{"GAME_SERVER_PLUGINS_DIR", c.Plugins.Dir, "modules/plugins"},
		{"RETENTION_CHAT_DAYS", c.Retention.ChatDays, 0},
		{"RETENTION_LOBBY_SNAPSHOTS_DAYS", c.Retention.LobbySnapshotsDays, 30},
		{"RETENTION_LOBBY_SNAPSHOTS_FLAGGED_DAYS", c.Retention.LobbySnapshotsFlaggedDays, 90},
		{"LIMIT_MAX_METADATA_SIZE", c.Limits.MaxMetadataSize, 16384},
		{"LIMIT_MAX_SOCKETS_PER_USER", c.Limits.MaxSocketsPerUser, 20},
		{"LIMIT_MAX_CHAT_MESSAGES_PER_DAY", c.Limits.MaxChatMessagesPerDay, 5000},
		{"LIMIT_MAX_LEADERBOARD_DESCRIPTION", c.Limits.MaxLeaderboardDescription, 1000},
		{"LIMIT_MAX_UPLOAD_BYTES", c.Limits.MaxUploadBytes, int64(5242880)},
		{"WRITE_BEHIND_MAX_BATCH", c.WriteBehind.MaxBatch, 256},
		{"WRITE_BEHIND_MAX_DELAY_US", c.WriteBehind.MaxDelay.Duration(), time.Duration(0)},
		{"WRITE_BEHIND_QUEUE_SIZE", c.WriteBehind.QueueSize, 8192},
		{"ACTOR_IDLE_TIMEOUT_MS", c.Actors.IdleTimeout.Duration(), 5 * time.Minute},
		{"ACTOR_REQUEST_TIMEOUT_MS", c.Actors.RequestTimeout.Duration(), 5 * time.Second},
		{"CLUSTER_LISTEN_ADDR", c.Cluster.ListenAddr, "127.0.0.1:0"},
		{"CLUSTER_ADVERTISE_ADDR", c.Cluster.AdvertiseAddr, ""},
		{"CLUSTER_SEEDS", len(c.Cluster.Seeds), 0},
		{"WEBRTC_ENABLED", c.WebRTC.Enabled, true},
		{"WEBRTC_ICE_SERVERS", c.WebRTC.ICEServers, []string{"stun:stun.l.google.com:19302"}},
		{"MAILBOX_PREVIEW_ENABLED", c.Ops.MailboxPreviewEnabled, false},
		{"dialect", c.DatabaseDialect(), DialectSQLite},
		{"pool", c.DBPoolSize(), 5},
	}
	for _, tt := range tests {
		if !reflect.DeepEqual(tt.got, tt.want) {
			t.Errorf("%s = %#v, want %#v", tt.name, tt.got, tt.want)
		}
	}
	if len(c.Cluster.NodeID) != 16 {
		t.Errorf("CLUSTER_NODE_ID = %q, want a random 16-hex-digit id", c.Cluster.NodeID)
	}
	if other := load(t); other.Cluster.NodeID == c.Cluster.NodeID {
		t.Errorf("two loads share node id %q", c.Cluster.NodeID)
	}
}

func TestEnvFile(t *testing.T) {
	tests := []struct {
		name    string
		environ []string
		check   func(t *testing.T, c *Config)
	}{
		{"file values", nil, func(t *testing.T, c *Config) {
			for _, kv := range [][2]string{
				{c.HTTP.Host, "game.example.com"}, {c.Log.Level, "debug"}, {c.SMTP.FromName, "My Game"},
			} {
				if kv[0] != kv[1] {
					t.Errorf("got %q, want %q from the file", kv[0], kv[1])
				}
			}
			if c.HTTP.Port != 5000 || c.RateLimit.WSLimit != 99 || c.Features.ListUsers {
				t.Errorf("PORT=%d RATE_LIMIT_WS_LIMIT=%d LIST_USERS_ENABLED=%v, want 5000 99 false",
					c.HTTP.Port, c.RateLimit.WSLimit, c.Features.ListUsers)
			}
			if c.SMTP.Password != "pa$SWORD" || c.SMTP.Username != "user-" {
				t.Errorf("dollar handling: SMTP_PASSWORD=%q SMTP_USERNAME=%q", c.SMTP.Password, c.SMTP.Username)
			}
			if !strings.HasSuffix(c.Auth.SecretKeyBase, "-from-file") {
				t.Errorf("single-quoted SECRET_KEY_BASE not read from file")
			}
			if strings.Count(c.OAuth.Apple.PrivateKey, "\n") != 2 {
				t.Errorf("APPLE_PRIVATE_KEY newlines not expanded: %d lines", strings.Count(c.OAuth.Apple.PrivateKey, "\n"))
			}
		}},
		{"environment wins", []string{"PORT=6000", "PHX_HOST=env.example.com"}, func(t *testing.T, c *Config) {
			if c.HTTP.Port != 6000 || c.HTTP.Host != "env.example.com" || c.Log.Level != "debug" {
				t.Errorf("got PORT=%d PHX_HOST=%q LOG_LEVEL=%q, want env values over file values",
					c.HTTP.Port, c.HTTP.Host, c.Log.Level)
			}
		}},
		{"empty environment value still wins", []string{"PHX_HOST="}, func(t *testing.T, c *Config) {
			if c.HTTP.Host != "localhost" {
				t.Errorf("PHX_HOST = %q, want the default", c.HTTP.Host)
			}
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, err := Load(append(tt.environ, "ENV_FILE=testdata/basic.env"))
			if err != nil {
				t.Fatal(err)
			}
			if c.EnvFile != "testdata/basic.env" {
				t.Errorf("EnvFile = %q", c.EnvFile)
			}
			tt.check(t, c)
		})
	}
}

func TestEnvFileErrors(t *testing.T) {
	dir := t.TempDir()
	tests := []struct {
		name, path string
		wantErr    bool
	}{
		{"missing file is fine", filepath.Join(dir, "absent.env"), false},
		{"malformed", "testdata/malformed.env", true},
		{"unterminated quote", "testdata/unterminated.env", true},
		{"directory is unreadable", dir, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Load([]string{"ENV_FILE=" + tt.path})
			if (err != nil) != tt.wantErr {
				t.Fatalf("err = %v, wantErr %v", err, tt.wantErr)
			}
			if err != nil && !strings.Contains(err.Error(), "ENV_FILE") {
				t.Errorf("error %q does not name ENV_FILE", err)
			}
		})
	}
}

func TestDefaultEnvFileIsDotEnv(t *testing.T) {
	dir := t.TempDir()
	t.Chdir(dir)
	if err := os.WriteFile(".env", []byte("PORT=4321\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	c, err := Load(nil)
	if err != nil {
		t.Fatal(err)
	}
	if c.HTTP.Port != 4321 || c.EnvFile != ".env" {
		t.Errorf("PORT=%d EnvFile=%q, want 4321 from ./.env", c.HTTP.Port, c.EnvFile)
	}
}

func TestBooleans(t *testing.T) {
	tests := []struct {
		env  string
		get  func(*Config) bool
		want bool
		err  bool
	}{
		{"REQUIRE_ACCOUNT_ACTIVATION=true", requireActivation, true, false},
		{"REQUIRE_ACCOUNT_ACTIVATION=1", requireActivation, true, false},
		{"REQUIRE_ACCOUNT_ACTIVATION=TRUE", requireActivation, true, false},
		{"REQUIRE_ACCOUNT_ACTIVATION=0", requireActivation, false, false},
		{"REQUIRE_ACCOUNT_ACTIVATION=no", requireActivation, false, true},
		{"REQUIRE_ACCOUNT_ACTIVATION=yes", requireActivation, false, true},
		{"LIST_USERS_ENABLED=false", listUsers, false, false},
		{"LIST_USERS_ENABLED=0", listUsers, false, false},
		{"LIST_USERS_ENABLED=no", listUsers, false, false},
		{"LIST_USERS_ENABLED=off", listUsers, false, false},
		{"LIST_USERS_ENABLED=NO", listUsers, false, false},
		{"LIST_USERS_ENABLED=on", listUsers, true, false},
		{"LIST_USERS_ENABLED=maybe", listUsers, false, true},
		{"DEVICE_AUTH_ENABLED=no", deviceAuth, false, false},
		{"DEVICE_AUTH_ENABLED=0", deviceAuth, false, false},
		{"DEVICE_AUTH_ENABLED=false", deviceAuth, false, false},
		{"DEVICE_AUTH_ENABLED=enabled", deviceAuth, true, false},
		{"DEVICE_AUTH_ENABLED=", deviceAuth, true, false},
		{"WEBRTC_ENABLED=off", func(c *Config) bool { return c.WebRTC.Enabled }, false, false},
		{"FORCE_SSL=true", func(c *Config) bool { return c.ForceSSL(false) }, true, false},
		{"FORCE_SSL=false", func(c *Config) bool { return c.ForceSSL(true) }, false, false},
		{"FORCE_SSL=sure", nil, false, true},
	}
	for _, tt := range tests {
		t.Run(tt.env, func(t *testing.T) {
			if tt.err {
				errs := loadErr(t, tt.env)
				name, _, _ := strings.Cut(tt.env, "=")
				if len(errs) != 1 || errs[0].Var != name {
					t.Fatalf("errors %v, want one naming %s", errs, name)
				}
				return
			}
			if got := tt.get(load(t, tt.env)); got != tt.want {
				t.Errorf("got %v, want %v", got, tt.want)
			}
		})
	}
}

func requireActivation(c *Config) bool { return c.Auth.RequireAccountActivation }
func listUsers(c *Config) bool         { return c.Features.ListUsers }
func deviceAuth(c *Config) bool        { return c.Auth.DeviceAuthEnabled }

// TestUnparsableValuesNameTheirVariable sets every non-string variable to
// garbage at once: each must yield exactly one error naming it.
func TestUnparsableValuesNameTheirVariable(t *testing.T) {
	var environ, want []string
	for _, f := range allFields() {
		if f.kind == reflect.String || f.kind == reflect.Slice || f.lenientOn {
			continue
		}
		environ = append(environ, f.Name+"=x1")
		want = append(want, f.Name)
	}
	errs := loadErr(t, environ...)
	if got := errs.Vars(); !reflect.DeepEqual(got, want) {
		t.Fatalf("error variables\n got %v\nwant %v", got, want)
	}
	for _, e := range errs {
		if !strings.HasPrefix(e.Error(), e.Var+": ") || !strings.Contains(e.Msg, `"x1"`) {
			t.Errorf("error %q does not name its variable and value", e)
		}
	}
}

func TestNormalize(t *testing.T) {
	c := load(t, "SQLITE_SYNCHRONOUS= FULL ", "RATE_LIMIT_BACKEND=ETS",
		"CLUSTER_SEEDS= a:1 ,, b:2 ", "DATABASE_URL=postgres://u@h/db")
	if c.DB.SQLite.Synchronous != "full" || c.RateLimit.Backend != "ets" {
		t.Errorf("enumerations not lower-cased: %q %q", c.DB.SQLite.Synchronous, c.RateLimit.Backend)
	}
	if !reflect.DeepEqual(c.Cluster.Seeds, []string{"a:1", "b:2"}) {
		t.Errorf("CLUSTER_SEEDS = %q", c.Cluster.Seeds)
	}
}
