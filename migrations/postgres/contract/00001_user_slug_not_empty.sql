-- Contract step 1: a user's slug is never empty. Every release since the first writes a
-- generated or validated slug, so the constraint holds on existing rows and on the previous
-- release's writes; it is a contract step because it tightens a constraint (see package
-- migrations), and it is the first step of this set, which `ttrd migrate --contract` alone runs.

-- +goose Up
ALTER TABLE users ADD CONSTRAINT users_slug_not_empty CHECK (slug <> '');

-- +goose Down
ALTER TABLE users DROP CONSTRAINT users_slug_not_empty;
