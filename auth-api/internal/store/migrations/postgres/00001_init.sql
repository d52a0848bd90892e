-- +goose Up
-- Users: usernames are unique regardless of case (they are ASCII only), as
-- with SQLite's COLLATE NOCASE. user_key, the lower-case name, is what
-- uniqueness, lookups and the tokens' foreign key use; username keeps the
-- spelling the user was created with.
CREATE TABLE users (
    username      TEXT        NOT NULL,
    user_key      TEXT        NOT NULL GENERATED ALWAYS AS (lower(username)) STORED PRIMARY KEY,
    password_hash BYTEA       NOT NULL,
    role          TEXT        NOT NULL CHECK (role IN ('admin', 'user')),
    created_at    TIMESTAMPTZ NOT NULL
);

-- Refresh tokens, stored only as SHA-256 hashes. A login starts a family;
-- every refresh marks its token used and adds the next one to the family.
CREATE TABLE refresh_tokens (
    hash       BYTEA       NOT NULL PRIMARY KEY,
    family     TEXT        NOT NULL,
    username   TEXT        NOT NULL,
    user_key   TEXT        NOT NULL GENERATED ALWAYS AS (lower(username)) STORED
                           REFERENCES users (user_key) ON DELETE CASCADE,
    created_at TIMESTAMPTZ NOT NULL,
    expires_at TIMESTAMPTZ NOT NULL,
    used_at    TIMESTAMPTZ,
    revoked_at TIMESTAMPTZ
);

CREATE INDEX refresh_tokens_family ON refresh_tokens (family);
CREATE INDEX refresh_tokens_user_key ON refresh_tokens (user_key);
CREATE INDEX refresh_tokens_expires_at ON refresh_tokens (expires_at);

-- +goose Down
DROP TABLE refresh_tokens;
DROP TABLE users;
