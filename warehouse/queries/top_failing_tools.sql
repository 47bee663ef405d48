-- Tools with the most failed calls (demo report).
SELECT
    tool_name,
    count(*) FILTER (WHERE success = false) AS failures,
    count(*) AS results,
    round(100.0 * count(*) FILTER (WHERE success = false) / count(*), 1) AS failure_pct
FROM sippet.call_ai_audit_events
WHERE tool_name IS NOT NULL AND success IS NOT NULL
GROUP BY tool_name
ORDER BY failures DESC, tool_name
LIMIT 5;
