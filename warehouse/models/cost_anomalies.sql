-- description: Daily AI cost of each agent and each model scored against its own trailing 14-day baseline with a robust z-score (median and MAD), flagging days that depart strongly in either direction (a spike, or a steady agent falling silent).
-- grain: one row per (dimension, dimension_key, day) from the first day the agent or model has a priced cost up to the latest usage_date of any event; days without cost count as 0 so a silent day is part of the baseline. NULLs: events with a hidden agent_id, model or occurred_at are not scored (no one's baseline), and unpriced events add nothing to cost_usd.
-- column dimension: 'agent' or 'model'.
-- column dimension_key: The agent_id or the model name.
-- column dimension_name: The agent's current name (analytics.agent_current; NULL when unknown) or the model name.
-- column day: UTC calendar date.
-- column cost_usd: Estimated cost of the day's priced events (0 on a day without any).
-- column baseline_days: Days in the trailing baseline (the up to 14 days before day, since the first day of the key).
-- column baseline_median_usd: Median daily cost over the baseline; NULL without baseline days.
-- column baseline_mad_usd: Median absolute deviation of the baseline from its median.
-- column robust_score: 0.6745 x (cost_usd - median) / MAD (Iglewicz-Hoaglin modified z-score); when MAD is 0, (cost_usd - median) / (1.253314 x mean absolute deviation); NULL when both are 0 or baseline_days < 7.
-- column is_anomaly: TRUE when baseline_days >= 7 and |robust_score| > 3.5, or when the baseline is perfectly flat (both deviations 0) and cost_usd differs from it.
CREATE OR REPLACE TABLE analytics.cost_anomalies AS
WITH costs AS (
    SELECT 'agent' AS dimension, agent_id AS dimension_key, usage_date AS day, cost_usd
    FROM analytics.ai_response_costs
    WHERE agent_id IS NOT NULL AND usage_date IS NOT NULL
    UNION ALL
    SELECT 'model', model, usage_date, cost_usd
    FROM analytics.ai_response_costs
    WHERE model IS NOT NULL AND usage_date IS NOT NULL
),
daily AS (
    SELECT dimension, dimension_key, day, sum(cost_usd) AS cost_usd
    FROM costs
    GROUP BY ALL
),
keys AS (
    SELECT dimension, dimension_key, min(day) FILTER (WHERE cost_usd IS NOT NULL) AS first_day
    FROM daily
    GROUP BY ALL
    HAVING first_day IS NOT NULL
),
calendar AS (
    SELECT k.dimension, k.dimension_key, CAST(g.d AS DATE) AS day
    FROM keys AS k,
        LATERAL (
            SELECT unnest(generate_series(
                CAST(k.first_day AS TIMESTAMP),
                (SELECT CAST(max(usage_date) AS TIMESTAMP) FROM analytics.ai_response_costs),
                INTERVAL 1 DAY
            )) AS d
        ) AS g
),
dense AS (
    SELECT c.dimension, c.dimension_key, c.day, coalesce(d.cost_usd, 0) AS cost_usd
    FROM calendar AS c
    LEFT JOIN daily AS d USING (dimension, dimension_key, day)
),
baseline AS (
    SELECT t.dimension, t.dimension_key, t.day, b.cost_usd AS past_cost
    FROM dense AS t
    JOIN dense AS b
        ON b.dimension = t.dimension AND b.dimension_key = t.dimension_key
        AND b.day BETWEEN t.day - 14 AND t.day - 1
),
medians AS (
    SELECT dimension, dimension_key, day, count(*) AS baseline_days, median(past_cost) AS med
    FROM baseline
    GROUP BY ALL
),
deviations AS (
    SELECT
        m.dimension, m.dimension_key, m.day, m.baseline_days, m.med,
        median(abs(b.past_cost - m.med)) AS mad,
        avg(abs(b.past_cost - m.med)) AS mean_ad
    FROM medians AS m
    JOIN baseline AS b USING (dimension, dimension_key, day)
    GROUP BY ALL
),
scored AS (
    SELECT
        t.dimension, t.dimension_key, t.day, t.cost_usd,
        coalesce(v.baseline_days, 0) AS baseline_days,
        v.med, v.mad,
        CASE
            WHEN v.baseline_days IS NULL OR v.baseline_days < 7 THEN NULL
            WHEN v.mad > 0 THEN 0.6745 * CAST(t.cost_usd - v.med AS DOUBLE) / CAST(v.mad AS DOUBLE)
            WHEN v.mean_ad > 0
                THEN CAST(t.cost_usd - v.med AS DOUBLE) / (1.253314 * CAST(v.mean_ad AS DOUBLE))
        END AS robust_score,
        coalesce(v.baseline_days >= 7 AND v.mean_ad = 0 AND t.cost_usd <> v.med, FALSE) AS flat_break
    FROM dense AS t
    LEFT JOIN deviations AS v USING (dimension, dimension_key, day)
)
SELECT
    s.dimension,
    s.dimension_key,
    CASE WHEN s.dimension = 'agent' THEN a.agent_name ELSE s.dimension_key END AS dimension_name,
    s.day,
    CAST(s.cost_usd AS DECIMAL(38,12)) AS cost_usd,
    s.baseline_days,
    CAST(s.med AS DECIMAL(38,12)) AS baseline_median_usd,
    CAST(s.mad AS DECIMAL(38,12)) AS baseline_mad_usd,
    s.robust_score,
    coalesce(abs(s.robust_score) > 3.5, FALSE) OR s.flat_break AS is_anomaly
FROM scored AS s
LEFT JOIN analytics.agent_current AS a
    ON s.dimension = 'agent' AND a.agent_id = s.dimension_key
ORDER BY s.dimension, s.dimension_key, s.day;
