-- Gamend-Go initial schema, SQLite dialect (API.md §9).
--
-- Conventions (identical in postgres/00001_init.sql):
--   * id: UUIDv7 text minted by the application (no database default);
--     *_id foreign keys are TEXT. Order by id == order by creation time.
--   * Timestamps are DATETIME (the driver scans them into time.Time);
--     inserted_at/updated_at are NOT NULL and always set by the application.
--   * JSON maps are TEXT NOT NULL DEFAULT '{}'; booleans INTEGER 0/1.
--   * Unique indexes are named <table>_<cols>_unique, other indexes
--     <table>_<cols>_index; an index on lower(col) is named after col.
--   * Every foreign-key column leads some index (SQLite scans the child table
--     on each parent delete otherwise).
-- Statements end with ";" at the end of a line; comments sit on their own lines.

-- users ---------------------------------------------------------------------
-- lobby_id / party_id reference tables created below (SQLite resolves
-- foreign keys when rows are written, not when tables are created).
CREATE TABLE users (
    id TEXT PRIMARY KEY NOT NULL,
    email TEXT,
    hashed_password TEXT,
    confirmed_at DATETIME,
    username TEXT NOT NULL,
    display_name TEXT NOT NULL DEFAULT '',
    profile_url TEXT NOT NULL DEFAULT '',
    discord_id TEXT,
    google_id TEXT,
    facebook_id TEXT,
    apple_id TEXT,
    steam_id TEXT,
    device_id TEXT,
    is_admin INTEGER NOT NULL DEFAULT 0,
    is_activated INTEGER NOT NULL DEFAULT 1,
    metadata TEXT NOT NULL DEFAULT '{}',
    lobby_id TEXT REFERENCES lobbies (id) ON DELETE SET NULL,
    party_id TEXT REFERENCES parties (id) ON DELETE SET NULL,
    is_online INTEGER NOT NULL DEFAULT 0,
    last_seen_at DATETIME,
    token_version INTEGER NOT NULL DEFAULT 0,
    inserted_at DATETIME NOT NULL,
    updated_at DATETIME NOT NULL
);

CREATE UNIQUE INDEX users_email_unique ON users (lower(email)) WHERE email IS NOT NULL;
CREATE UNIQUE INDEX users_username_unique ON users (username);
CREATE UNIQUE INDEX users_discord_id_unique ON users (discord_id) WHERE discord_id IS NOT NULL;
CREATE UNIQUE INDEX users_google_id_unique ON users (google_id) WHERE google_id IS NOT NULL;
CREATE UNIQUE INDEX users_facebook_id_unique ON users (facebook_id) WHERE facebook_id IS NOT NULL;
CREATE UNIQUE INDEX users_apple_id_unique ON users (apple_id) WHERE apple_id IS NOT NULL;
CREATE UNIQUE INDEX users_steam_id_unique ON users (steam_id) WHERE steam_id IS NOT NULL;
CREATE UNIQUE INDEX users_device_id_unique ON users (device_id) WHERE device_id IS NOT NULL;
CREATE INDEX users_display_name_index ON users (lower(display_name));
CREATE INDEX users_lobby_id_index ON users (lobby_id);
CREATE INDEX users_party_id_index ON users (party_id);
CREATE INDEX users_last_seen_at_index ON users (last_seen_at);
CREATE INDEX users_is_online_last_seen_at_index ON users (is_online, last_seen_at);

-- users_tokens (inserted_at only) ---------------------------------------------
CREATE TABLE users_tokens (
    id TEXT PRIMARY KEY NOT NULL,
    user_id TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    token BLOB NOT NULL,
    context TEXT NOT NULL,
    sent_to TEXT,
    authenticated_at DATETIME,
    inserted_at DATETIME NOT NULL
);

CREATE UNIQUE INDEX users_tokens_context_token_unique ON users_tokens (context, token);
CREATE INDEX users_tokens_user_id_index ON users_tokens (user_id);
CREATE INDEX users_tokens_inserted_at_user_id_index ON users_tokens (inserted_at, user_id);

-- oauth_sessions ------------------------------------------------------------
CREATE TABLE oauth_sessions (
    id TEXT PRIMARY KEY NOT NULL,
    session_id TEXT NOT NULL,
    provider TEXT NOT NULL,
    status TEXT NOT NULL DEFAULT 'pending'
        CONSTRAINT oauth_sessions_status_check CHECK (status IN ('pending', 'completed', 'error')),
    data TEXT NOT NULL DEFAULT '{}',
    inserted_at DATETIME NOT NULL,
    updated_at DATETIME NOT NULL
);

CREATE UNIQUE INDEX oauth_sessions_session_id_unique ON oauth_sessions (session_id);
-- expiry sweeps delete by age
CREATE INDEX oauth_sessions_inserted_at_index ON oauth_sessions (inserted_at);

-- lobbies -------------------------------------------------------------------
CREATE TABLE lobbies (
    id TEXT PRIMARY KEY NOT NULL,
    title TEXT NOT NULL,
    host_id TEXT REFERENCES users (id) ON DELETE SET NULL,
    hostless INTEGER NOT NULL DEFAULT 0,
    max_users INTEGER NOT NULL DEFAULT 8,
    is_hidden INTEGER NOT NULL DEFAULT 0,
    is_locked INTEGER NOT NULL DEFAULT 0,
    password_hash TEXT,
    metadata TEXT NOT NULL DEFAULT '{}',
    slowdown INTEGER NOT NULL DEFAULT 0,
    inserted_at DATETIME NOT NULL,
    updated_at DATETIME NOT NULL
);

CREATE INDEX lobbies_host_id_index ON lobbies (host_id);
CREATE INDEX lobbies_is_hidden_index ON lobbies (is_hidden);
CREATE INDEX lobbies_title_index ON lobbies (lower(title));
-- admin list: most recently updated first
CREATE INDEX lobbies_updated_at_index ON lobbies (updated_at);

-- parties -------------------------------------------------------------------
CREATE TABLE parties (
    id TEXT PRIMARY KEY NOT NULL,
    leader_id TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    max_size INTEGER NOT NULL DEFAULT 4,
    metadata TEXT NOT NULL DEFAULT '{}',
    inserted_at DATETIME NOT NULL,
    updated_at DATETIME NOT NULL
);

CREATE UNIQUE INDEX parties_leader_id_unique ON parties (leader_id);

-- party_invites -------------------------------------------------------------
CREATE TABLE party_invites (
    id TEXT PRIMARY KEY NOT NULL,
    party_id TEXT NOT NULL REFERENCES parties (id) ON DELETE CASCADE,
    sender_id TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    recipient_id TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    status TEXT NOT NULL DEFAULT 'pending'
        CONSTRAINT party_invites_status_check CHECK (status IN ('pending', 'accepted', 'declined', 'cancelled')),
    inserted_at DATETIME NOT NULL,
    updated_at DATETIME NOT NULL
);

CREATE UNIQUE INDEX party_invites_sender_id_recipient_id_unique ON party_invites (sender_id, recipient_id);
CREATE INDEX party_invites_party_id_index ON party_invites (party_id);
CREATE INDEX party_invites_sender_id_index ON party_invites (sender_id);
CREATE INDEX party_invites_recipient_id_index ON party_invites (recipient_id);

-- friendships ---------------------------------------------------------------
-- One row per request direction; a block is stored as requester = blocked
-- user, target = blocker.
CREATE TABLE friendships (
    id TEXT PRIMARY KEY NOT NULL,
    requester_id TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    target_id TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    status TEXT NOT NULL DEFAULT 'pending'
        CONSTRAINT friendships_status_check CHECK (status IN ('pending', 'accepted', 'rejected', 'blocked')),
    inserted_at DATETIME NOT NULL,
    updated_at DATETIME NOT NULL,
    CONSTRAINT friendships_not_self_check CHECK (requester_id <> target_id)
);

CREATE UNIQUE INDEX friendships_requester_id_target_id_unique ON friendships (requester_id, target_id);
CREATE INDEX friendships_requester_id_status_index ON friendships (requester_id, status);
CREATE INDEX friendships_target_id_status_index ON friendships (target_id, status);

-- groups --------------------------------------------------------------------
CREATE TABLE groups (
    id TEXT PRIMARY KEY NOT NULL,
    title TEXT NOT NULL,
    description TEXT NOT NULL DEFAULT '',
    type TEXT NOT NULL DEFAULT 'public'
        CONSTRAINT groups_type_check CHECK (type IN ('public', 'private', 'hidden')),
    max_members INTEGER NOT NULL DEFAULT 100,
    metadata TEXT NOT NULL DEFAULT '{}',
    creator_id TEXT REFERENCES users (id) ON DELETE SET NULL,
    slowdown INTEGER NOT NULL DEFAULT 0,
    inserted_at DATETIME NOT NULL,
    updated_at DATETIME NOT NULL
);

CREATE UNIQUE INDEX groups_title_unique ON groups (title);
CREATE INDEX groups_type_index ON groups (type);
CREATE INDEX groups_creator_id_index ON groups (creator_id);
CREATE INDEX groups_title_index ON groups (lower(title));

-- group_members -------------------------------------------------------------
CREATE TABLE group_members (
    id TEXT PRIMARY KEY NOT NULL,
    group_id TEXT NOT NULL REFERENCES groups (id) ON DELETE CASCADE,
    user_id TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    role TEXT NOT NULL DEFAULT 'member'
        CONSTRAINT group_members_role_check CHECK (role IN ('admin', 'member')),
    inserted_at DATETIME NOT NULL,
    updated_at DATETIME NOT NULL
);

CREATE UNIQUE INDEX group_members_group_id_user_id_unique ON group_members (group_id, user_id);
CREATE INDEX group_members_user_id_index ON group_members (user_id);

-- group_join_requests -------------------------------------------------------
CREATE TABLE group_join_requests (
    id TEXT PRIMARY KEY NOT NULL,
    group_id TEXT NOT NULL REFERENCES groups (id) ON DELETE CASCADE,
    user_id TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    status TEXT NOT NULL DEFAULT 'pending'
        CONSTRAINT group_join_requests_status_check CHECK (status IN ('pending', 'accepted', 'rejected')),
    inserted_at DATETIME NOT NULL,
    updated_at DATETIME NOT NULL
);

CREATE UNIQUE INDEX group_join_requests_group_id_user_id_unique ON group_join_requests (group_id, user_id);
CREATE INDEX group_join_requests_group_id_status_index ON group_join_requests (group_id, status);
CREATE INDEX group_join_requests_user_id_index ON group_join_requests (user_id);

-- group_invites -------------------------------------------------------------
CREATE TABLE group_invites (
    id TEXT PRIMARY KEY NOT NULL,
    group_id TEXT NOT NULL REFERENCES groups (id) ON DELETE CASCADE,
    sender_id TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    recipient_id TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    status TEXT NOT NULL DEFAULT 'pending'
        CONSTRAINT group_invites_status_check CHECK (status IN ('pending', 'accepted', 'declined', 'cancelled')),
    inserted_at DATETIME NOT NULL,
    updated_at DATETIME NOT NULL
);

CREATE UNIQUE INDEX group_invites_recipient_id_group_id_unique ON group_invites (recipient_id, group_id);
CREATE INDEX group_invites_group_id_index ON group_invites (group_id);
CREATE INDEX group_invites_sender_id_index ON group_invites (sender_id);

-- notifications -------------------------------------------------------------
CREATE TABLE notifications (
    id TEXT PRIMARY KEY NOT NULL,
    sender_id TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    recipient_id TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    title TEXT NOT NULL,
    content TEXT NOT NULL DEFAULT '',
    metadata TEXT NOT NULL DEFAULT '{}',
    read INTEGER NOT NULL DEFAULT 0,
    inserted_at DATETIME NOT NULL,
    updated_at DATETIME NOT NULL
);

CREATE UNIQUE INDEX notifications_sender_id_recipient_id_title_unique ON notifications (sender_id, recipient_id, title);
CREATE INDEX notifications_recipient_id_read_inserted_at_index ON notifications (recipient_id, read, inserted_at);
CREATE INDEX notifications_recipient_id_inserted_at_index ON notifications (recipient_id, inserted_at);
CREATE INDEX notifications_sender_id_index ON notifications (sender_id);

-- chat_messages -------------------------------------------------------------
-- chat_ref_id is a lobby, group, party or (friend DMs) recipient user id: no FK.
CREATE TABLE chat_messages (
    id TEXT PRIMARY KEY NOT NULL,
    content TEXT NOT NULL,
    metadata TEXT NOT NULL DEFAULT '{}',
    sender_id TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    chat_type TEXT NOT NULL
        CONSTRAINT chat_messages_chat_type_check CHECK (chat_type IN ('lobby', 'group', 'friend', 'party')),
    chat_ref_id TEXT NOT NULL,
    inserted_at DATETIME NOT NULL,
    updated_at DATETIME NOT NULL
);

CREATE INDEX chat_messages_sender_id_index ON chat_messages (sender_id);
CREATE INDEX chat_messages_chat_type_chat_ref_id_inserted_at_index ON chat_messages (chat_type, chat_ref_id, inserted_at);

-- chat_read_cursors ---------------------------------------------------------
CREATE TABLE chat_read_cursors (
    id TEXT PRIMARY KEY NOT NULL,
    user_id TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    chat_type TEXT NOT NULL
        CONSTRAINT chat_read_cursors_chat_type_check CHECK (chat_type IN ('lobby', 'group', 'friend', 'party')),
    chat_ref_id TEXT NOT NULL,
    last_read_message_id TEXT REFERENCES chat_messages (id) ON DELETE SET NULL,
    inserted_at DATETIME NOT NULL,
    updated_at DATETIME NOT NULL
);

CREATE UNIQUE INDEX chat_read_cursors_user_id_chat_type_chat_ref_id_unique ON chat_read_cursors (user_id, chat_type, chat_ref_id);
CREATE INDEX chat_read_cursors_last_read_message_id_index ON chat_read_cursors (last_read_message_id);

-- leaderboards --------------------------------------------------------------
-- slug is not unique: seasons share a slug.
CREATE TABLE leaderboards (
    id TEXT PRIMARY KEY NOT NULL,
    slug TEXT NOT NULL,
    title TEXT NOT NULL,
    description TEXT NOT NULL DEFAULT '',
    sort_order TEXT NOT NULL DEFAULT 'desc'
        CONSTRAINT leaderboards_sort_order_check CHECK (sort_order IN ('desc', 'asc')),
    operator TEXT NOT NULL DEFAULT 'best'
        CONSTRAINT leaderboards_operator_check CHECK (operator IN ('set', 'best', 'incr', 'decr')),
    starts_at DATETIME,
    ends_at DATETIME,
    metadata TEXT NOT NULL DEFAULT '{}',
    inserted_at DATETIME NOT NULL,
    updated_at DATETIME NOT NULL
);

CREATE INDEX leaderboards_slug_index ON leaderboards (slug);
CREATE INDEX leaderboards_slug_ends_at_index ON leaderboards (slug, ends_at);
CREATE INDEX leaderboards_starts_at_index ON leaderboards (starts_at);
CREATE INDEX leaderboards_ends_at_index ON leaderboards (ends_at);

-- leaderboard_records -------------------------------------------------------
-- A record belongs to a user or carries a label, never both, never neither.
CREATE TABLE leaderboard_records (
    id TEXT PRIMARY KEY NOT NULL,
    leaderboard_id TEXT NOT NULL REFERENCES leaderboards (id) ON DELETE CASCADE,
    user_id TEXT REFERENCES users (id) ON DELETE CASCADE,
    label TEXT,
    score INTEGER NOT NULL DEFAULT 0,
    metadata TEXT NOT NULL DEFAULT '{}',
    inserted_at DATETIME NOT NULL,
    updated_at DATETIME NOT NULL,
    CONSTRAINT leaderboard_records_owner_check CHECK ((user_id IS NULL) <> (label IS NULL))
);

CREATE UNIQUE INDEX leaderboard_records_leaderboard_id_user_id_unique ON leaderboard_records (leaderboard_id, user_id);
CREATE UNIQUE INDEX leaderboard_records_leaderboard_id_label_unique ON leaderboard_records (leaderboard_id, label);
CREATE INDEX leaderboard_records_leaderboard_id_score_updated_at_index ON leaderboard_records (leaderboard_id, score, updated_at);
CREATE INDEX leaderboard_records_user_id_index ON leaderboard_records (user_id);

-- achievements --------------------------------------------------------------
CREATE TABLE achievements (
    id TEXT PRIMARY KEY NOT NULL,
    slug TEXT NOT NULL,
    title TEXT NOT NULL,
    description TEXT NOT NULL DEFAULT '',
    icon_url TEXT NOT NULL DEFAULT '',
    sort_order INTEGER NOT NULL DEFAULT 0,
    hidden INTEGER NOT NULL DEFAULT 0,
    progress_target INTEGER NOT NULL DEFAULT 1
        CONSTRAINT achievements_progress_target_check CHECK (progress_target > 0),
    metadata TEXT NOT NULL DEFAULT '{}',
    inserted_at DATETIME NOT NULL,
    updated_at DATETIME NOT NULL
);

CREATE UNIQUE INDEX achievements_slug_unique ON achievements (slug);

-- user_achievements ---------------------------------------------------------
CREATE TABLE user_achievements (
    id TEXT PRIMARY KEY NOT NULL,
    user_id TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    achievement_id TEXT NOT NULL REFERENCES achievements (id) ON DELETE CASCADE,
    progress INTEGER NOT NULL DEFAULT 0,
    unlocked_at DATETIME,
    metadata TEXT NOT NULL DEFAULT '{}',
    inserted_at DATETIME NOT NULL,
    updated_at DATETIME NOT NULL
);

CREATE UNIQUE INDEX user_achievements_user_id_achievement_id_unique ON user_achievements (user_id, achievement_id);
CREATE INDEX user_achievements_achievement_id_index ON user_achievements (achievement_id);

-- kv_entries ----------------------------------------------------------------
-- Scopes: global (both null), user, lobby, user-within-lobby; one key per scope.
CREATE TABLE kv_entries (
    id TEXT PRIMARY KEY NOT NULL,
    key TEXT NOT NULL,
    user_id TEXT REFERENCES users (id) ON DELETE CASCADE,
    lobby_id TEXT REFERENCES lobbies (id) ON DELETE CASCADE,
    value TEXT NOT NULL DEFAULT '{}',
    metadata TEXT NOT NULL DEFAULT '{}',
    inserted_at DATETIME NOT NULL,
    updated_at DATETIME NOT NULL
);

CREATE UNIQUE INDEX kv_entries_key_unique ON kv_entries (key) WHERE user_id IS NULL AND lobby_id IS NULL;
CREATE UNIQUE INDEX kv_entries_user_id_key_unique ON kv_entries (user_id, key) WHERE user_id IS NOT NULL AND lobby_id IS NULL;
CREATE UNIQUE INDEX kv_entries_lobby_id_key_unique ON kv_entries (lobby_id, key) WHERE lobby_id IS NOT NULL AND user_id IS NULL;
CREATE UNIQUE INDEX kv_entries_user_id_lobby_id_key_unique ON kv_entries (user_id, lobby_id, key) WHERE user_id IS NOT NULL AND lobby_id IS NOT NULL;
CREATE INDEX kv_entries_key_index ON kv_entries (key);
CREATE INDEX kv_entries_user_id_index ON kv_entries (user_id);
CREATE INDEX kv_entries_lobby_id_index ON kv_entries (lobby_id);

-- cluster_nodes -------------------------------------------------------------
-- Cluster membership: each node upserts its row and heartbeats it.
CREATE TABLE cluster_nodes (
    node_id TEXT PRIMARY KEY NOT NULL,
    address TEXT NOT NULL,
    kinds TEXT NOT NULL DEFAULT '',
    heartbeat_at DATETIME NOT NULL
);
