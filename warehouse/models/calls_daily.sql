-- description: Daily call volume, outcome rates, duration percentiles and AI cost per call, by direction.
-- grain: one row per (call_date, direction); days without calls have no row. Calls with a hidden started_at or direction are grouped under a NULL call_date / direction, never dropped, so calls sums to the rows of sippet.calls. Rates divide by the day's calls with a known status, including calls still in progress; a call with a NULL status is in no rate's numerator or denominator.
-- column call_date: UTC calendar date the calls started; NULL for calls whose started_at is hidden.
-- column direction: inbound or outbound; NULL for calls whose direction is hidden.
-- column calls: Calls started that day (every status, NULL included).
-- column unknown_status_calls: Calls whose status is hidden (NULL): not final, outcome unknown; left out of the rates.
-- column in_progress_calls: Calls with a known status that is not final yet (initiated, ringing, answered); a NULL status is counted in unknown_status_calls instead.
-- column answered_calls: Calls that were answered: status answered (in progress) or completed.
-- column completed_calls: Calls with status completed.
-- column failed_calls: Calls with status failed.
-- column busy_calls: Calls with status busy.
-- column no_answer_calls: Calls with status no_answer.
-- column answer_rate: answered_calls / (calls - unknown_status_calls); NULL when no call of the row has a known status.
-- column failure_rate: failed_calls / (calls - unknown_status_calls); NULL when none is known.
-- column no_answer_rate: no_answer_calls / (calls - unknown_status_calls); NULL when none is known.
-- column busy_rate: busy_calls / (calls - unknown_status_calls); NULL when none is known.
-- column duration_p50_seconds: Median duration: quantile_cont(duration_seconds, 0.5) (linear interpolation) over completed calls with a duration (a hidden duration is left out); NULL if none.
-- column duration_p90_seconds: 90th percentile duration: quantile_cont(duration_seconds, 0.9) over completed calls with a duration; NULL if none.
-- column total_tokens: AI tokens of the day's calls.
-- column ai_cost_usd: Estimated AI cost in USD of the day's calls (priced events only).
-- column ai_cost_per_call_usd: ai_cost_usd / calls (all calls of the day, with or without AI usage, any status).
-- column unpriced_events: Token-bearing events without a price; non-zero flags ai_cost_usd as a lower bound.
CREATE OR REPLACE TABLE analytics.calls_daily AS
SELECT
    call_date,
    direction,
    count(*) AS calls,
    count(*) FILTER (WHERE status IS NULL) AS unknown_status_calls,
    count(*) FILTER (WHERE NOT is_final AND status IS NOT NULL) AS in_progress_calls,
    count(*) FILTER (WHERE status IN ('answered', 'completed')) AS answered_calls,
    count(*) FILTER (WHERE status = 'completed') AS completed_calls,
    count(*) FILTER (WHERE status = 'failed') AS failed_calls,
    count(*) FILTER (WHERE status = 'busy') AS busy_calls,
    count(*) FILTER (WHERE status = 'no_answer') AS no_answer_calls,
    -- A hidden status could be any outcome: it is left out of the denominators too.
    answered_calls / nullif(calls - unknown_status_calls, 0) AS answer_rate,
    failed_calls / nullif(calls - unknown_status_calls, 0) AS failure_rate,
    no_answer_calls / nullif(calls - unknown_status_calls, 0) AS no_answer_rate,
    busy_calls / nullif(calls - unknown_status_calls, 0) AS busy_rate,
    quantile_cont(duration_seconds, 0.5) FILTER (WHERE status = 'completed')
        AS duration_p50_seconds,
    quantile_cont(duration_seconds, 0.9) FILTER (WHERE status = 'completed')
        AS duration_p90_seconds,
    CAST(sum(total_tokens) AS BIGINT) AS total_tokens,
    sum(cost_usd) AS ai_cost_usd,
    CAST(sum(cost_usd) AS DOUBLE) / count(*) AS ai_cost_per_call_usd,
    CAST(sum(unpriced_events) AS BIGINT) AS unpriced_events
FROM analytics.call_facts
GROUP BY call_date, direction
ORDER BY call_date, direction;
