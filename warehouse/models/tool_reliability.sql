-- description: Reliability of each tool the AI agents call: volume, failures, success rate and the most common error messages.
-- grain: one row per tool_name over all synced history; tool events without a tool name (NULL) are grouped under '(unknown)'. An audit event whose event_type is hidden (NULL) is not counted here: a tool_call cannot be told from a tool_result.
-- column tool_name: Tool invoked by the agent.
-- column tool_calls: Audit events of type tool_call for the tool.
-- column tool_results: Audit events of type tool_result for the tool.
-- column successes: tool_result events with success = TRUE.
-- column failures: tool_result events with success = FALSE.
-- column unknown_outcomes: tool_result events with success NULL (not counted in the rates).
-- column success_rate: successes / (successes + failures); NULL when no result has a known outcome.
-- column calls_with_failure: Distinct known calls with at least one failure of the tool (a failure with a NULL call_id counts in failures, not here).
-- column first_seen_at: Earliest tool_call or tool_result event of the tool with a known occurred_at; NULL if none is known.
-- column last_seen_at: Latest tool_call or tool_result event of the tool with a known occurred_at; NULL if none is known.
-- column top_errors: Up to 3 most frequent error messages among failures, as a list of {error, failures} ordered by failures descending then error ascending; failures without a message are not listed.
CREATE OR REPLACE TABLE analytics.tool_reliability AS
WITH tool_events AS (
    SELECT
        coalesce(tool_name, '(unknown)') AS tool_name,
        event_type,
        success,
        error,
        call_id,
        occurred_at
    FROM sippet.call_ai_audit_events
    WHERE event_type IN ('tool_call', 'tool_result')
),
error_counts AS (
    SELECT tool_name, error, count(*) AS failures
    FROM tool_events
    WHERE event_type = 'tool_result' AND success = FALSE AND error IS NOT NULL
    GROUP BY tool_name, error
    QUALIFY row_number() OVER (PARTITION BY tool_name ORDER BY failures DESC, error) <= 3
),
top_errors AS (
    SELECT
        tool_name,
        list({'error': error, 'failures': failures} ORDER BY failures DESC, error) AS top_errors
    FROM error_counts
    GROUP BY tool_name
),
tool_counts AS (
    SELECT
        tool_name,
        count(*) FILTER (WHERE event_type = 'tool_call') AS tool_calls,
        count(*) FILTER (WHERE event_type = 'tool_result') AS tool_results,
        count(*) FILTER (WHERE event_type = 'tool_result' AND success = TRUE) AS successes,
        count(*) FILTER (WHERE event_type = 'tool_result' AND success = FALSE) AS failures,
        count(*) FILTER (WHERE event_type = 'tool_result' AND success IS NULL)
            AS unknown_outcomes,
        count(DISTINCT call_id) FILTER (WHERE event_type = 'tool_result' AND success = FALSE)
            AS calls_with_failure,
        min(occurred_at) AS first_seen_at,
        max(occurred_at) AS last_seen_at
    FROM tool_events
    GROUP BY tool_name
)
SELECT
    c.tool_name,
    c.tool_calls,
    c.tool_results,
    c.successes,
    c.failures,
    c.unknown_outcomes,
    c.successes / nullif(c.successes + c.failures, 0) AS success_rate,
    c.calls_with_failure,
    c.first_seen_at,
    c.last_seen_at,
    coalesce(
        t.top_errors, CAST([] AS STRUCT(error VARCHAR, failures BIGINT)[])
    ) AS top_errors
FROM tool_counts AS c
LEFT JOIN top_errors AS t ON t.tool_name = c.tool_name
ORDER BY c.tool_name;
