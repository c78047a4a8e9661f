-- Retention (docs/operations.md, "Retention"): the indexes the background pruner reads by.
-- Additive only (see package migrations): an older binary never uses them.
--
-- Built CONCURRENTLY, outside a transaction (CREATE INDEX CONCURRENTLY cannot run in one):
-- the nodes already running keep writing flips and outbox rows while the migrating node
-- builds them, where a plain CREATE INDEX would hold their writes for the whole build. A
-- build that fails half-way leaves an INVALID index behind and goose does not record the
-- version, so the next start drops the leftover and builds it again.

-- +goose NO TRANSACTION
-- +goose Up
-- Flips older than the retention go by time, across checks.
DROP INDEX CONCURRENTLY IF EXISTS flips_at_idx;
CREATE INDEX CONCURRENTLY flips_at_idx ON flips (at);
-- Finished alerts older than the retention go by creation time; pending rows are not in the
-- index, so the outbox dispatcher's writes to them cost it nothing.
DROP INDEX CONCURRENTLY IF EXISTS outbox_finished_created_idx;
CREATE INDEX CONCURRENTLY outbox_finished_created_idx ON outbox (created_at)
    WHERE status IN ('delivered', 'failed');

-- +goose Down
DROP INDEX CONCURRENTLY IF EXISTS outbox_finished_created_idx;
DROP INDEX CONCURRENTLY IF EXISTS flips_at_idx;
