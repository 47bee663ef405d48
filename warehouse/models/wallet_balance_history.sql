-- description: The organisation wallet as seen by each sync: balance, change since the previous snapshot and the spend figures of the summary.
-- grain: one row per snapshot in sippet.organisation_wallet_summary (one per sync run); key snapshot_id; ordered by _synced_at then id (always known, unlike fetched_at). NULLs: a hidden balance leaves balance_usd NULL and the change of this and the next snapshot NULL (a change is never computed across an unknown balance); a hidden fetched_at falls back to the sync time in observed_at.
-- column snapshot_id: Snapshot id (the sync run id + ':wallet').
-- column observed_at: fetched_at, or the sync time (_synced_at) when fetched_at is hidden.
-- column observed_date: UTC calendar date of observed_at.
-- column balance_usd: Wallet balance in USD (exact decimal); NULL if hidden.
-- column currency: Wallet currency as sent (USD); NULL if hidden.
-- column previous_balance_usd: Balance of the previous snapshot; NULL for the first or when that balance is hidden.
-- column balance_change_usd: balance_usd - previous_balance_usd: negative is spend, positive a top-up (or a refund) outweighing it; NULL when either side is unknown.
-- column spent_today_usd: summary.spentTodayUsd: what the wallet says was spent "today" in the organisation's own day (its time zone is not sent); NULL if absent.
-- column spent_this_month_usd: summary.spentThisMonthUsd; NULL if absent.
CREATE OR REPLACE TABLE analytics.wallet_balance_history AS
WITH snapshots AS (
    SELECT
        id AS snapshot_id,
        coalesce(fetched_at, _synced_at) AS observed_at,
        balance_usd,
        currency,
        lag(balance_usd) OVER (ORDER BY _synced_at, id) AS previous_balance_usd,
        TRY_CAST(summary ->> 'spentTodayUsd' AS DECIMAL(18,6)) AS spent_today_usd,
        TRY_CAST(summary ->> 'spentThisMonthUsd' AS DECIMAL(18,6)) AS spent_this_month_usd,
        _synced_at,
        id
    FROM sippet.organisation_wallet_summary
)
SELECT
    snapshot_id,
    observed_at,
    CAST(timezone('UTC', observed_at) AS DATE) AS observed_date,
    balance_usd,
    currency,
    previous_balance_usd,
    balance_usd - previous_balance_usd AS balance_change_usd,
    spent_today_usd,
    spent_this_month_usd
FROM snapshots
ORDER BY _synced_at, id;
