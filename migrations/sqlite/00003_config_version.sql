-- Optimistic concurrency for edits: config_version counts the changes a user made to a check
-- (edits, pause, resume; never pings). It is the check's ETag, and If-Match compares with it.
-- Additive only (see package migrations): an older binary names its columns and ignores it.

-- +goose Up
ALTER TABLE checks ADD COLUMN config_version INTEGER NOT NULL DEFAULT 1;

-- +goose Down
ALTER TABLE checks DROP COLUMN config_version;
