-- Operator accounts: admins, the allow-list of their refresh tokens, revoked access tokens,
-- metrics tokens, a disabled flag on users, and user slugs held after an account is deleted.
-- Additive only (see package migrations): an older binary names its columns and ignores these.

-- +goose Up
-- When an admin disabled the user (NULL = enabled).
ALTER TABLE users ADD COLUMN disabled_at INTEGER;

-- An operator account. password_hash is argon2id in the PHC string format.
CREATE TABLE admins (
    id            INTEGER PRIMARY KEY AUTOINCREMENT,
    username      TEXT    NOT NULL,
    password_hash TEXT    NOT NULL,
    created_at    INTEGER NOT NULL,
    updated_at    INTEGER NOT NULL,
    CONSTRAINT admins_username_key UNIQUE (username)
) STRICT;

-- Refresh tokens allow-listed by jti. A rotation sets used_at and adds the next token of the
-- family; a spent token presented again revokes (deletes) its whole family.
CREATE TABLE admin_refresh_tokens (
    jti        TEXT    PRIMARY KEY,
    family     TEXT    NOT NULL,
    admin_id   INTEGER NOT NULL,
    expires_at INTEGER NOT NULL,
    used_at    INTEGER
) STRICT;
CREATE INDEX admin_refresh_tokens_family ON admin_refresh_tokens (family);
CREATE INDEX admin_refresh_tokens_admin_id ON admin_refresh_tokens (admin_id);
CREATE INDEX admin_refresh_tokens_expires_at ON admin_refresh_tokens (expires_at);

-- Access tokens revoked by a logout, kept until they would have expired.
CREATE TABLE revoked_tokens (
    jti   TEXT    PRIMARY KEY,
    until INTEGER NOT NULL
) STRICT;
CREATE INDEX revoked_tokens_until ON revoked_tokens (until);

-- Tokens that open /metrics and nothing else, stored as SHA-256.
CREATE TABLE metrics_tokens (
    id         INTEGER PRIMARY KEY AUTOINCREMENT,
    token_hash BLOB    NOT NULL,
    prefix     TEXT    NOT NULL DEFAULT '',
    name       TEXT    NOT NULL DEFAULT '',
    created_at INTEGER NOT NULL,
    revoked_at INTEGER,
    CONSTRAINT metrics_tokens_token_hash_key UNIQUE (token_hash)
) STRICT;

-- A user slug given up: nobody but its last owner may take it before until (user_id 0 = the
-- account was deleted: nobody may). The web UI's migration defines the same table.
CREATE TABLE IF NOT EXISTS slug_holds (
    slug    TEXT    PRIMARY KEY,
    user_id INTEGER NOT NULL,
    until   INTEGER NOT NULL
) STRICT;

-- +goose Down
DROP TABLE metrics_tokens;
DROP TABLE revoked_tokens;
DROP TABLE admin_refresh_tokens;
DROP TABLE admins;
ALTER TABLE users DROP COLUMN disabled_at;
