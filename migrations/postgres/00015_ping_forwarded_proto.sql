-- The scheme a trusted reverse proxy says a ping came in with (X-Forwarded-Proto: "http" or
-- "https"; '' when the client reached ttr directly or the proxy is not trusted).
-- Additive only (see package migrations): an older binary names its columns and ignores it.

-- +goose Up
ALTER TABLE pings ADD COLUMN forwarded_proto TEXT NOT NULL DEFAULT '';

-- +goose Down
ALTER TABLE pings DROP COLUMN forwarded_proto;
