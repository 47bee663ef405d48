-- description: Time each operator spent in each status per UTC day, from the observed status events. Precision: the API gives events no timestamp, so a status is taken to start when the sync first saw its event (_first_seen_at) and to last until the operator's next observed event; every boundary is late by up to one sync interval of the operator_status_events stream, and a status set and replaced between two syncs is never seen (or lasts 0 s). The latest status of each operator is counted up to the last sync of the stream (max _synced_at of sippet.operator_status_events), not to the present.
-- grain: one row per (status_date, sip_user_id, status) observed that day, a status seen and replaced within one sync interval included with 0 seconds; the intervals of analytics.operator_status_history are split at UTC midnight. NULLs: events with a hidden sip_user_id belong to no operator and are left out; a hidden status is its own NULL status (time known, status unknown), so the shares of a day still add up to 1.
-- column status_date: UTC calendar day of the time slice.
-- column sip_user_id: SIP user (operator).
-- column agent_name: Operator display name as of its latest observed event.
-- column status: available, on_break or logged_out; NULL when the event's status is hidden.
-- column seconds: Seconds the operator spent in the status that day (see the precision above).
-- column share_of_observed: seconds / all observed seconds of the operator that day (0..1); NULL when the day has 0 observed seconds.
CREATE OR REPLACE TABLE analytics.operator_status_durations AS
WITH observed_until AS (
    SELECT timezone('UTC', max(_synced_at)) AS until_at FROM sippet.operator_status_events
),
intervals AS (
    SELECT
        h.sip_user_id,
        h.status,
        timezone('UTC', h.first_seen_at) AS start_at,
        coalesce(timezone('UTC', h.next_first_seen_at), o.until_at) AS end_at
    FROM analytics.operator_status_history AS h
    CROSS JOIN observed_until AS o
    WHERE h.sip_user_id IS NOT NULL
),
slices AS (
    SELECT
        i.sip_user_id,
        i.status,
        CAST(d.day_start AS DATE) AS status_date,
        epoch(
            least(i.end_at, d.day_start + INTERVAL 1 DAY) - greatest(i.start_at, d.day_start)
        ) AS seconds
    FROM intervals AS i,
        LATERAL (
            SELECT unnest(generate_series(date_trunc('day', i.start_at), i.end_at, INTERVAL 1 DAY))
                AS day_start
        ) AS d
    -- An interval ending exactly at midnight has no slice on the next day.
    WHERE d.day_start < i.end_at OR i.start_at = i.end_at
),
names AS (
    SELECT sip_user_id, arg_max(agent_name, sequence_number) AS agent_name
    FROM analytics.operator_status_history
    WHERE sip_user_id IS NOT NULL
    GROUP BY sip_user_id
),
totals AS (
    SELECT status_date, sip_user_id, status, sum(seconds) AS seconds
    FROM slices
    GROUP BY status_date, sip_user_id, status
)
SELECT
    t.status_date,
    t.sip_user_id,
    n.agent_name,
    t.status,
    t.seconds,
    t.seconds / nullif(sum(t.seconds) OVER (PARTITION BY t.status_date, t.sip_user_id), 0)
        AS share_of_observed
FROM totals AS t
LEFT JOIN names AS n ON n.sip_user_id = t.sip_user_id
ORDER BY t.status_date, t.sip_user_id, t.status;
