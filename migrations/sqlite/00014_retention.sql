-- Retention (docs/operations.md, "Retention"): the indexes the background pruner reads by.
-- Additive only (see package migrations): an older binary never uses them.
-- On SQLite the indexes are built while the migrating node holds the writer, before it
-- serves: a single node has nobody else to serve meanwhile.

-- +goose Up
-- Flips older than the retention go by time, across checks.
CREATE INDEX IF NOT EXISTS flips_at_idx ON flips (at);
-- Finished alerts older than the retention go by creation time; pending rows are not in the
-- index, so the outbox dispatcher's writes to them cost it nothing.
CREATE INDEX IF NOT EXISTS outbox_finished_created_idx ON outbox (created_at)
    WHERE status IN ('delivered', 'failed');

-- +goose Down
DROP INDEX IF EXISTS outbox_finished_created_idx;
DROP INDEX IF EXISTS flips_at_idx;
