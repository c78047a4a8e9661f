-- The initial schema. Times are unix milliseconds (NULL = none), durations milliseconds.
-- STRICT tables keep every value in its declared type (a ping body stays a BLOB).

-- +goose Up
CREATE TABLE users (
    id             INTEGER PRIMARY KEY AUTOINCREMENT,
    slug           TEXT    NOT NULL,
    auth_key_hash  BLOB,
    ping_key_enc   BLOB,
    ping_key_index BLOB,
    slug_pings     INTEGER NOT NULL DEFAULT 1,
    created_at     INTEGER,
    CONSTRAINT users_slug_key UNIQUE (slug),
    CONSTRAINT users_auth_key_hash_key UNIQUE (auth_key_hash),
    CONSTRAINT users_ping_key_index_key UNIQUE (ping_key_index)
) STRICT;

CREATE TABLE checks (
    id                       INTEGER PRIMARY KEY AUTOINCREMENT,
    user_id                  INTEGER NOT NULL REFERENCES users (id),
    uuid                     TEXT    NOT NULL,
    slug                     TEXT    NOT NULL,
    created_at               INTEGER,
    version                  INTEGER NOT NULL DEFAULT 1,
    -- configuration (messages.CheckConfig)
    name                     TEXT    NOT NULL DEFAULT '',
    description              TEXT    NOT NULL DEFAULT '',
    tags                     TEXT    NOT NULL DEFAULT '', -- ' tag1 tag2 ' ('' when none)
    schedule_type            TEXT    NOT NULL DEFAULT '',
    schedule                 TEXT    NOT NULL DEFAULT '',
    tz                       TEXT    NOT NULL DEFAULT '',
    interval_seconds         INTEGER NOT NULL DEFAULT 0,
    grace_seconds            INTEGER NOT NULL DEFAULT 0,
    max_runtime_seconds      INTEGER NOT NULL DEFAULT 0,
    manual_resume            INTEGER NOT NULL DEFAULT 0,
    notify_after_failures    INTEGER NOT NULL DEFAULT 0,
    notify_on_up             INTEGER NOT NULL DEFAULT 0,
    realert_interval_seconds INTEGER NOT NULL DEFAULT 0,
    content_type             TEXT, -- NULL = no content rule
    content_pattern          TEXT,
    content_regex            INTEGER,
    -- state (messages.CheckState)
    status                   TEXT    NOT NULL DEFAULT 'new',
    last_ping                INTEGER,
    last_ping_kind           TEXT    NOT NULL DEFAULT '',
    last_start               INTEGER,
    last_start_rid           TEXT    NOT NULL DEFAULT '',
    last_duration_ms         INTEGER, -- NULL = none (-1)
    next_due                 INTEGER,
    next_deadline            INTEGER,
    run_deadline             INTEGER,
    realert_due              INTEGER,
    next_wake_at             INTEGER,
    n_pings                  INTEGER NOT NULL DEFAULT 0,
    failure_count            INTEGER NOT NULL DEFAULT 0,
    down_flip                TEXT    NOT NULL DEFAULT '',
    down_alerted             INTEGER NOT NULL DEFAULT 0,
    realert_count            INTEGER NOT NULL DEFAULT 0,
    flip_seq                 INTEGER NOT NULL DEFAULT 0,
    last_reason              TEXT    NOT NULL DEFAULT '',
    CONSTRAINT checks_uuid_key UNIQUE (uuid),
    CONSTRAINT checks_user_slug_key UNIQUE (user_id, slug)
) STRICT;

CREATE INDEX checks_next_wake_at_idx ON checks (next_wake_at) WHERE next_wake_at IS NOT NULL;

-- The ping log is keyed in append order: a key led by check_id would dirty a random index
-- page per ping. (check_id, n) is the lookup index and enforces the per-check sequence, so a
-- stale activation's append collides.
CREATE TABLE pings (
    id          INTEGER PRIMARY KEY,
    check_id    INTEGER NOT NULL,
    n           INTEGER NOT NULL,
    at          INTEGER,
    kind        TEXT    NOT NULL DEFAULT '',
    exit_status INTEGER NOT NULL DEFAULT -1,
    rid         TEXT    NOT NULL DEFAULT '',
    method      TEXT    NOT NULL DEFAULT '',
    remote_ip   TEXT    NOT NULL DEFAULT '',
    user_agent  TEXT    NOT NULL DEFAULT '',
    body        BLOB,
    request_id  TEXT    NOT NULL DEFAULT '',
    reason      TEXT    NOT NULL DEFAULT ''
) STRICT;

CREATE UNIQUE INDEX pings_check_n_key ON pings (check_id, n);

CREATE TABLE flips (
    id          TEXT    PRIMARY KEY, -- "<check id>.<seq>"
    check_id    INTEGER NOT NULL,
    at          INTEGER,
    from_status TEXT    NOT NULL DEFAULT '',
    to_status   TEXT    NOT NULL DEFAULT '',
    reason      TEXT    NOT NULL DEFAULT '',
    node        TEXT    NOT NULL DEFAULT ''
) STRICT;

CREATE INDEX flips_check_at_idx ON flips (check_id, at);

CREATE TABLE channels (
    check_id     INTEGER NOT NULL,
    name         TEXT    NOT NULL,
    user_id      INTEGER NOT NULL,
    enabled      INTEGER NOT NULL DEFAULT 0,
    config_enc   BLOB,
    last_status  TEXT    NOT NULL DEFAULT '',
    last_message TEXT    NOT NULL DEFAULT '',
    last_at      INTEGER,
    PRIMARY KEY (check_id, name)
) STRICT;

-- Outbox rows outlive their check: an alert already due is still delivered.
CREATE TABLE outbox (
    id              INTEGER PRIMARY KEY AUTOINCREMENT,
    user_id         INTEGER NOT NULL,
    check_id        INTEGER NOT NULL,
    kind            TEXT    NOT NULL DEFAULT '',
    channel         TEXT    NOT NULL DEFAULT '',
    dest_hash       TEXT    NOT NULL DEFAULT '',
    dest_enc        BLOB,
    payload         BLOB,
    idempotency_key TEXT, -- NULL when empty
    status          TEXT    NOT NULL DEFAULT 'pending',
    attempts        INTEGER NOT NULL DEFAULT 0,
    next_attempt_at INTEGER,
    claimed_by      TEXT    NOT NULL DEFAULT '',
    claim_until     INTEGER,
    last_error      TEXT    NOT NULL DEFAULT '',
    created_at      INTEGER,
    delivered_at    INTEGER,
    CONSTRAINT outbox_idempotency_key_key UNIQUE (idempotency_key)
) STRICT;

CREATE INDEX outbox_dest_status_id_idx ON outbox (dest_hash, status, id);
CREATE INDEX outbox_status_next_attempt_idx ON outbox (status, next_attempt_at);
CREATE INDEX outbox_check_id_idx ON outbox (check_id, id);

CREATE TABLE nodes (
    node_id     TEXT    PRIMARY KEY,
    lease_until INTEGER
) STRICT;

-- +goose Down
DROP TABLE nodes;
DROP TABLE outbox;
DROP TABLE channels;
DROP TABLE flips;
DROP TABLE pings;
DROP TABLE checks;
DROP TABLE users;
