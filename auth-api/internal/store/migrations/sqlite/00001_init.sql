-- +goose Up
-- The schema the pre-goose runner created as 0001_init.sql, unchanged: a
-- database from that runner is adopted at this version (see adoptLegacy).

-- Users: usernames are unique regardless of case (they are ASCII only).
CREATE TABLE users (
    username      TEXT    NOT NULL PRIMARY KEY COLLATE NOCASE,
    password_hash BLOB    NOT NULL,
    role          TEXT    NOT NULL CHECK (role IN ('admin', 'user')),
    created_at    INTEGER NOT NULL -- unix seconds
) STRICT;

-- Refresh tokens, stored only as SHA-256 hashes. A login starts a family;
-- every refresh marks its token used and adds the next one to the family.
CREATE TABLE refresh_tokens (
    hash       BLOB    NOT NULL PRIMARY KEY,
    family     TEXT    NOT NULL,
    username   TEXT    NOT NULL COLLATE NOCASE REFERENCES users (username) ON DELETE CASCADE,
    created_at INTEGER NOT NULL,
    expires_at INTEGER NOT NULL,
    used_at    INTEGER,
    revoked_at INTEGER
) STRICT;

CREATE INDEX refresh_tokens_family ON refresh_tokens (family);
CREATE INDEX refresh_tokens_username ON refresh_tokens (username);
CREATE INDEX refresh_tokens_expires_at ON refresh_tokens (expires_at);

-- +goose Down
DROP TABLE refresh_tokens;
DROP TABLE users;
