-- Badges: a check's badge id (NULL while its badge is disabled) and each user's key for tag
-- badges (NULL until the user first asks for it). Both are random capabilities that reveal a
-- status, never a ping URL; each is looked up by its own unique index.
-- Additive only (see package migrations): an older binary names its columns and ignores them.

-- +goose Up
ALTER TABLE checks ADD COLUMN badge_id TEXT;
CREATE UNIQUE INDEX checks_badge_id ON checks (badge_id) WHERE badge_id IS NOT NULL;
ALTER TABLE users ADD COLUMN badge_key TEXT;
CREATE UNIQUE INDEX users_badge_key ON users (badge_key) WHERE badge_key IS NOT NULL;

-- +goose Down
DROP INDEX users_badge_key;
ALTER TABLE users DROP COLUMN badge_key;
DROP INDEX checks_badge_id;
ALTER TABLE checks DROP COLUMN badge_id;
