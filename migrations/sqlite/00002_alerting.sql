-- Alerting: flap suppression on the check row, and each destination's rate control.
-- Additive only (see package migrations): an older binary names its columns and ignores these.

-- +goose Up
-- Flap state (messages.CheckState). flap_history holds the times of the latest status changes
-- as big-endian int64 unix milliseconds, oldest first, 8 bytes each (NULL = none); the check
-- actor keeps it to a handful of entries.
ALTER TABLE checks ADD COLUMN flap_history BLOB;
ALTER TABLE checks ADD COLUMN flap_since INTEGER;
ALTER TABLE checks ADD COLUMN suppress_until INTEGER;
ALTER TABLE checks ADD COLUMN last_sent_status TEXT NOT NULL DEFAULT '';

-- A destination's adaptive rate control (messages.RateState), keyed by its identity hash, so
-- a 429's back-off survives a restart or a handover.
CREATE TABLE notifier_state (
    dest_hash     TEXT    PRIMARY KEY,
    rps           REAL    NOT NULL DEFAULT 0,
    burst         REAL    NOT NULL DEFAULT 0,
    tokens        REAL    NOT NULL DEFAULT 0,
    backoff_level INTEGER NOT NULL DEFAULT 0,
    backoff_until INTEGER,
    updated_at    INTEGER
) STRICT;

-- +goose Down
DROP TABLE notifier_state;
ALTER TABLE checks DROP COLUMN last_sent_status;
ALTER TABLE checks DROP COLUMN suppress_until;
ALTER TABLE checks DROP COLUMN flap_since;
ALTER TABLE checks DROP COLUMN flap_history;
