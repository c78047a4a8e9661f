-- Scoped API tokens, retired credentials, allowed networks of access keys, and the
-- authentication activity log. Times are unix milliseconds (NULL = none).
-- Additive only (see package migrations): an older binary names its columns and ignores these.

-- +goose Up
-- A scoped API token. Only the SHA-256 digest of the token is kept; prefix (the token's
-- first characters, which carry no more than 48 of its random bits) finds the candidates
-- whose digest is then compared in constant time. scopes is a sorted comma list, networks a
-- comma list of CIDRs ('' = any client).
CREATE TABLE api_tokens (
    id           INTEGER PRIMARY KEY AUTOINCREMENT,
    user_id      INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    name         TEXT    NOT NULL,
    prefix       TEXT    NOT NULL,
    digest       BLOB    NOT NULL,
    scopes       TEXT    NOT NULL,
    networks     TEXT    NOT NULL DEFAULT '',
    created_at   INTEGER NOT NULL,
    expires_at   INTEGER,
    last_used_at INTEGER,
    CONSTRAINT api_tokens_digest_key UNIQUE (digest)
) STRICT;
CREATE INDEX api_tokens_prefix ON api_tokens (prefix);
CREATE INDEX api_tokens_user_id ON api_tokens (user_id, id);

-- The digest of an access key replaced by a rotation or a deletion, or of a revoked token:
-- refused with its own message (and not counted as a guess) while it is recent. No
-- reference to users: a deleted account's key stays retired.
CREATE TABLE retired_credentials (
    digest     BLOB    PRIMARY KEY,
    user_id    INTEGER NOT NULL,
    kind       TEXT    NOT NULL,
    retired_at INTEGER NOT NULL
) STRICT;
CREATE INDEX retired_credentials_retired_at ON retired_credentials (retired_at);

-- The client networks a user's access key may be used from (a comma list of CIDRs); no row
-- = any client.
CREATE TABLE key_networks (
    user_id  INTEGER PRIMARY KEY REFERENCES users (id) ON DELETE CASCADE,
    networks TEXT    NOT NULL
) STRICT;

-- The authentication activity log. user_id 0 = no user (an unknown credential). ip_hmac is
-- a keyed hash of the client IP, never the address. Ids only grow (AUTOINCREMENT): they are
-- the order of the log and its cursors.
CREATE TABLE auth_activity (
    id         INTEGER PRIMARY KEY AUTOINCREMENT,
    user_id    INTEGER NOT NULL DEFAULT 0,
    at         INTEGER NOT NULL,
    event      TEXT    NOT NULL,
    method     TEXT    NOT NULL DEFAULT '',
    credential TEXT    NOT NULL DEFAULT '',
    outcome    TEXT    NOT NULL,
    reason     TEXT    NOT NULL DEFAULT '',
    ip_hmac    BLOB,
    ua_family  TEXT    NOT NULL DEFAULT ''
) STRICT;
CREATE INDEX auth_activity_user_id ON auth_activity (user_id, id);
CREATE INDEX auth_activity_at ON auth_activity (at);

-- +goose Down
DROP TABLE auth_activity;
DROP TABLE key_networks;
DROP TABLE retired_credentials;
DROP TABLE api_tokens;
