-- Contract step 1: a user's slug is never empty. Every release since the first writes a
-- generated or validated slug, so the rule holds on existing rows and on the previous
-- release's writes; it is a contract step because it tightens a constraint (see package
-- migrations), and it is the first step of this set, which `ttrd migrate --contract` alone runs.
-- SQLite cannot add a CHECK constraint to a table, so triggers enforce it (users are written
-- rarely: the triggers cost nothing on the ping path).

-- +goose Up
-- +goose StatementBegin
CREATE TRIGGER users_slug_not_empty_insert BEFORE INSERT ON users
WHEN NEW.slug = ''
BEGIN
    SELECT RAISE(ABORT, 'CHECK constraint failed: users_slug_not_empty');
END;
-- +goose StatementEnd
-- +goose StatementBegin
CREATE TRIGGER users_slug_not_empty_update BEFORE UPDATE OF slug ON users
WHEN NEW.slug = ''
BEGIN
    SELECT RAISE(ABORT, 'CHECK constraint failed: users_slug_not_empty');
END;
-- +goose StatementEnd

-- +goose Down
DROP TRIGGER users_slug_not_empty_update;
DROP TRIGGER users_slug_not_empty_insert;
