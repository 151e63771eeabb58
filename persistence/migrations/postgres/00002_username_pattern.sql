-- Prefix searches on usernames (stored lower-case) use `username LIKE 'x%'`:
-- a text_pattern_ops index serves them whatever the database collation.
CREATE INDEX users_username_pattern_index ON users (username text_pattern_ops);
