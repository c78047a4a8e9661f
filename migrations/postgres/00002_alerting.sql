-- Alerting: flap suppression on the check row, and each destination's rate control.
-- Additive only (see package migrations): an older binary names its columns and ignores these.
-- Adding a nullable column, or one with a constant default, rewrites no rows.

-- +goose Up
-- Flap state (messages.CheckState). flap_history holds the times of the latest status changes
-- as big-endian int64 unix milliseconds, oldest first, 8 bytes each (NULL = none); the check
-- actor keeps it to a handful of entries. None of these is indexed, so updates stay HOT.
ALTER TABLE checks
    ADD COLUMN flap_history     BYTEA,
    ADD COLUMN flap_since       BIGINT,
    ADD COLUMN suppress_until   BIGINT,
    ADD COLUMN last_sent_status TEXT NOT NULL DEFAULT '';

-- A destination's adaptive rate control (messages.RateState), keyed by its identity hash, so
-- a 429's back-off survives a restart or a handover.
CREATE TABLE notifier_state (
    dest_hash     TEXT             PRIMARY KEY,
    rps           DOUBLE PRECISION NOT NULL DEFAULT 0,
    burst         DOUBLE PRECISION NOT NULL DEFAULT 0,
    tokens        DOUBLE PRECISION NOT NULL DEFAULT 0,
    backoff_level INTEGER          NOT NULL DEFAULT 0,
    backoff_until BIGINT,
    updated_at    BIGINT
);

-- +goose Down
DROP TABLE notifier_state;
ALTER TABLE checks
    DROP COLUMN last_sent_status,
    DROP COLUMN suppress_until,
    DROP COLUMN flap_since,
    DROP COLUMN flap_history;
