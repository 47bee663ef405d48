-- Estimated AI cost per AI agent, by name, over all days (demo report; needs the analytics
-- models). An id the agent snapshot does not know (or a hidden name) shows as its id.
SELECT
    coalesce(agent_name, agent_id, '(hidden)') AS agent,
    sum(responses) AS responses,
    sum(total_tokens) AS total_tokens,
    round(sum(cost_usd), 2) AS cost_usd,
    round(sum(cost_usd) / nullif(sum(calls), 0), 4) AS cost_per_call_usd
FROM analytics.agent_costs_daily
GROUP BY ALL
ORDER BY cost_usd DESC NULLS LAST, agent;
