-- The web UI: sign-in sessions, the user's display settings and user slugs held after a change.
-- Additive only (see package migrations): an older binary names its columns and ignores these.
-- Adding a column with a constant default rewrites no rows.

-- +goose Up
-- Display settings of the web UI: theme ('' = the default), light/dark mode ('' = follow the
-- browser) and the IANA time zone of dates in pages and of days in uptime ('' = UTC).
ALTER TABLE users
    ADD COLUMN theme      TEXT NOT NULL DEFAULT '',
    ADD COLUMN theme_mode TEXT NOT NULL DEFAULT '',
    ADD COLUMN tz         TEXT NOT NULL DEFAULT '';

-- A browser session. token_hash is the keyed hash of the cookie's random token (the token
-- itself is never stored). A session ends at expires_at (absolute), or when it has not been
-- seen for the idle timeout (seen_at, refreshed at most once a minute).
CREATE TABLE sessions (
    token_hash BYTEA  PRIMARY KEY,
    user_id    BIGINT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    created_at BIGINT NOT NULL,
    seen_at    BIGINT NOT NULL,
    expires_at BIGINT NOT NULL
);
CREATE INDEX sessions_user_id ON sessions (user_id);
CREATE INDEX sessions_expires_at ON sessions (expires_at);

-- A user slug given up (changed or account deleted): nobody but its last owner may take it
-- before until. user_id 0 = the account was deleted (nobody may take it). The admin migration
-- (00007) defines the same table first; this creates it only where that has not run.
CREATE TABLE IF NOT EXISTS slug_holds (
    slug    TEXT   PRIMARY KEY,
    user_id BIGINT NOT NULL,
    until   BIGINT NOT NULL
);

-- +goose Down
DROP TABLE sessions;
ALTER TABLE users DROP COLUMN tz, DROP COLUMN theme_mode, DROP COLUMN theme;
