package config

// Config is the whole server configuration. Build it with Load or FromEnv;
// the zero value is not meaningful. Fields are grouped by concern; each leaf
// field's tags give its variable, default and documentation.
type Config struct {
	Env     string `env:"GAMEND_ENV" envDefault:"development" oneof:"development,production,test" doc:"Run mode: development, production or test."`
	EnvFile string `env:"ENV_FILE" envDefault:".env" doc:"Path of the optional .env file read at start (real environment wins; none = do not read one)."`
	DataDir string `env:"GAMEND_DATA_DIR" envDefault:"data" doc:"Directory for files the server owns, such as the development secret."`

	HTTP        HTTP        `group:"HTTP"`
	TLS         TLS         `group:"Native TLS"`
	Log         Log         `group:"Logging"`
	Features    Features    `group:"Feature gates"`
	Auth        Auth        `group:"Auth and JWT"`
	DB          DB          `group:"Database"`
	OAuth       OAuth       `group:"OAuth"`
	SMTP        SMTP        `group:"SMTP"`
	RateLimit   RateLimit   `group:"Rate limits"`
	Limits      Limits      `group:"Limits"`
	Cache       Cache       `group:"Cache"`
	Redis       Redis       `group:"Redis"`
	Realtime    Realtime    `group:"Realtime"`
	WebRTC      WebRTC      `group:"WebRTC"`
	Actors      Actors      `group:"Actors"`
	WriteBehind WriteBehind `group:"Write-behind store"`
	Cluster     Cluster     `group:"Cluster"`
	Theme       Theme       `group:"Theme"`
	Plugins     Plugins     `group:"Plugins"`
	Retention   Retention   `group:"Retention"`
	Ops         Ops         `group:"Operations"`
}

// HTTP configures the public listener and request handling.
type HTTP struct {
	Host            string   `env:"PHX_HOST" envDefault:"localhost" doc:"Public host name used for URLs, OAuth redirects and the WebSocket origin check."`
	Port            int      `env:"PORT" envDefault:"4000" min:"1" max:"65535" doc:"HTTP listen port."`
	BindAddress     string   `env:"BIND_ADDRESS" doc:"IP address (or host name) the HTTP listener binds to, such as 127.0.0.1 to keep the server off public interfaces behind a reverse proxy on the same host; empty = every interface."`
	Scheme          string   `env:"PHX_SCHEME" oneof:"http,https" doc:"Public URL scheme; empty = http for localhost/127.0.0.1, else https."`
	AllowedOrigins  string   `env:"PHX_ALLOWED_ORIGINS" doc:"Comma list of allowed CORS/WebSocket origins (bare hosts become //host, regex: prefix = regex), which alone get CORS with credentials; empty = CORS * without credentials and WebSocket origin = PHX_HOST."`
	MaxBodyBytes    int64    `env:"MAX_BODY_BYTES" envDefault:"1048576" min:"1" doc:"Largest accepted request body in bytes, counted after decoding its Content-Encoding; larger bodies get 413."`
	TrustedProxies  []string `env:"TRUSTED_PROXIES" envDefault:"127.0.0.0/8,::1/128" doc:"Comma list of proxy CIDRs or addresses whose CLIENT_IP_HEADER gives the client IP (add your reverse proxy's address or range, such as 10.0.0.0/8 for a Docker or Kubernetes network); none = trust no proxy."`
	ClientIPHeader  string   `env:"CLIENT_IP_HEADER" envDefault:"X-Forwarded-For" doc:"The one header read from a trusted proxy for the client IP: X-Forwarded-For (its right-most entry that is not a trusted proxy), X-Real-IP, CF-Connecting-IP, Fly-Client-IP, or none."`
	ShutdownTimeout Millis   `env:"SHUTDOWN_TIMEOUT_MS" envDefault:"15000" min:"1" doc:"Milliseconds allowed for draining requests and the write queue at shutdown."`
}

// TLS configures the optional native HTTPS listener.
type TLS struct {
	CertFile    string `env:"SSL_CERTFILE" doc:"Path of the certificate chain PEM; with SSL_KEYFILE enables native HTTPS."`
	KeyFile     string `env:"SSL_KEYFILE" doc:"Path of the private key PEM for native HTTPS."`
	HTTPSPort   int    `env:"HTTPS_PORT" envDefault:"443" min:"1" max:"65535" doc:"HTTPS listen port when native TLS is enabled."`
	ForceSSL    *bool  `env:"FORCE_SSL" doc:"Redirect HTTP to HTTPS and send HSTS; unset = on when the certificate files exist."`
	ACMEWebroot string `env:"ACME_WEBROOT" doc:"Directory served at /.well-known/acme-challenge; unset = /var/www/acme when SSL_CERTFILE is set."`
}

// Log configures logging.
type Log struct {
	Level        string `env:"LOG_LEVEL" envDefault:"info" oneof:"debug,info,notice,warning,warn,error,critical,alert,emergency" doc:"Application log level."`
	AccessLevel  string `env:"ACCESS_LOG_LEVEL" envDefault:"debug" oneof:"debug,info,notice,warning,warn,error,off" doc:"Level of per-request access log lines, or off."`
	Format       string `env:"LOG_FORMAT" envDefault:"text" oneof:"text,json" doc:"Log line format: text or json."`
	FilePath     string `env:"LOG_FILE_PATH" doc:"Also write logs to this rotating file; empty = stdout only."`
	FileLevel    string `env:"LOG_FILE_LEVEL" envDefault:"info" oneof:"debug,info,notice,warning,warn,error,critical,alert,emergency" doc:"Log level of the log file."`
	FileMaxBytes int64  `env:"LOG_FILE_MAX_BYTES" envDefault:"10000000" min:"1" doc:"Size in bytes at which the log file is rotated."`
	FileMaxFiles int    `env:"LOG_FILE_MAX_FILES" envDefault:"5" min:"0" doc:"Number of rotated log files kept."`
}

// Features holds the route gates; a disabled gate makes its routes answer 404.
type Features struct {
	OpenAPI          bool `env:"OPENAPI_ENABLED" envDefault:"true" doc:"Serve the OpenAPI document and Swagger UI."`
	ListUsers        bool `env:"LIST_USERS_ENABLED" envDefault:"true" doc:"Allow listing and searching users."`
	ListLobbies      bool `env:"LIST_LOBBIES_ENABLED" envDefault:"true" doc:"Allow listing lobbies."`
	ListGroups       bool `env:"LIST_GROUPS_ENABLED" envDefault:"true" doc:"Allow listing groups."`
	ListLeaderboards bool `env:"LIST_LEADERBOARDS_ENABLED" envDefault:"true" doc:"Allow listing leaderboards."`
	ListAchievements bool `env:"LIST_ACHIEVEMENTS_ENABLED" envDefault:"true" doc:"Allow listing achievements."`
	ListMatchmaking  bool `env:"LIST_MATCHMAKING_ENABLED" envDefault:"true" doc:"Allow matchmaking statistics routes."`
}

// Auth configures signing secrets and account rules.
type Auth struct {
	SecretKeyBase            string `env:"SECRET_KEY_BASE" secret:"true" doc:"Cookie signing secret and JWT key fallback; required in production, at least 32 bytes."`
	GuardianSecretKey        string `env:"GUARDIAN_SECRET_KEY" secret:"true" doc:"JWT HMAC key; empty = SECRET_KEY_BASE."`
	MinPasswordLength        int    `env:"MIN_PASSWORD_LENGTH" envDefault:"8" min:"1" doc:"Shortest accepted password."`
	RequireAccountActivation bool   `env:"REQUIRE_ACCOUNT_ACTIVATION" envDefault:"false" doc:"New accounts cannot log in until an admin activates them."`
	DeviceAuthEnabled        bool   `env:"DEVICE_AUTH_ENABLED" envDefault:"true" bool:"lenient" doc:"Allow device-id login; only an explicit false/0/no/off turns it off."`
}

// Realtime configures socket event delivery.
type Realtime struct {
	Debounce      Millis `env:"REALTIME_DEBOUNCE_MS" envDefault:"0" min:"0" doc:"Milliseconds to coalesce repeated realtime updates; 0 = send at once."`
	PresenceGrace Millis `env:"PRESENCE_GRACE_MS" envDefault:"5000" min:"1" doc:"Milliseconds a user stays online after their last user channel closed (reconnects do not flap presence)."`
}

// Redis holds the shared Redis URL used when a feature sets none of its own.
type Redis struct {
	URL string `env:"REDIS_URL" secret:"true" doc:"Shared Redis URL, the fallback for CACHE_REDIS_URL and RATE_LIMIT_REDIS_URL."`
}

// Theme configures the browser pages' theme.
type Theme struct {
	Config string `env:"THEME_CONFIG" doc:"Theme JSON path template; only locale-suffixed files (x.en.json) are loaded."`
}

// Plugins configures server scripting.
type Plugins struct {
	Dir string `env:"GAME_SERVER_PLUGINS_DIR" envDefault:"modules/plugins" doc:"Directory scanned for server plugins."`
}

// Ops holds operational and admin-UI extras.
type Ops struct {
	MetricsAuthToken      string `env:"METRICS_AUTH_TOKEN" secret:"true" doc:"Bearer token required for /metrics; empty = open to loopback and private IPs only."`
	MailboxPreviewEnabled bool   `env:"MAILBOX_PREVIEW_ENABLED" envDefault:"false" doc:"Serve the local mailbox preview of e-mails sent without SMTP."`
	GrafanaPublicURL      string `env:"GRAFANA_PUBLIC_URL" doc:"Grafana URL linked from the admin dashboard."`
	GeoIPDBPath           string `env:"GEOIP_DB_PATH" doc:"MaxMind country database path; empty = <GAMEND_DATA_DIR>/GeoLite2-Country.mmdb when present."`
	AppVersion            string `env:"APP_VERSION" doc:"Version shown in the OpenAPI document and admin pages; empty = the build version."`
	SentryDSN             string `env:"SENTRY_DSN" secret:"true" doc:"Sentry DSN for error reporting; empty = off."`
	PprofAddr             string `env:"DEBUG_PPROF_ADDR" doc:"host:port of a Go pprof profiling listener, which also serves the expvar counters at /debug/vars (gamend_mail: e-mails sent, retried, failed, dropped); keep it on loopback; empty = off."`
	IdleMemoryTrim        bool   `env:"IDLE_MEMORY_TRIM" envDefault:"true" doc:"Return freed heap memory to the OS once the server has been quiet for a while after a busy period."`
	MinGOMAXPROCS         int    `env:"MIN_GOMAXPROCS" envDefault:"4" doc:"Raise Go's GOMAXPROCS to at least this on hosts with 2 or 3 CPUs and no CPU quota (a GOMAXPROCS variable wins; 0 = off): the collector's mark phase then gets a P of its own instead of taking the few there are in turns, which cuts the tail latency under load."`
	GCPercent             int    `env:"GC_PERCENT" envDefault:"200" doc:"Go garbage collector target as GOGC (a GOGC variable wins): 200 collects half as often under load as Go's 100, for a heap of up to 3× the live data instead of 2× (returned to the OS when the server goes quiet, see IDLE_MEMORY_TRIM)."`
}
