-- description: Daily call volume, outcome rates, duration percentiles and AI cost per call, by direction.
-- grain: one row per (call_date, direction); days without calls have no row. Rates divide by all calls started that day, including calls still in progress.
-- column call_date: UTC calendar date the calls started.
-- column direction: inbound or outbound.
-- column calls: Calls started that day.
-- column in_progress_calls: Calls whose status is not final yet (initiated, ringing, answered).
-- column answered_calls: Calls that were answered: status answered (in progress) or completed.
-- column completed_calls: Calls with status completed.
-- column failed_calls: Calls with status failed.
-- column busy_calls: Calls with status busy.
-- column no_answer_calls: Calls with status no_answer.
-- column answer_rate: answered_calls / calls.
-- column failure_rate: failed_calls / calls.
-- column no_answer_rate: no_answer_calls / calls.
-- column busy_rate: busy_calls / calls.
-- column duration_p50_seconds: Median duration: quantile_cont(duration_seconds, 0.5) (linear interpolation) over completed calls with a duration; NULL if none.
-- column duration_p90_seconds: 90th percentile duration: quantile_cont(duration_seconds, 0.9) over completed calls with a duration; NULL if none.
-- column total_tokens: AI tokens of the day's calls.
-- column ai_cost_usd: Estimated AI cost in USD of the day's calls (priced events only).
-- column ai_cost_per_call_usd: ai_cost_usd / calls (all calls of the day, with or without AI usage).
-- column unpriced_events: Token-bearing events without a price; non-zero flags ai_cost_usd as a lower bound.
CREATE OR REPLACE TABLE analytics.calls_daily AS
SELECT
    call_date,
    direction,
    count(*) AS calls,
    count(*) FILTER (WHERE NOT is_final) AS in_progress_calls,
    count(*) FILTER (WHERE status IN ('answered', 'completed')) AS answered_calls,
    count(*) FILTER (WHERE status = 'completed') AS completed_calls,
    count(*) FILTER (WHERE status = 'failed') AS failed_calls,
    count(*) FILTER (WHERE status = 'busy') AS busy_calls,
    count(*) FILTER (WHERE status = 'no_answer') AS no_answer_calls,
    answered_calls / calls AS answer_rate,
    failed_calls / calls AS failure_rate,
    no_answer_calls / calls AS no_answer_rate,
    busy_calls / calls AS busy_rate,
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
