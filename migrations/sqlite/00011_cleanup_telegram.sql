-- Cleanup of inactive accounts and Login with Telegram: when a user was last seen, Telegram
-- accounts linked to users, the Telegram sign-in payloads already accepted (each is
-- accepted once), and named leases that let one node at a time run a cluster-wide job.
-- Additive only (see package migrations): an older binary names its columns and ignores these.

-- +goose Up
-- When the user last signed in or used the API (unix ms; written at most once an hour).
-- Existing users count as seen now: nobody knows when they last were, and the cleanup of
-- inactive accounts must not take an upgrade for a long absence.
ALTER TABLE users ADD COLUMN last_seen_at INTEGER;
UPDATE users SET last_seen_at = CAST(unixepoch('subsec') * 1000 AS INTEGER);

-- The Telegram account linked to a user: one each way.
CREATE TABLE telegram_links (
    user_id     INTEGER PRIMARY KEY REFERENCES users (id) ON DELETE CASCADE,
    telegram_id INTEGER NOT NULL,
    linked_at   INTEGER NOT NULL,
    CONSTRAINT telegram_links_telegram_id_key UNIQUE (telegram_id)
) STRICT;

-- The hash of each Telegram sign-in payload accepted, kept until the payload is too old to be
-- accepted anyway; the primary key makes the acceptance once-only across nodes.
CREATE TABLE telegram_logins_seen (
    hash       BLOB    PRIMARY KEY,
    expires_at INTEGER NOT NULL
) STRICT;
CREATE INDEX telegram_logins_seen_expires_at ON telegram_logins_seen (expires_at);

-- A named lease: the node holder runs the job name until lease_until (unix ms).
CREATE TABLE job_leases (
    name        TEXT    PRIMARY KEY,
    holder      TEXT    NOT NULL,
    lease_until INTEGER NOT NULL
) STRICT;

-- +goose Down
DROP TABLE job_leases;
DROP TABLE telegram_logins_seen;
DROP TABLE telegram_links;
ALTER TABLE users DROP COLUMN last_seen_at;
