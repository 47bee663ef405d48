-- Sync bookkeeping. Every write here happens in the same transaction as the rows it
-- describes, so a crash can never leave a cursor ahead of the data.

-- One row per stream: where the next incremental sync resumes.
CREATE TABLE sippet._sync_state (
    stream VARCHAR PRIMARY KEY,
    cursor_value VARCHAR,          -- ISO-8601 instant (time cursors) or NULL
    updated_at TIMESTAMPTZ NOT NULL
);

-- One row per stream per run (the run ledger).
CREATE TABLE sippet._sync_runs (
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
    error VARCHAR,
    PRIMARY KEY (run_id, stream)
);

-- Records that failed validation: never dropped, never blocking the others.
CREATE TABLE sippet._quarantine (
    stream VARCHAR NOT NULL,
    record_id VARCHAR NOT NULL,    -- '?' when the record had no readable id
    field VARCHAR,
    reason VARCHAR NOT NULL,
    raw_json VARCHAR NOT NULL,
    first_seen_at TIMESTAMPTZ NOT NULL,
    last_seen_at TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (stream, record_id)
);
