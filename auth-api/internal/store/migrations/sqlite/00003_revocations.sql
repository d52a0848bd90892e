-- +goose Up
-- Revoked sessions (refresh families, the sid claim of their access
-- tokens), kept until the last access token of the session has expired.
-- seq is the feed's cursor: every replica asks for the rows after the last
-- seq it saw. SQLite has one writer, so seq order is commit order.
CREATE TABLE revoked_sessions (
    seq        INTEGER NOT NULL PRIMARY KEY AUTOINCREMENT,
    sid        TEXT    NOT NULL,
    expires_at INTEGER NOT NULL -- unix seconds
) STRICT;

CREATE INDEX revoked_sessions_expires_at ON revoked_sessions (expires_at);

-- +goose Down
DROP TABLE revoked_sessions;
