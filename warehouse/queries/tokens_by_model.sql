-- Tokens and events per model straight from the raw audit events (demo report).
SELECT
    coalesce(model, '(none)') AS model,
    count(*) AS events,
    sum(input_tokens) AS input_tokens,
    sum(output_tokens) AS output_tokens,
    sum(total_tokens) AS total_tokens
FROM sippet.call_ai_audit_events
WHERE total_tokens IS NOT NULL
GROUP BY ALL
ORDER BY total_tokens DESC;
