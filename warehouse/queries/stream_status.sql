-- Per stream: cursor, last run, rows held, records in quarantine (sippet-sync status).
WITH streams AS (
    SELECT unnest(?::VARCHAR[]) AS stream
), last_run AS (
    SELECT *
    FROM sippet._sync_runs
    QUALIFY row_number() OVER (PARTITION BY stream ORDER BY started_at DESC) = 1
), quarantined AS (
    SELECT stream, count(*) AS records FROM sippet._quarantine GROUP BY stream
)
SELECT
    s.stream,
    st.cursor_value AS cursor,
    r.started_at AS last_run_started_at,
    r.status AS last_run_status,
    r.rows_inserted AS last_run_inserted,
    r.rows_updated AS last_run_updated,
    coalesce(q.records, 0) AS quarantined,
    r.error AS last_error
FROM streams s
LEFT JOIN sippet._sync_state st USING (stream)
LEFT JOIN last_run r USING (stream)
LEFT JOIN quarantined q USING (stream)
ORDER BY s.stream;
