-- The ping filter options healthchecks.io users rely on (messages.PingFilter): the methods a
-- check takes, the keywords that classify a ping by its body, and the email options, which
-- are stored and returned but not used. Additive only (see package migrations): an older
-- binary names its columns and ignores these; their defaults mean "no filter".
-- Columns with constant defaults rewrite no rows.

-- +goose Up
ALTER TABLE checks ADD COLUMN methods TEXT NOT NULL DEFAULT '';
ALTER TABLE checks ADD COLUMN filter_http_body BOOLEAN NOT NULL DEFAULT FALSE;
ALTER TABLE checks ADD COLUMN start_kw TEXT NOT NULL DEFAULT '';
ALTER TABLE checks ADD COLUMN success_kw TEXT NOT NULL DEFAULT '';
ALTER TABLE checks ADD COLUMN failure_kw TEXT NOT NULL DEFAULT '';
ALTER TABLE checks ADD COLUMN filter_default_fail BOOLEAN NOT NULL DEFAULT FALSE;
ALTER TABLE checks ADD COLUMN filter_subject BOOLEAN NOT NULL DEFAULT FALSE;
ALTER TABLE checks ADD COLUMN filter_body BOOLEAN NOT NULL DEFAULT FALSE;
ALTER TABLE checks ADD COLUMN subject TEXT NOT NULL DEFAULT '';
ALTER TABLE checks ADD COLUMN subject_fail TEXT NOT NULL DEFAULT '';

-- +goose Down
ALTER TABLE checks DROP COLUMN subject_fail;
ALTER TABLE checks DROP COLUMN subject;
ALTER TABLE checks DROP COLUMN filter_body;
ALTER TABLE checks DROP COLUMN filter_subject;
ALTER TABLE checks DROP COLUMN filter_default_fail;
ALTER TABLE checks DROP COLUMN failure_kw;
ALTER TABLE checks DROP COLUMN success_kw;
ALTER TABLE checks DROP COLUMN start_kw;
ALTER TABLE checks DROP COLUMN filter_http_body;
ALTER TABLE checks DROP COLUMN methods;
