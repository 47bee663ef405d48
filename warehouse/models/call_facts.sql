-- description: One row per call with its outcome, transcript volume, AI activity, tokens and estimated AI cost.
-- grain: one row per call in sippet.calls; key call_id. Transcript lines and audit events of calls not (yet) in sippet.calls, or whose call_id is hidden (NULL), are not counted. A call is never dropped for a NULL field: a hidden started_at gives a NULL call_date, a hidden status an unknown outcome (is_final FALSE).
-- column call_id: Call id (sippet.calls.id).
-- column direction: inbound or outbound; NULL if hidden.
-- column status: Latest synced status: initiated, ringing, answered (in progress) or completed, failed, busy, no_answer (final); NULL if hidden (unknown outcome, not final, as the sync treats it).
-- column is_final: TRUE when status is final (completed, failed, busy, no_answer); FALSE otherwise, including a NULL status.
-- column call_date: UTC calendar date of started_at; NULL when started_at is hidden.
-- column started_at: When the call started (UTC); NULL if hidden.
-- column ended_at: When the call ended; NULL while in progress or if hidden.
-- column duration_seconds: Call length in seconds as reported by Sippet; NULL while in progress or if hidden.
-- column from_number: Caller number (E.164).
-- column to_number: Called number (E.164).
-- column sip_username: SIP user that handled the call, if any.
-- column call_source: Where the call came from (sip, pstn, api, ...).
-- column transcript_lines: Transcript lines of the call (all speakers, a hidden speaker or content included), so caller_lines + agent_lines can be less.
-- column caller_lines: Transcript lines spoken by the caller (speaker = 'caller'; a NULL speaker is neither caller nor agent).
-- column agent_lines: Transcript lines spoken by the agent.
-- column caller_words: Words spoken by the caller; a word is a maximal run of non-whitespace characters (regex \S+); a hidden content counts 0 words.
-- column agent_words: Words spoken by the agent (same definition).
-- column ai_events: AI audit events of the call (all event types, a NULL event_type included, so the per-type counts can add up to less).
-- column response_events: Audit events of type response.
-- column tool_calls: Audit events of type tool_call.
-- column tool_results: Audit events of type tool_result.
-- column tool_failures: tool_result events with success = FALSE (a NULL success is an unknown outcome, not a failure).
-- column state_steps: Audit events of type state_step.
-- column input_tokens: Input tokens of the call's token-bearing events (analytics.ai_response_costs, so a response with a NULL event_type still counts; NULL counts as 0).
-- column output_tokens: Output tokens of the call.
-- column total_tokens: Total tokens of the call.
-- column input_cached_tokens: Cached input tokens of the call.
-- column cost_usd: Estimated AI cost in USD (exact decimal) of the priced events; 0 for calls without AI usage. A lower bound when unpriced_events > 0.
-- column unpriced_events: Token-bearing events of the call without a cost (unknown or NULL model, NULL occurred_at, hidden input/output token total); non-zero flags cost_usd as incomplete.
-- column models_used: Distinct models seen in the call's audit events, sorted; empty list when none.
CREATE OR REPLACE TABLE analytics.call_facts AS
WITH transcript_counts AS (
    SELECT
        call_id,
        count(*) AS transcript_lines,
        count(*) FILTER (WHERE speaker = 'caller') AS caller_lines,
        count(*) FILTER (WHERE speaker = 'agent') AS agent_lines,
        sum(len(regexp_extract_all(coalesce(content, ''), '\S+')))
            FILTER (WHERE speaker = 'caller') AS caller_words,
        sum(len(regexp_extract_all(coalesce(content, ''), '\S+')))
            FILTER (WHERE speaker = 'agent') AS agent_words
    FROM sippet.call_transcripts
    GROUP BY call_id
),
event_counts AS (
    SELECT
        call_id,
        count(*) AS ai_events,
        count(*) FILTER (WHERE event_type = 'response') AS response_events,
        count(*) FILTER (WHERE event_type = 'tool_call') AS tool_calls,
        count(*) FILTER (WHERE event_type = 'tool_result') AS tool_results,
        count(*) FILTER (WHERE event_type = 'tool_result' AND success = FALSE) AS tool_failures,
        count(*) FILTER (WHERE event_type = 'state_step') AS state_steps,
        list_sort(list(DISTINCT model) FILTER (WHERE model IS NOT NULL)) AS models_used
    FROM sippet.call_ai_audit_events
    GROUP BY call_id
),
call_costs AS (
    SELECT
        call_id,
        CAST(sum(input_tokens) AS BIGINT) AS input_tokens,
        CAST(sum(output_tokens) AS BIGINT) AS output_tokens,
        CAST(sum(total_tokens) AS BIGINT) AS total_tokens,
        CAST(sum(input_cached_tokens) AS BIGINT) AS input_cached_tokens,
        sum(cost_usd) AS cost_usd,
        count(*) FILTER (WHERE NOT is_priced) AS unpriced_events
    FROM analytics.ai_response_costs
    GROUP BY call_id
)
SELECT
    c.id AS call_id,
    c.direction,
    c.status,
    coalesce(c.status IN ('completed', 'failed', 'busy', 'no_answer'), FALSE) AS is_final,
    CAST(timezone('UTC', c.started_at) AS DATE) AS call_date,
    c.started_at,
    c.ended_at,
    c.duration_seconds,
    c.from_number,
    c.to_number,
    c.sip_username,
    c.call_source,
    coalesce(t.transcript_lines, 0) AS transcript_lines,
    coalesce(t.caller_lines, 0) AS caller_lines,
    coalesce(t.agent_lines, 0) AS agent_lines,
    CAST(coalesce(t.caller_words, 0) AS BIGINT) AS caller_words,
    CAST(coalesce(t.agent_words, 0) AS BIGINT) AS agent_words,
    coalesce(e.ai_events, 0) AS ai_events,
    coalesce(e.response_events, 0) AS response_events,
    coalesce(e.tool_calls, 0) AS tool_calls,
    coalesce(e.tool_results, 0) AS tool_results,
    coalesce(e.tool_failures, 0) AS tool_failures,
    coalesce(e.state_steps, 0) AS state_steps,
    coalesce(k.input_tokens, 0) AS input_tokens,
    coalesce(k.output_tokens, 0) AS output_tokens,
    coalesce(k.total_tokens, 0) AS total_tokens,
    coalesce(k.input_cached_tokens, 0) AS input_cached_tokens,
    coalesce(k.cost_usd, CAST(0 AS DECIMAL(38,12))) AS cost_usd,
    coalesce(k.unpriced_events, 0) AS unpriced_events,
    coalesce(e.models_used, CAST([] AS VARCHAR[])) AS models_used
FROM sippet.calls AS c
LEFT JOIN transcript_counts AS t ON t.call_id = c.id
LEFT JOIN event_counts AS e ON e.call_id = c.id
LEFT JOIN call_costs AS k ON k.call_id = c.id
ORDER BY c.started_at, c.id;
