-- description: Daily AI cost of each AI agent, by name: responses, tokens by modality, estimated cost, cost per call and per call-minute.
-- grain: one row per (usage_date, agent_id) over analytics.ai_response_costs; a renamed agent stays one row per day (keyed on its id, shown with its current name from analytics.agent_current). NULLs: events with a hidden agent_id form the NULL agent_id row, those with a hidden occurred_at the NULL usage_date row, never dropped, so token totals equal the raw table's; an agent id missing from sippet.ai_agents (unknown or deleted) keeps its row with a NULL agent_name.
-- column usage_date: UTC calendar date of the events; NULL for events whose occurred_at is hidden.
-- column agent_id: AI agent id; NULL for events whose agent_id is hidden.
-- column agent_name: Current name of the agent (analytics.agent_current); NULL when the id is unknown to the snapshot or the name is hidden.
-- column responses: Token-bearing audit events (normally event_type = 'response').
-- column calls: Distinct known calls with such events that day (a hidden call_id is not a call; a call whose events span midnight counts on both days).
-- column input_text_tokens: Input text tokens (cached included; NULL counted as 0).
-- column input_audio_tokens: Input audio tokens (cached included).
-- column input_image_tokens: Input image tokens (cached included).
-- column input_cached_tokens: Input tokens served from cache (all modalities).
-- column output_text_tokens: Output text tokens.
-- column output_audio_tokens: Output audio tokens.
-- column output_image_tokens: Output image tokens.
-- column total_tokens: Total tokens as reported.
-- column cost_usd: Estimated cost in USD (exact decimal) of the priced events; a lower bound when unpriced_events > 0; 0 when none is priced.
-- column unpriced_events: Events without a cost (unknown or NULL model, NULL date, hidden token total).
-- column cost_per_call_usd: cost_usd / calls; NULL when calls is 0.
-- column call_minutes: Minutes of the counted calls whose duration is known (sippet.calls.duration_seconds / 60; calls in progress, hidden or not yet synced are left out).
-- column cost_per_call_minute_usd: Cost of the events of calls with a known duration / call_minutes, so calls without a duration weigh on neither side; NULL when call_minutes is 0.
CREATE OR REPLACE TABLE analytics.agent_costs_daily AS
WITH per_call AS (
    SELECT
        r.usage_date,
        r.agent_id,
        r.call_id,
        count(*) AS responses,
        sum(r.input_text_tokens) AS input_text_tokens,
        sum(r.input_audio_tokens) AS input_audio_tokens,
        sum(r.input_image_tokens) AS input_image_tokens,
        sum(r.input_cached_tokens) AS input_cached_tokens,
        sum(r.output_text_tokens) AS output_text_tokens,
        sum(r.output_audio_tokens) AS output_audio_tokens,
        sum(r.output_image_tokens) AS output_image_tokens,
        sum(r.total_tokens) AS total_tokens,
        coalesce(sum(r.cost_usd), 0) AS cost_usd,
        count(*) FILTER (WHERE NOT r.is_priced) AS unpriced_events,
        -- One call per group, so any() is its duration (NULL for a hidden call_id).
        any_value(c.duration_seconds) AS duration_seconds
    FROM analytics.ai_response_costs AS r
    LEFT JOIN sippet.calls AS c ON c.id = r.call_id
    GROUP BY r.usage_date, r.agent_id, r.call_id
),
daily AS (
    SELECT
        usage_date,
        agent_id,
        CAST(sum(responses) AS BIGINT) AS responses,
        count(call_id) AS calls,
        CAST(sum(input_text_tokens) AS BIGINT) AS input_text_tokens,
        CAST(sum(input_audio_tokens) AS BIGINT) AS input_audio_tokens,
        CAST(sum(input_image_tokens) AS BIGINT) AS input_image_tokens,
        CAST(sum(input_cached_tokens) AS BIGINT) AS input_cached_tokens,
        CAST(sum(output_text_tokens) AS BIGINT) AS output_text_tokens,
        CAST(sum(output_audio_tokens) AS BIGINT) AS output_audio_tokens,
        CAST(sum(output_image_tokens) AS BIGINT) AS output_image_tokens,
        CAST(sum(total_tokens) AS BIGINT) AS total_tokens,
        CAST(sum(cost_usd) AS DECIMAL(38,12)) AS cost_usd,
        CAST(sum(unpriced_events) AS BIGINT) AS unpriced_events,
        coalesce(sum(duration_seconds) FILTER (WHERE call_id IS NOT NULL), 0) / 60.0
            AS call_minutes,
        sum(cost_usd) FILTER (WHERE call_id IS NOT NULL AND duration_seconds IS NOT NULL)
            AS timed_cost_usd
    FROM per_call
    GROUP BY usage_date, agent_id
)
SELECT
    d.usage_date,
    d.agent_id,
    a.agent_name,
    d.responses,
    d.calls,
    d.input_text_tokens,
    d.input_audio_tokens,
    d.input_image_tokens,
    d.input_cached_tokens,
    d.output_text_tokens,
    d.output_audio_tokens,
    d.output_image_tokens,
    d.total_tokens,
    d.cost_usd,
    d.unpriced_events,
    CAST(d.cost_usd AS DOUBLE) / nullif(d.calls, 0) AS cost_per_call_usd,
    CAST(d.call_minutes AS DOUBLE) AS call_minutes,
    CAST(d.timed_cost_usd AS DOUBLE) / nullif(d.call_minutes, 0) AS cost_per_call_minute_usd
FROM daily AS d
LEFT JOIN analytics.agent_current AS a ON a.agent_id = d.agent_id
ORDER BY d.usage_date, d.agent_id;
