package config

// OAuth holds one sub-struct per sign-in provider; a provider is offered
// when its credentials are set.
type OAuth struct {
	Discord  Discord  `group:"Discord"`
	Google   Google   `group:"Google"`
	Facebook Facebook `group:"Facebook"`
	Apple    Apple    `group:"Apple"`
	Steam    Steam    `group:"Steam"`
	// Endpoints are the provider URLs (config_oauth_urls.go).
	Endpoints OAuthEndpoints `group:"Endpoints"`
}

// Discord holds the Discord OAuth application.
type Discord struct {
	ClientID     string `env:"DISCORD_CLIENT_ID" doc:"Discord OAuth client id."`
	ClientSecret string `env:"DISCORD_CLIENT_SECRET" secret:"true" doc:"Discord OAuth client secret."`
}

// Google holds the Google OAuth application and accepted id_token audiences.
type Google struct {
	ClientID     string `env:"GOOGLE_CLIENT_ID" doc:"Google OAuth client id (code flow and id_token audience)."`
	ClientSecret string `env:"GOOGLE_CLIENT_SECRET" secret:"true" doc:"Google OAuth client secret."`
	WebClientID  string `env:"GOOGLE_WEB_CLIENT_ID" doc:"Extra client id accepted as an id_token audience (SDK sign-in)."`
}

// Facebook holds the Facebook OAuth application.
type Facebook struct {
	ClientID     string `env:"FACEBOOK_CLIENT_ID" doc:"Facebook OAuth client id."`
	ClientSecret string `env:"FACEBOOK_CLIENT_SECRET" secret:"true" doc:"Facebook OAuth client secret."`
}

// Apple holds the Sign in with Apple credentials.
type Apple struct {
	WebClientID string `env:"APPLE_WEB_CLIENT_ID" doc:"Apple Services id used by the web flow and as an id_token audience."`
	IOSClientID string `env:"APPLE_IOS_CLIENT_ID" doc:"iOS bundle id accepted as an id_token audience."`
	TeamID      string `env:"APPLE_TEAM_ID" doc:"Apple developer team id."`
	KeyID       string `env:"APPLE_KEY_ID" doc:"Key id of the Sign in with Apple key."`
	PrivateKey  string `env:"APPLE_PRIVATE_KEY" secret:"true" doc:"Sign in with Apple private key PEM; literal \\n sequences become newlines."`
}

// Steam holds the Steam Web API credentials.
type Steam struct {
	APIKey string `env:"STEAM_API_KEY" secret:"true" doc:"Steam Web API key for OpenID profile lookups and ticket auth."`
	AppID  string `env:"STEAM_APP_ID" doc:"Steam app id; ticket auth needs it and STEAM_API_KEY."`
}

// SMTP configures outgoing e-mail; without SMTP_PASSWORD mail goes to the local mailbox.
type SMTP struct {
	Password  string `env:"SMTP_PASSWORD" secret:"true" doc:"SMTP password or provider API key; setting it enables SMTP."`
	Username  string `env:"SMTP_USERNAME" doc:"SMTP user name."`
	Relay     string `env:"SMTP_RELAY" doc:"SMTP server host, for example smtp.resend.com."`
	Port      int    `env:"SMTP_PORT" envDefault:"465" min:"1" max:"65535" doc:"SMTP server port."`
	SSL       bool   `env:"SMTP_SSL" envDefault:"true" doc:"Connect with implicit TLS."`
	TLS       string `env:"SMTP_TLS" envDefault:"never" oneof:"never,if_available,always" doc:"STARTTLS policy: never, if_available or always."`
	SNI       string `env:"SMTP_SNI" doc:"TLS server name; empty = SMTP_RELAY."`
	FromName  string `env:"SMTP_FROM_NAME" envDefault:"Gamend" doc:"Display name of the sender."`
	FromEmail string `env:"SMTP_FROM_EMAIL" doc:"Sender address."`
}

// RateLimit configures the fixed-window limiters of API.md section 7;
// windows are in milliseconds.
type RateLimit struct {
	Backend           string `env:"RATE_LIMIT_BACKEND" envDefault:"ets" oneof:"ets,redis" doc:"Counter store: ets (per node) or redis (shared)."`
	RedisURL          string `env:"RATE_LIMIT_REDIS_URL" secret:"true" doc:"Redis URL of the redis backend; empty = CACHE_REDIS_URL, then REDIS_URL."`
	RedisPrefix       string `env:"RATE_LIMIT_REDIS_PREFIX" envDefault:"gamend:" doc:"Key prefix of the rate-limit counters in Redis (separates deployments sharing one Redis)."`
	HTTPGeneralLimit  int    `env:"RATE_LIMIT_HTTP_GENERAL_LIMIT" envDefault:"240" min:"1" doc:"Requests per window and client IP on general routes."`
	HTTPGeneralWindow Millis `env:"RATE_LIMIT_HTTP_GENERAL_WINDOW" envDefault:"60000" min:"1" doc:"Window of the general HTTP limit, in milliseconds."`
	HTTPAuthLimit     int    `env:"RATE_LIMIT_HTTP_AUTH_LIMIT" envDefault:"10" min:"1" doc:"Requests per window and client IP on auth routes."`
	HTTPAuthWindow    Millis `env:"RATE_LIMIT_HTTP_AUTH_WINDOW" envDefault:"60000" min:"1" doc:"Window of the auth HTTP limit, in milliseconds."`
	WSLimit           int    `env:"RATE_LIMIT_WS_LIMIT" envDefault:"60" min:"1" doc:"Socket pushes and channel joins per window and user."`
	WSWindow          Millis `env:"RATE_LIMIT_WS_WINDOW" envDefault:"10000" min:"1" doc:"Window of the socket push and join limit, in milliseconds."`
	WebRTCLimit       int    `env:"RATE_LIMIT_WEBRTC_LIMIT" envDefault:"300" min:"1" doc:"DataChannel messages per window and user."`
	WebRTCWindow      Millis `env:"RATE_LIMIT_WEBRTC_WINDOW" envDefault:"10000" min:"1" doc:"Window of the DataChannel limit, in milliseconds."`
}

// WebRTC configures the per-user peer connections.
type WebRTC struct {
	Enabled    bool     `env:"WEBRTC_ENABLED" envDefault:"true" doc:"Accept WebRTC signaling and open DataChannels."`
	ICEServers []string `env:"WEBRTC_ICE_SERVERS" envDefault:"stun:stun.l.google.com:19302" doc:"Comma list of STUN/TURN URLs offered to peers."`
}

// Actors configures entity actors.
type Actors struct {
	IdleTimeout    Millis `env:"ACTOR_IDLE_TIMEOUT_MS" envDefault:"300000" min:"1" doc:"Milliseconds without traffic or subscribers before an actor passivates."`
	RequestTimeout Millis `env:"ACTOR_REQUEST_TIMEOUT_MS" envDefault:"5000" min:"1" doc:"Milliseconds a caller waits for an actor's reply."`
}

// WriteBehind configures the group-commit queue between actors and the store.
type WriteBehind struct {
	MaxBatch  int    `env:"WRITE_BEHIND_MAX_BATCH" envDefault:"256" min:"1" doc:"Most operations committed in one transaction."`
	MaxDelay  Micros `env:"WRITE_BEHIND_MAX_DELAY_US" envDefault:"0" min:"0" doc:"Microseconds the flusher waits to fill a batch; 0 batches what queued up during the previous commit (best under load)."`
	QueueSize int    `env:"WRITE_BEHIND_QUEUE_SIZE" envDefault:"8192" min:"1" doc:"Capacity of the write-behind queue, in operations."`
}

// Cluster configures actor remoting between nodes; no seeds = single node.
type Cluster struct {
	NodeID        string   `env:"CLUSTER_NODE_ID" doc:"This node's id in the cluster; empty = a random id chosen at start."`
	ListenAddr    string   `env:"CLUSTER_LISTEN_ADDR" envDefault:"127.0.0.1:0" doc:"host:port for cluster remoting (PostgreSQL only: an SQLite node runs without remoting); port 0 picks a free port."`
	AdvertiseAddr string   `env:"CLUSTER_ADVERTISE_ADDR" doc:"host:port other nodes dial; empty = CLUSTER_LISTEN_ADDR."`
	Seeds         []string `env:"CLUSTER_SEEDS" doc:"Comma list of host:port of other nodes; empty = single node."`
	DNSQuery      string   `env:"DNS_CLUSTER_QUERY" doc:"DNS name whose A/AAAA records list other nodes."`
}
