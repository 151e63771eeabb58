package config

// DB selects and tunes the database. PostgreSQL is used when DATABASE_URL
// is set or POSTGRES_HOST and POSTGRES_USER are; otherwise SQLite.
type DB struct {
	URL           string   `env:"DATABASE_URL" secret:"true" doc:"PostgreSQL URL (postgres://, postgresql:// or ecto://); wins over POSTGRES_*."`
	Adapter       string   `env:"DATABASE_ADAPTER" oneof:"sqlite,postgres" doc:"Force the database: sqlite or postgres; empty = chosen from the other variables."`
	Postgres      Postgres `group:"PostgreSQL"`
	SQLite        SQLite   `group:"SQLite"`
	PoolSize      int      `env:"POOL_SIZE" envDefault:"0" min:"0" doc:"Connections in the pool; 0 = 10 on PostgreSQL, 5 on SQLite."`
	PoolTimeout   Millis   `env:"DB_POOL_TIMEOUT" envDefault:"10000" min:"1" doc:"Milliseconds a request waits to check out a connection."`
	QueueTarget   Millis   `env:"DB_QUEUE_TARGET" envDefault:"10000" min:"1" doc:"Milliseconds of connection-queue delay tolerated before shedding load."`
	QueueInterval Millis   `env:"DB_QUEUE_INTERVAL" envDefault:"1000" min:"1" doc:"Milliseconds over which DB_QUEUE_TARGET is measured."`
	QueryTimeout  Millis   `env:"DB_QUERY_TIMEOUT" envDefault:"15000" min:"1" doc:"Milliseconds before a query is cancelled."`
	IPv6          bool     `env:"ECTO_IPV6" envDefault:"false" doc:"Connect to PostgreSQL over IPv6."`
}

// Postgres holds the PostgreSQL connection parts used when DATABASE_URL is empty.
type Postgres struct {
	Host     string `env:"POSTGRES_HOST" doc:"PostgreSQL host; with POSTGRES_USER selects PostgreSQL."`
	Port     int    `env:"POSTGRES_PORT" envDefault:"5432" min:"1" max:"65535" doc:"PostgreSQL port."`
	User     string `env:"POSTGRES_USER" doc:"PostgreSQL user."`
	Password string `env:"POSTGRES_PASSWORD" secret:"true" doc:"PostgreSQL password."`
	Database string `env:"POSTGRES_DB" envDefault:"game_server_prod" doc:"PostgreSQL database name."`
}

// SQLite configures the embedded database used when PostgreSQL is not configured.
type SQLite struct {
	Path              string `env:"SQLITE_DATABASE_PATH" envDefault:"data/gamend.db" doc:"SQLite database file."`
	Synchronous       string `env:"SQLITE_SYNCHRONOUS" envDefault:"full" oneof:"off,normal,full,extra" doc:"SQLite synchronous pragma; full makes every acknowledged write durable."`
	CacheSizeKB       int    `env:"SQLITE_CACHE_SIZE_KB" envDefault:"200000" min:"0" doc:"SQLite page cache size in KiB."`
	BusyTimeout       Millis `env:"SQLITE_BUSY_TIMEOUT" envDefault:"15000" min:"0" doc:"Milliseconds to wait for a lock before failing."`
	WALAutocheckpoint int    `env:"SQLITE_WAL_AUTOCHECKPOINT" envDefault:"2000" min:"0" doc:"WAL pages between automatic checkpoints."`
}

// Cache configures the read-through cache (not visible on the wire).
type Cache struct {
	Enabled       bool   `env:"CACHE_ENABLED" envDefault:"true" doc:"Use the read-through cache; false bypasses it."`
	Mode          string `env:"CACHE_MODE" envDefault:"single" oneof:"single,multi" doc:"single = local cache only; multi = local plus a shared second level."`
	L2            string `env:"CACHE_L2" envDefault:"partitioned" oneof:"partitioned,redis" doc:"Second-level cache when CACHE_MODE is multi: partitioned or redis."`
	RedisURL      string `env:"CACHE_REDIS_URL" secret:"true" doc:"Redis URL of the second-level cache; empty = REDIS_URL."`
	RedisPoolSize int    `env:"CACHE_REDIS_POOL_SIZE" envDefault:"10" min:"1" doc:"Connections to the cache's Redis."`
}

// Retention configures periodic pruning (every 6 hours); 0 days keeps rows forever.
type Retention struct {
	ChatDays                  int `env:"RETENTION_CHAT_DAYS" envDefault:"0" min:"0" doc:"Days chat messages are kept; 0 = forever."`
	NotificationsDays         int `env:"RETENTION_NOTIFICATIONS_DAYS" envDefault:"0" min:"0" doc:"Days notifications are kept; 0 = forever."`
	PaymentEventsDays         int `env:"RETENTION_PAYMENT_EVENTS_DAYS" envDefault:"0" min:"0" doc:"Days payment events are kept; 0 = forever."`
	LobbySnapshotsDays        int `env:"RETENTION_LOBBY_SNAPSHOTS_DAYS" envDefault:"30" min:"0" doc:"Days lobby snapshots are kept; 0 = forever."`
	LobbySnapshotsFlaggedDays int `env:"RETENTION_LOBBY_SNAPSHOTS_FLAGGED_DAYS" envDefault:"90" min:"0" doc:"Days flagged lobby snapshots are kept; 0 = forever."`
}

// Limits are the server-side input limits (LIMIT_<KEY>); sizes are bytes,
// lengths are characters, and 0 turns off the limits that say so.
type Limits struct {
	MaxMetadataSize           int   `env:"LIMIT_MAX_METADATA_SIZE" envDefault:"16384" min:"0" doc:"Largest metadata object, in bytes of JSON."`
	MaxPageSize               int   `env:"LIMIT_MAX_PAGE_SIZE" envDefault:"100" min:"0" doc:"Largest page size of list endpoints."`
	MaxDisplayName            int   `env:"LIMIT_MAX_DISPLAY_NAME" envDefault:"80" min:"0" doc:"Longest display name."`
	MinUsername               int   `env:"LIMIT_MIN_USERNAME" envDefault:"3" min:"0" doc:"Shortest username."`
	MaxUsername               int   `env:"LIMIT_MAX_USERNAME" envDefault:"32" min:"0" doc:"Longest username."`
	MaxEmail                  int   `env:"LIMIT_MAX_EMAIL" envDefault:"160" min:"0" doc:"Longest e-mail address."`
	MaxProfileURL             int   `env:"LIMIT_MAX_PROFILE_URL" envDefault:"512" min:"0" doc:"Longest profile URL."`
	MaxDeviceID               int   `env:"LIMIT_MAX_DEVICE_ID" envDefault:"256" min:"0" doc:"Longest device id."`
	MaxSocketsPerUser         int   `env:"LIMIT_MAX_SOCKETS_PER_USER" envDefault:"20" min:"0" doc:"Concurrent sockets per user; 0 = unlimited."`
	MaxGroupTitle             int   `env:"LIMIT_MAX_GROUP_TITLE" envDefault:"80" min:"0" doc:"Longest group title."`
	MaxGroupDescription       int   `env:"LIMIT_MAX_GROUP_DESCRIPTION" envDefault:"500" min:"0" doc:"Longest group description."`
	MaxGroupMembers           int   `env:"LIMIT_MAX_GROUP_MEMBERS" envDefault:"10000" min:"0" doc:"Most members in one group."`
	MaxGroupsPerUser          int   `env:"LIMIT_MAX_GROUPS_PER_USER" envDefault:"50" min:"0" doc:"Most groups one user may belong to."`
	MaxGroupsCreatedPerUser   int   `env:"LIMIT_MAX_GROUPS_CREATED_PER_USER" envDefault:"20" min:"0" doc:"Most groups one user may create."`
	MaxGroupPendingInvites    int   `env:"LIMIT_MAX_GROUP_PENDING_INVITES" envDefault:"100" min:"0" doc:"Most pending invites per group."`
	MaxLobbyTitle             int   `env:"LIMIT_MAX_LOBBY_TITLE" envDefault:"80" min:"0" doc:"Longest lobby title."`
	MaxLobbyUsers             int   `env:"LIMIT_MAX_LOBBY_USERS" envDefault:"128" min:"0" doc:"Most users in one lobby."`
	MaxLobbyPassword          int   `env:"LIMIT_MAX_LOBBY_PASSWORD" envDefault:"128" min:"0" doc:"Longest lobby password."`
	MaxPartySize              int   `env:"LIMIT_MAX_PARTY_SIZE" envDefault:"32" min:"0" doc:"Most members in one party."`
	MaxPartyPendingInvites    int   `env:"LIMIT_MAX_PARTY_PENDING_INVITES" envDefault:"20" min:"0" doc:"Most pending invites per party."`
	MaxChatContent            int   `env:"LIMIT_MAX_CHAT_CONTENT" envDefault:"4096" min:"0" doc:"Longest chat message."`
	MaxChatMessagesPerDay     int   `env:"LIMIT_MAX_CHAT_MESSAGES_PER_DAY" envDefault:"5000" min:"0" doc:"Chat messages one user may send per rolling 24 hours; 0 = unlimited."`
	MaxNotificationTitle      int   `env:"LIMIT_MAX_NOTIFICATION_TITLE" envDefault:"255" min:"0" doc:"Longest notification title."`
	MaxNotificationContent    int   `env:"LIMIT_MAX_NOTIFICATION_CONTENT" envDefault:"10000" min:"0" doc:"Longest notification content."`
	MaxNotificationsPerUser   int   `env:"LIMIT_MAX_NOTIFICATIONS_PER_USER" envDefault:"500" min:"0" doc:"Most notifications kept per user."`
	MaxFriendsPerUser         int   `env:"LIMIT_MAX_FRIENDS_PER_USER" envDefault:"500" min:"0" doc:"Most friends per user."`
	MaxPendingFriendRequests  int   `env:"LIMIT_MAX_PENDING_FRIEND_REQUESTS" envDefault:"100" min:"0" doc:"Most pending friend requests per user."`
	MaxHookArgsSize           int   `env:"LIMIT_MAX_HOOK_ARGS_SIZE" envDefault:"65536" min:"0" doc:"Largest RPC argument list, in bytes of JSON."`
	MaxHookArgsCount          int   `env:"LIMIT_MAX_HOOK_ARGS_COUNT" envDefault:"32" min:"0" doc:"Most arguments of one RPC call."`
	MaxKVKey                  int   `env:"LIMIT_MAX_KV_KEY" envDefault:"512" min:"0" doc:"Longest key-value key."`
	MaxKVValueSize            int   `env:"LIMIT_MAX_KV_VALUE_SIZE" envDefault:"65536" min:"0" doc:"Largest key-value value, in bytes of JSON."`
	MaxKVEntriesPerUser       int   `env:"LIMIT_MAX_KV_ENTRIES_PER_USER" envDefault:"1000" min:"0" doc:"Most key-value entries per user."`
	MaxLeaderboardTitle       int   `env:"LIMIT_MAX_LEADERBOARD_TITLE" envDefault:"255" min:"0" doc:"Longest leaderboard title."`
	MaxLeaderboardDescription int   `env:"LIMIT_MAX_LEADERBOARD_DESCRIPTION" envDefault:"1000" min:"0" doc:"Longest leaderboard description."`
	MaxLeaderboardSlug        int   `env:"LIMIT_MAX_LEADERBOARD_SLUG" envDefault:"100" min:"0" doc:"Longest leaderboard slug."`
	MaxUploadBytes            int64 `env:"LIMIT_MAX_UPLOAD_BYTES" envDefault:"5242880" min:"0" doc:"Largest uploaded object (avatars), in bytes."`
}
