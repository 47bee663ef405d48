-- description: Daily contact-centre figures per queue: offered, answered, abandoned (short abandons apart), average speed of answer, service level and longest wait.
-- grain: one row per (queue_date, queue_name) over sippet.call_queue_entries; queue_date is the UTC date of wait_started_at. NULLs: an entry with a hidden queue_name or wait_started_at is grouped under a NULL queue_name / queue_date, never dropped, so offered sums to the raw rows. An entry is answered when answered_at is known or state is answered/completed, abandoned when abandoned_at is known or state is abandoned (and it was not answered); a wait is known only when both its start and its end are; an answered or abandoned entry whose wait is unknown counts in answered/abandoned but in no wait figure. The service-level threshold is the build setting sippet_service_level_seconds (default 20; `SIPPET_SERVICE_LEVEL_SECONDS` or build_models(service_level_seconds=...)).
-- column queue_date: UTC calendar date the caller started waiting; NULL when wait_started_at is hidden.
-- column queue_name: Queue the caller waited in; NULL if hidden.
-- column offered: Queue entries (every state, a hidden one included).
-- column answered: Entries answered by an operator.
-- column abandoned: Entries abandoned after waiting at least 5 s, or for an unknown time (short abandons excluded).
-- column short_abandons: Entries abandoned after waiting less than 5 s (caller hung up at once; not counted in abandoned or any rate).
-- column waiting: Entries neither answered nor abandoned yet (still waiting, or their state is hidden).
-- column asa_seconds: Average speed of answer: mean of answered_at - wait_started_at in seconds over answered entries with a known wait; NULL if none.
-- column service_level_threshold_seconds: The threshold used for service_level (sippet_service_level_seconds).
-- column answered_within_threshold: Answered entries with a known wait of at most the threshold.
-- column service_level: answered_within_threshold / (answered + abandoned) (0..1): an answered entry with an unknown wait counts as not within; NULL when both are 0.
-- column abandonment_rate: abandoned / (answered + abandoned) (0..1); NULL when both are 0.
-- column longest_wait_seconds: Longest known wait (to answer or to abandonment, short abandons included) in seconds; entries still waiting are not counted; NULL if none.
CREATE OR REPLACE TABLE analytics.queue_daily AS
WITH entries AS (
    SELECT
        CAST(timezone('UTC', wait_started_at) AS DATE) AS queue_date,
        queue_name,
        answered_at IS NOT NULL OR coalesce(state IN ('answered', 'completed'), FALSE)
            AS is_answered,
        abandoned_at IS NOT NULL OR coalesce(state = 'abandoned', FALSE) AS is_abandoned,
        epoch(answered_at - wait_started_at) AS answer_wait,
        epoch(abandoned_at - wait_started_at) AS abandon_wait
    FROM sippet.call_queue_entries
),
classified AS (
    SELECT
        queue_date,
        queue_name,
        is_answered,
        is_abandoned AND NOT is_answered AND coalesce(abandon_wait >= 5, TRUE) AS is_abandoned,
        is_abandoned AND NOT is_answered AND coalesce(abandon_wait < 5, FALSE)
            AS is_short_abandon,
        CASE WHEN is_answered THEN answer_wait END AS answer_wait,
        CASE WHEN is_answered THEN answer_wait ELSE abandon_wait END AS wait
    FROM entries
),
threshold AS (
    SELECT coalesce(getvariable('sippet_service_level_seconds'), 20) AS seconds
)
SELECT
    c.queue_date,
    c.queue_name,
    count(*) AS offered,
    count(*) FILTER (WHERE c.is_answered) AS answered,
    count(*) FILTER (WHERE c.is_abandoned) AS abandoned,
    count(*) FILTER (WHERE c.is_short_abandon) AS short_abandons,
    count(*) FILTER (WHERE NOT c.is_answered AND NOT c.is_abandoned AND NOT c.is_short_abandon)
        AS waiting,
    avg(c.answer_wait) AS asa_seconds,
    any_value(t.seconds) AS service_level_threshold_seconds,
    count(*) FILTER (WHERE c.answer_wait <= t.seconds) AS answered_within_threshold,
    count(*) FILTER (WHERE c.answer_wait <= t.seconds)
        / nullif(count(*) FILTER (WHERE c.is_answered OR c.is_abandoned), 0) AS service_level,
    count(*) FILTER (WHERE c.is_abandoned)
        / nullif(count(*) FILTER (WHERE c.is_answered OR c.is_abandoned), 0) AS abandonment_rate,
    max(c.wait) AS longest_wait_seconds
FROM classified AS c
CROSS JOIN threshold AS t
GROUP BY c.queue_date, c.queue_name
ORDER BY c.queue_date, c.queue_name;
