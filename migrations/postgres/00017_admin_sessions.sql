-- Browser sessions of operators (the admin pages): like a user's session, keyed by the keyed
-- hash of the cookie's random token (never the token), with an idle and an absolute expiry.
-- Additive only (see package migrations): an older binary does not know the table.

-- +goose Up
CREATE TABLE admin_sessions (
    token_hash BYTEA  PRIMARY KEY,
    admin_id   BIGINT NOT NULL REFERENCES admins (id) ON DELETE CASCADE,
    created_at BIGINT NOT NULL,
    seen_at    BIGINT NOT NULL,
    expires_at BIGINT NOT NULL
);
CREATE INDEX admin_sessions_admin_id ON admin_sessions (admin_id);
CREATE INDEX admin_sessions_expires_at ON admin_sessions (expires_at);

-- +goose Down
DROP TABLE admin_sessions;
