-- description: Token usage and estimated cost (USD) of every AI audit event that carries token counts, priced as of the event's UTC date.
-- grain: one row per token-bearing audit event (event_type = 'response', or any event with any token count, so a NULL event_type never hides tokens); key event_id. NULLs: no event is dropped for a NULL field, so token totals equal the raw table's; a NULL token count is counted as 0.
-- column event_id: Audit event id (sippet.call_ai_audit_events.id).
-- column call_id: Call the event belongs to (sippet.calls.id); NULL if hidden (the event still counts in the totals).
-- column agent_id: AI agent that produced the event; NULL if hidden.
-- column model: Model that produced the event; NULL if the API did not say.
-- column event_type: Audit event type (normally 'response'; NULL if hidden).
-- column occurred_at: When the event happened (UTC); NULL if hidden.
-- column usage_date: UTC calendar date of occurred_at; the date the price is looked up for. NULL when occurred_at is hidden: the event is kept but left unpriced (a price is never guessed without a date).
-- column input_tokens: Input tokens (text + audio + image), NULL counted as 0.
-- column input_text_tokens: Input text tokens (cached included).
-- column input_audio_tokens: Input audio tokens (cached included).
-- column input_image_tokens: Input image tokens (cached included).
-- column input_cached_tokens: Input tokens served from cache (all modalities); a subset of input_tokens.
-- column input_cached_text_tokens: Cached input text tokens.
-- column input_cached_audio_tokens: Cached input audio tokens.
-- column input_cached_image_tokens: Cached input image tokens.
-- column output_tokens: Output tokens (text + audio + image).
-- column output_text_tokens: Output text tokens.
-- column output_audio_tokens: Output audio tokens.
-- column output_image_tokens: Output image tokens.
-- column total_tokens: Total tokens as reported (input_tokens + output_tokens).
-- column price_valid_from: valid_from of the analytics.model_prices row applied (latest valid_from <= usage_date); NULL if the model has no price for that date, or model or usage_date is NULL (set even when a hidden token total leaves the event unpriced).
-- column is_priced: TRUE when cost_usd is known: a price was found for (model, usage_date) and both input_tokens and output_tokens were reported. FALSE for an unknown model, a NULL model or usage_date, or a hidden (NULL) input_tokens or output_tokens.
-- column cost_usd: Estimated cost in USD (exact decimal): uncached text+image input x input price + uncached audio input x audio input price + cached input x cached price + text+image output x output price + audio output x audio output price, per million tokens. NULL when unpriced.
--
-- The uncached text+image input is derived from the totals (input_tokens - uncached audio - cached)
-- so models that only report input/output totals (no splits) are still priced correctly. A hidden
-- (NULL) split counts as 0, so its tokens fall to the base rate of their total (uncached audio is
-- floored at 0 so a hidden input_audio_tokens next to a known cached audio count is never negative);
-- a hidden total cannot be priced at all, so the event is unpriced rather than under-priced.
CREATE OR REPLACE TABLE analytics.ai_response_costs AS
WITH token_events AS (
    SELECT
        id AS event_id,
        call_id,
        agent_id,
        model,
        event_type,
        occurred_at,
        CAST(timezone('UTC', occurred_at) AS DATE) AS usage_date,
        coalesce(input_tokens, 0) AS input_tokens,
        coalesce(input_text_tokens, 0) AS input_text_tokens,
        coalesce(input_audio_tokens, 0) AS input_audio_tokens,
        coalesce(input_image_tokens, 0) AS input_image_tokens,
        coalesce(input_cached_tokens, 0) AS input_cached_tokens,
        coalesce(input_cached_text_tokens, 0) AS input_cached_text_tokens,
        coalesce(input_cached_audio_tokens, 0) AS input_cached_audio_tokens,
        coalesce(input_cached_image_tokens, 0) AS input_cached_image_tokens,
        coalesce(output_tokens, 0) AS output_tokens,
        coalesce(output_text_tokens, 0) AS output_text_tokens,
        coalesce(output_audio_tokens, 0) AS output_audio_tokens,
        coalesce(output_image_tokens, 0) AS output_image_tokens,
        coalesce(total_tokens, 0) AS total_tokens,
        input_tokens IS NOT NULL AND output_tokens IS NOT NULL AS totals_known
    FROM sippet.call_ai_audit_events
    -- A NULL event_type must not hide a token-bearing event: any token count makes it one.
    WHERE event_type = 'response'
        OR coalesce(
            input_tokens, input_text_tokens, input_audio_tokens, input_image_tokens,
            input_cached_tokens, input_cached_text_tokens, input_cached_audio_tokens,
            input_cached_image_tokens, output_tokens, output_text_tokens, output_audio_tokens,
            output_image_tokens, total_tokens
        ) IS NOT NULL
),
split AS (
    SELECT
        *,
        greatest(input_audio_tokens - input_cached_audio_tokens, 0) AS uncached_audio_input
    FROM token_events
),
priced AS (
    SELECT
        e.*,
        p.valid_from AS price_valid_from,
        CAST(
            (
                (e.input_tokens - e.uncached_audio_input - e.input_cached_tokens)
                    * p.input_per_mtok
                + e.uncached_audio_input * coalesce(p.audio_input_per_mtok, p.input_per_mtok)
                + e.input_cached_tokens * coalesce(p.cached_input_per_mtok, p.input_per_mtok)
                + (e.output_tokens - e.output_audio_tokens) * p.output_per_mtok
                + e.output_audio_tokens * coalesce(p.audio_output_per_mtok, p.output_per_mtok)
            ) * CAST(0.000001 AS DECIMAL(7,6))
            AS DECIMAL(38,12)
        ) AS cost_usd
    FROM split AS e
    -- NULL model or usage_date matches no price row: the event stays, unpriced.
    ASOF LEFT JOIN analytics.model_prices AS p
        ON e.model = p.model AND e.usage_date >= p.valid_from
)
SELECT
    event_id,
    call_id,
    agent_id,
    model,
    event_type,
    occurred_at,
    usage_date,
    input_tokens,
    input_text_tokens,
    input_audio_tokens,
    input_image_tokens,
    input_cached_tokens,
    input_cached_text_tokens,
    input_cached_audio_tokens,
    input_cached_image_tokens,
    output_tokens,
    output_text_tokens,
    output_audio_tokens,
    output_image_tokens,
    total_tokens,
    price_valid_from,
    totals_known AND cost_usd IS NOT NULL AS is_priced,
    CASE WHEN totals_known THEN cost_usd END AS cost_usd
FROM priced;
