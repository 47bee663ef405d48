-- description: Daily AI token usage and estimated cost per model and agent; token totals reconcile exactly with sippet.call_ai_audit_events.
-- grain: one row per (usage_date, model, agent_id); any of the three may be NULL when the API hid it, and such events form their own NULL group rather than being dropped, so token totals always equal the raw table's. The NULL usage_date rows (hidden occurred_at) are never priced.
-- column usage_date: UTC calendar date of the events; NULL for events whose occurred_at is hidden.
-- column model: Model that produced the events; NULL if hidden.
-- column agent_id: AI agent that produced the events; NULL if hidden.
-- column events: Token-bearing audit events (normally event_type = 'response').
-- column calls: Distinct known calls with such events (a NULL call_id is not counted as a call; its events still count in events and tokens).
-- column input_tokens: Input tokens (text + audio + image).
-- column input_text_tokens: Input text tokens (cached included).
-- column input_audio_tokens: Input audio tokens (cached included).
-- column input_image_tokens: Input image tokens (cached included).
-- column input_cached_tokens: Input tokens served from cache (all modalities).
-- column input_cached_text_tokens: Cached input text tokens.
-- column input_cached_audio_tokens: Cached input audio tokens.
-- column input_cached_image_tokens: Cached input image tokens.
-- column output_tokens: Output tokens (text + audio + image).
-- column output_text_tokens: Output text tokens.
-- column output_audio_tokens: Output audio tokens.
-- column output_image_tokens: Output image tokens.
-- column total_tokens: Total tokens as reported by the events.
-- column cache_hit_ratio: input_cached_tokens / input_tokens (0..1); NULL when there were no input tokens.
-- column price_valid_from: valid_from of the analytics.model_prices row used for this day and model; NULL when unpriced.
-- column is_priced: TRUE when every event of the row is priced; FALSE flags an unknown or NULL model, a date before the model's first valid_from, a NULL usage_date, or an event with a hidden input_tokens/output_tokens.
-- column cost_usd: Estimated cost in USD (exact decimal, sum of analytics.ai_response_costs.cost_usd); NULL when is_priced is FALSE (a partial sum is never shown as the cost).
-- column unpriced_events: Events of the row without a cost (see is_priced); 0 when is_priced.
CREATE OR REPLACE TABLE analytics.token_usage_daily AS
SELECT
    usage_date,
    model,
    agent_id,
    count(*) AS events,
    count(DISTINCT call_id) AS calls,
    CAST(sum(input_tokens) AS BIGINT) AS input_tokens,
    CAST(sum(input_text_tokens) AS BIGINT) AS input_text_tokens,
    CAST(sum(input_audio_tokens) AS BIGINT) AS input_audio_tokens,
    CAST(sum(input_image_tokens) AS BIGINT) AS input_image_tokens,
    CAST(sum(input_cached_tokens) AS BIGINT) AS input_cached_tokens,
    CAST(sum(input_cached_text_tokens) AS BIGINT) AS input_cached_text_tokens,
    CAST(sum(input_cached_audio_tokens) AS BIGINT) AS input_cached_audio_tokens,
    CAST(sum(input_cached_image_tokens) AS BIGINT) AS input_cached_image_tokens,
    CAST(sum(output_tokens) AS BIGINT) AS output_tokens,
    CAST(sum(output_text_tokens) AS BIGINT) AS output_text_tokens,
    CAST(sum(output_audio_tokens) AS BIGINT) AS output_audio_tokens,
    CAST(sum(output_image_tokens) AS BIGINT) AS output_image_tokens,
    CAST(sum(total_tokens) AS BIGINT) AS total_tokens,
    sum(input_cached_tokens) / nullif(sum(input_tokens), 0) AS cache_hit_ratio,
    max(price_valid_from) AS price_valid_from,
    bool_and(is_priced) AS is_priced,
    CASE WHEN bool_and(is_priced) THEN sum(cost_usd) END AS cost_usd,
    count(*) FILTER (WHERE NOT is_priced) AS unpriced_events
FROM analytics.ai_response_costs
GROUP BY usage_date, model, agent_id
ORDER BY usage_date, model, agent_id;
