-- Public status pages and the uptime marks their uptime is computed from.
-- Additive only (see package migrations): an older binary names its columns and ignores these.

-- +goose Up
-- A status page: /s/{user slug}/{slug}. version counts the owner's edits (the API's ETag).
CREATE TABLE status_pages (
    id            INTEGER PRIMARY KEY AUTOINCREMENT,
    user_id       INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    slug          TEXT    NOT NULL,
    name          TEXT    NOT NULL DEFAULT '',
    description   TEXT    NOT NULL DEFAULT '',
    layout        TEXT    NOT NULL DEFAULT 'cards',
    show_activity INTEGER NOT NULL DEFAULT 0,
    created_at    INTEGER NOT NULL,
    updated_at    INTEGER NOT NULL,
    version       INTEGER NOT NULL DEFAULT 1,
    CONSTRAINT status_pages_user_slug_key UNIQUE (user_id, slug)
) STRICT;

-- The checks a page shows, in order. A row outlives nothing: deleting the page or the check
-- deletes it (the check's delete, in the commit path).
CREATE TABLE status_page_checks (
    page_id  INTEGER NOT NULL REFERENCES status_pages (id) ON DELETE CASCADE,
    position INTEGER NOT NULL,
    check_id INTEGER NOT NULL,
    PRIMARY KEY (page_id, position)
) STRICT;
CREATE INDEX status_page_checks_check_id ON status_page_checks (check_id);

-- Uptime marks: one per flip, written with it, holding the check's cumulative up and tracked
-- (up or down) milliseconds from its first flip to at, and the status it entered at at. The
-- up time within any interval [a, b) is U(b) - U(a), where U(t) is read from the newest mark
-- at or before t (plus t - at when its status is up): two index lookups per interval,
-- whatever the number of flips in it, in any time zone (docs/architecture.md#uptime).
CREATE TABLE uptime_marks (
    id         INTEGER PRIMARY KEY,
    check_id   INTEGER NOT NULL,
    at         INTEGER NOT NULL,
    status     TEXT    NOT NULL,
    up_ms      INTEGER NOT NULL,
    tracked_ms INTEGER NOT NULL
) STRICT;
CREATE INDEX uptime_marks_check_at ON uptime_marks (check_id, at, id);

-- The marks of the flips written before this migration, in each check's flip order.
INSERT INTO uptime_marks (check_id, at, status, up_ms, tracked_ms)
SELECT check_id, at, to_status,
    SUM(up_seg) OVER w, SUM(tracked_seg) OVER w
FROM (
    SELECT check_id, at, to_status, seq,
        CASE WHEN LAG(to_status) OVER p = 'up' THEN at - LAG(at) OVER p ELSE 0 END AS up_seg,
        CASE WHEN LAG(to_status) OVER p IN ('up', 'down') THEN at - LAG(at) OVER p ELSE 0 END AS tracked_seg
    FROM (SELECT check_id, COALESCE(at, 0) AS at, to_status,
            CAST(substr(id, instr(id, '.') + 1) AS INTEGER) AS seq
          FROM flips) f
    WINDOW p AS (PARTITION BY check_id ORDER BY at, seq)
) x
WINDOW w AS (PARTITION BY check_id ORDER BY at, seq ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW)
ORDER BY check_id, at, seq;

-- +goose Down
DROP TABLE uptime_marks;
DROP TABLE status_page_checks;
DROP TABLE status_pages;
