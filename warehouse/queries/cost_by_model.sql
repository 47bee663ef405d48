-- Estimated AI cost per model over all days (demo report; needs the analytics models).
SELECT
    coalesce(model, '(none)') AS model,
    sum(total_tokens) AS total_tokens,
    round(sum(cost_usd), 2) AS cost_usd
FROM analytics.token_usage_daily
GROUP BY ALL
ORDER BY cost_usd DESC NULLS LAST;
