-- The web UI: sign-in sessions, the user's display settings and user slugs held after a change.
-- Additive only (see package migrations): an older binary names its columns and ignores these.

-- +goose Up
-- Display settings of the web UI: theme ('' = the default), light/dark mode ('' = follow the
-- browser) and the IANA time zone of dates in pages and of days in uptime ('' = UTC).
ALTER TABLE users ADD COLUMN theme TEXT NOT NULL DEFAULT '';
ALTER TABLE users ADD COLUMN theme_mode TEXT NOT NULL DEFAULT '';
ALTER TABLE users ADD COLUMN tz TEXT NOT NULL DEFAULT '';

-- A browser session. token_hash is the keyed hash of the cookie's random token (the token
-- itself is never stored). A session ends at expires_at (absolute), or when it has not been
-- seen for the idle timeout (seen_at, refreshed at most once a minute).
CREATE TABLE sessions (
    token_hash BLOB    PRIMARY KEY,
    user_id    INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    created_at INTEGER NOT NULL,
    seen_at    INTEGER NOT NULL,
    expires_at INTEGER NOT NULL
) STRICT;
CREATE INDEX sessions_user_id ON sessions (user_id);
CREATE INDEX sessions_expires_at ON sessions (expires_at);

-- A user slug given up (changed or account deleted): nobody but its last owner may take it
-- before until. user_id 0 = the account was deleted (nobody may take it). The admin migration
-- (00007) defines the same table first; this creates it only where that has not run.
CREATE TABLE IF NOT EXISTS slug_holds (
    slug    TEXT    PRIMARY KEY,
    user_id INTEGER NOT NULL,
    until   INTEGER NOT NULL
) STRICT;

-- +goose Down
DROP TABLE sessions;
ALTER TABLE users DROP COLUMN tz;
ALTER TABLE users DROP COLUMN theme_mode;
ALTER TABLE users DROP COLUMN theme;
