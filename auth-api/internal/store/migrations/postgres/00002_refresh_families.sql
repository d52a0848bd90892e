-- +goose Up
-- One row per refresh family (one login) instead of one row per token:
-- rotation bumps the generation and keeps the hash of the current token
-- and of the one before it (for REFRESH_REUSE_INTERVAL), so a user looping
-- POST /refresh no longer grows the database.
CREATE TABLE refresh_families (
    family        TEXT        NOT NULL PRIMARY KEY,
    username      TEXT        NOT NULL,
    user_key      TEXT        NOT NULL GENERATED ALWAYS AS (lower(username)) STORED
                              REFERENCES users (user_key) ON DELETE CASCADE,
    created_at    TIMESTAMPTZ NOT NULL,
    expires_at    TIMESTAMPTZ NOT NULL,
    generation    BIGINT      NOT NULL, -- 0: the current token is a legacy (v1) token
    current_hash  BYTEA       NOT NULL UNIQUE,
    previous_hash BYTEA,
    rotated_at    TIMESTAMPTZ,
    revoked_at    TIMESTAMPTZ,
    window_end    TIMESTAMPTZ NOT NULL DEFAULT 'epoch', -- rotations per family: the window
    window_count  INTEGER     NOT NULL DEFAULT 0        -- and the rotations in it
);

CREATE INDEX refresh_families_previous_hash ON refresh_families (previous_hash);
CREATE INDEX refresh_families_user_key ON refresh_families (user_key);
CREATE INDEX refresh_families_expires_at ON refresh_families (expires_at);

-- Sessions survive the upgrade: each family's unused token stays valid (as
-- generation 0). Used tokens are not kept: presenting one after the
-- upgrade is refused as unknown instead of revoking its family.
INSERT INTO refresh_families (family, username, created_at, expires_at, generation, current_hash, revoked_at)
SELECT DISTINCT ON (t.family) t.family, t.username, f.created_at, t.expires_at, 0, t.hash, f.revoked_at
FROM refresh_tokens t
JOIN (SELECT family, MIN(created_at) AS created_at, MAX(revoked_at) AS revoked_at
      FROM refresh_tokens GROUP BY family) f ON f.family = t.family
WHERE t.used_at IS NULL
ORDER BY t.family, t.created_at DESC, t.hash;

DROP TABLE refresh_tokens;

-- Brute-force and refresh-rate counters, shared by every replica: one row
-- per key ("u:alice", "a:192.0.2.1", "r:2001:db8::/64") and fixed window.
CREATE TABLE attempt_counters (
    key        TEXT        NOT NULL PRIMARY KEY,
    count      INTEGER     NOT NULL,
    window_end TIMESTAMPTZ NOT NULL
);

CREATE INDEX attempt_counters_window_end ON attempt_counters (window_end);

-- +goose Down
DROP TABLE attempt_counters;
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
-- The version 1 code hashes whatever string it is given, so the current
-- tokens keep working after a downgrade.
INSERT INTO refresh_tokens (hash, family, username, created_at, expires_at, revoked_at)
SELECT current_hash, family, username, created_at, expires_at, revoked_at FROM refresh_families;
DROP TABLE refresh_families;
