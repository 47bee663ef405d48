"""Asset check on `analytics.cost_anomalies`: WARN (never fail a run) when the latest day of an
agent or model departs strongly from its own trailing baseline.

Register it with `asset_checks=[*build_checks(), cost_anomaly_check]` in assets/definitions.py.
Kept in its own module so the rest of assets/ can change around it; it only needs the analytics
asset key and the `warehouse` resource.
"""

import dagster as dg

from assets.resources import DUCKDB_POOL, WarehouseResource

COST_ANOMALIES_KEY = dg.AssetKey(["analytics", "cost_anomalies"])

# Only the latest scored day: an anomaly of last month has been seen and should not warn forever.
_LATEST_ANOMALIES = """
select dimension, dimension_key, coalesce(dimension_name, dimension_key), day,
       cast(cost_usd as double), cast(baseline_median_usd as double), robust_score
from analytics.cost_anomalies
where is_anomaly and day = (select max(day) from analytics.cost_anomalies)
order by abs(coalesce(robust_score, 1e308)) desc, dimension, dimension_key
"""


@dg.asset_check(
    asset=COST_ANOMALIES_KEY,
    name="no_cost_anomaly_today",
    description=(
        "No agent or model's cost on the latest day departs from its trailing 14-day baseline "
        "(robust score |z| > 3.5, see analytics.cost_anomalies). Warns; never blocks."
    ),
    pool=DUCKDB_POOL,
)
def cost_anomaly_check(warehouse: WarehouseResource) -> dg.AssetCheckResult:
    with warehouse.connect(read_only=True) as con:
        rows = con.execute(_LATEST_ANOMALIES).fetchall()
    lines = [
        f"{dim} {name}: ${cost:.2f} on {day} vs median ${median:.2f}"
        + ("" if score is None else f" (score {score:+.1f})")
        for dim, _key, name, day, cost, median, score in rows
    ]
    return dg.AssetCheckResult(
        passed=not rows,
        severity=dg.AssetCheckSeverity.WARN,
        metadata={"anomalies": len(rows), "details": "\n".join(lines[:20])},
    )
