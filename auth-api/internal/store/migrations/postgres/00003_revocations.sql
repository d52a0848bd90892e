-- +goose Up
-- Revoked sessions (refresh families, the sid claim of their access
-- tokens), kept until the last access token of the session has expired.
-- seq is the feed's cursor: every replica asks for the rows after the last
-- seq it saw. Writers serialise on an advisory lock before taking a seq
-- (see AddRevocations), so seq order is commit order and no reader can
-- pass a seq that commits later.
CREATE TABLE revoked_sessions (
    seq        BIGINT      GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    sid        TEXT        NOT NULL,
    expires_at TIMESTAMPTZ NOT NULL
);

CREATE INDEX revoked_sessions_expires_at ON revoked_sessions (expires_at);

-- +goose Down
DROP TABLE revoked_sessions;
