-- The tables that grow without bound lose their PRIMARY KEY (ids stay NOT NULL).
--
-- Why: a DuckDB PRIMARY KEY is an ART index that is loaded whole into the buffer pool on
-- every insert. Under the sync's 64MB memory_limit a file warehouse failed with "Out of
-- Memory Error: could not allocate block of size 256.0 KiB" once `sippet.calls` held about
-- 450k calls (measured: the sync's UPDATE ... FROM and anti-join INSERT on a keyed table),
-- and the index cost ~40 MB of RSS at 250k calls. No code relies on the keys: the sync keeps
-- ids unique itself (anti-join inserts, UPDATE ... FROM, MERGE), as it always did on a
-- DuckLake, and the `primary_key_unique` asset check verifies it.
--
-- DuckDB cannot drop a constraint, so each table is rebuilt in place (same columns, same
-- order, same rows) inside this migration's transaction. On a lake the tables had no keys:
-- the rebuild only copies them.

CREATE TABLE sippet.calls__rebuilt (
    id VARCHAR NOT NULL,
    direction VARCHAR,
    from_number VARCHAR,
    to_number VARCHAR,
    sip_username VARCHAR,
    status VARCHAR,
    call_uuid VARCHAR,
    call_source VARCHAR,
    started_at TIMESTAMPTZ,
    ended_at TIMESTAMPTZ,
    duration_seconds BIGINT,
    conversation_id VARCHAR,
    _synced_at TIMESTAMPTZ NOT NULL
);
INSERT INTO sippet.calls__rebuilt SELECT * FROM sippet.calls ORDER BY started_at, id;
DROP TABLE sippet.calls;
ALTER TABLE sippet.calls__rebuilt RENAME TO calls;

CREATE TABLE sippet._sync_runs__rebuilt (
    run_id VARCHAR NOT NULL,
    stream VARCHAR NOT NULL,
    mode VARCHAR NOT NULL,         -- incremental | full_refresh | window
    started_at TIMESTAMPTZ NOT NULL,
    ended_at TIMESTAMPTZ,
    status VARCHAR NOT NULL,       -- running | succeeded | failed
    pages BIGINT NOT NULL DEFAULT 0,
    requests BIGINT NOT NULL DEFAULT 0,
    retries BIGINT NOT NULL DEFAULT 0,
    rows_fetched BIGINT NOT NULL DEFAULT 0,
    rows_inserted BIGINT NOT NULL DEFAULT 0,
    rows_updated BIGINT NOT NULL DEFAULT 0,
    rows_deleted BIGINT NOT NULL DEFAULT 0,
    rows_quarantined BIGINT NOT NULL DEFAULT 0,
    cursor_before VARCHAR,
    cursor_after VARCHAR,
    error VARCHAR
);
INSERT INTO sippet._sync_runs__rebuilt SELECT * FROM sippet._sync_runs ORDER BY started_at;
DROP TABLE sippet._sync_runs;
ALTER TABLE sippet._sync_runs__rebuilt RENAME TO _sync_runs;

CREATE TABLE sippet._quarantine__rebuilt (
    stream VARCHAR NOT NULL,
    record_id VARCHAR NOT NULL,    -- '?' when the record had no readable id
    field VARCHAR,
    reason VARCHAR NOT NULL,
    raw_json VARCHAR NOT NULL,
    first_seen_at TIMESTAMPTZ NOT NULL,
    last_seen_at TIMESTAMPTZ NOT NULL
);
INSERT INTO sippet._quarantine__rebuilt SELECT * FROM sippet._quarantine;
DROP TABLE sippet._quarantine;
ALTER TABLE sippet._quarantine__rebuilt RENAME TO _quarantine;
