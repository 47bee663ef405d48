-- description: Estimated AI cost (from the audit events' tokens and the price list) against the wallet's own movement, per UTC day. It can show that the estimate and the wallet disagree, and by how much, on days both are known; it cannot prove where the difference comes from: the wallet also pays for telephony, numbers and other services, counts "today" in the organisation's time zone (not sent, while this table uses UTC days), is only seen at sync times (spend after a day's last snapshot is missed), and top-ups mix into the balance change.
-- grain: one row per UTC date that has a wallet snapshot or a priced AI event (a full outer join of the two). NULLs: events with a hidden occurred_at have no date and are not in any row; a day without snapshots has NULL wallet columns, a day without AI events 0 estimated cost.
-- column day: UTC calendar date.
-- column estimated_ai_cost_usd: Sum of analytics.ai_response_costs.cost_usd of the day's priced events (a lower bound when unpriced_events > 0); 0 when there are none.
-- column unpriced_events: Token-bearing events of the day without a cost.
-- column snapshots: Wallet snapshots observed that day.
-- column wallet_spent_today_usd: spent_today_usd of the day's last snapshot (by observed_at): the wallet's spend so far in its own day at that moment; NULL without snapshots or if absent.
-- column balance_change_usd: Sum of the day's snapshot-to-snapshot balance changes (the first may start on the previous day; top-ups included); NULL when none is known.
-- column ai_share_of_wallet_spend: estimated_ai_cost_usd / wallet_spent_today_usd (a value above 1 means the estimate exceeds what the wallet reports, i.e. prices or tokens are overstated or the days do not align); NULL when the wallet spend is unknown or 0.
CREATE OR REPLACE TABLE analytics.wallet_vs_ai_cost_daily AS
WITH ai AS (
    SELECT
        usage_date AS day,
        coalesce(sum(cost_usd), 0) AS estimated_ai_cost_usd,
        count(*) FILTER (WHERE NOT is_priced) AS unpriced_events
    FROM analytics.ai_response_costs
    WHERE usage_date IS NOT NULL
    GROUP BY usage_date
),
wallet AS (
    SELECT
        observed_date AS day,
        count(*) AS snapshots,
        arg_max_null(spent_today_usd, observed_at) AS wallet_spent_today_usd,
        sum(balance_change_usd) AS balance_change_usd
    FROM analytics.wallet_balance_history
    GROUP BY observed_date
)
SELECT
    coalesce(a.day, w.day) AS day,
    CAST(coalesce(a.estimated_ai_cost_usd, 0) AS DECIMAL(38,12)) AS estimated_ai_cost_usd,
    coalesce(a.unpriced_events, 0) AS unpriced_events,
    coalesce(w.snapshots, 0) AS snapshots,
    w.wallet_spent_today_usd,
    w.balance_change_usd,
    CAST(coalesce(a.estimated_ai_cost_usd, 0) AS DOUBLE)
        / nullif(CAST(w.wallet_spent_today_usd AS DOUBLE), 0)
        AS ai_share_of_wallet_spend
FROM ai AS a
FULL OUTER JOIN wallet AS w ON w.day = a.day
ORDER BY day;
