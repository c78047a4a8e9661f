-- Destinations: each distinct place a user's alerts go, with a stable public id (code) that
-- the healthchecks.io-compatible API lists as a "channel" and attaches to checks. Settings are
-- sealed (AES-GCM under the key ring, bound to code and user), so a key rotation re-seals
-- them and never changes the code.
-- Additive only (see package migrations): an older binary never reads the table.

-- +goose Up
CREATE TABLE destinations (
    id         INTEGER PRIMARY KEY AUTOINCREMENT,
    code       TEXT    NOT NULL UNIQUE,
    user_id    INTEGER NOT NULL,
    kind       TEXT    NOT NULL,
    config_enc BLOB    NOT NULL,
    created_at INTEGER NOT NULL
) STRICT;
CREATE INDEX destinations_user_idx ON destinations (user_id, created_at);
CREATE INDEX channels_user_idx ON channels (user_id);

-- +goose Down
DROP INDEX channels_user_idx;
DROP TABLE destinations;
