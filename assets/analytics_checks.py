"""Checks on the analytics models: unique grain, token totals, unpriced models reported.

The grain key is read from each model's `-- grain:` header ("key event_id", "one row per
(call_date, direction)", "one row per tool_name"), so the check follows the documentation and
a header that stops naming real columns fails `test_every_model_has_a_grain_key`.
"""

import re
from collections.abc import Iterator

import dagster as dg

from assets.analytics import analytics_asset_key
from assets.checks import CHECK_AUTOMATION
from assets.resources import DUCKDB_POOL, WarehouseResource
from warehouse.analytics import ModelFile, list_models

_KEY = re.compile(r"\bkey (\w+)")
_TUPLE = re.compile(r"one row per \(([^)]+)\)")
_WORD = re.compile(r"one row per (\w+)")
#: Models whose `total_tokens` must add up to the raw audit events' `total_tokens`.
TOKEN_MODELS = ("ai_response_costs", "token_usage_daily")


def grain_key(model: ModelFile) -> tuple[str, ...]:
    """The columns that identify a row, as the grain header names them; () if it names none."""
    for pattern in (_KEY, _TUPLE, _WORD):
        match = pattern.search(model.grain)
        if match:
            key = tuple(part.strip() for part in match.group(1).split(","))
            if all(column in model.columns for column in key):
                return key
    return ()


def build_grain_check() -> dg.AssetChecksDefinition:
    models = {analytics_asset_key(m.name): m for m in list_models() if grain_key(m)}

    @dg.multi_asset_check(
        name="analytics_grain_unique",
        specs=[
            dg.AssetCheckSpec(
                "grain_unique",
                asset=key,
                automation_condition=CHECK_AUTOMATION,
                description=f"No two rows share ({', '.join(grain_key(m))}).",
            )
            for key, m in models.items()
        ],
        can_subset=True,
        pool=DUCKDB_POOL,
    )
    def _check(
        context: dg.AssetCheckExecutionContext, warehouse: WarehouseResource
    ) -> Iterator[dg.AssetCheckResult]:
        selected = [models[k.asset_key] for k in context.selected_asset_check_keys]
        with warehouse.connect(read_only=True) as con:
            for model in selected:
                key = ", ".join(grain_key(model))
                (repeated,) = con.execute(
                    f"select count(*) from (select {key} from analytics.{model.name} "
                    "group by all having count(*) > 1)"
                ).fetchone()
                yield dg.AssetCheckResult(
                    asset_key=analytics_asset_key(model.name),
                    check_name="grain_unique",
                    passed=repeated == 0,
                    metadata={"repeated_keys": repeated, "key": key},
                )

    return _check


def build_token_check() -> dg.AssetChecksDefinition:
    @dg.multi_asset_check(
        name="analytics_token_totals",
        specs=[
            dg.AssetCheckSpec(
                "tokens_match_raw",
                asset=analytics_asset_key(name),
                automation_condition=CHECK_AUTOMATION,
                description="sum(total_tokens) equals that of sippet.call_ai_audit_events.",
            )
            for name in TOKEN_MODELS
        ],
        can_subset=True,
        pool=DUCKDB_POOL,
    )
    def _check(
        context: dg.AssetCheckExecutionContext, warehouse: WarehouseResource
    ) -> Iterator[dg.AssetCheckResult]:
        with warehouse.connect(read_only=True) as con:
            (raw,) = con.execute(
                "select coalesce(sum(total_tokens), 0) from sippet.call_ai_audit_events"
            ).fetchone()
            for check in context.selected_asset_check_keys:
                name = check.asset_key.path[-1]
                (total,) = con.execute(
                    f"select coalesce(sum(total_tokens), 0) from analytics.{name}"
                ).fetchone()
                yield dg.AssetCheckResult(
                    asset_key=check.asset_key,
                    check_name="tokens_match_raw",
                    passed=total == raw,
                    metadata={"model_tokens": int(total), "raw_tokens": int(raw)},
                )

    return _check


@dg.asset_check(
    asset=analytics_asset_key("token_usage_daily"),
    name="unpriced_models_reported",
    automation_condition=CHECK_AUTOMATION,
    description="Warns, naming them, when models have token usage but no price in "
    "analytics.model_prices (their cost_usd is NULL): add them to a prices CSV.",
    pool=DUCKDB_POOL,
)
def unpriced_models_check(warehouse: WarehouseResource) -> dg.AssetCheckResult:
    with warehouse.connect(read_only=True) as con:
        rows = con.execute(
            "select coalesce(model, '(none)'), sum(total_tokens), min(usage_date) "
            "from analytics.token_usage_daily where not is_priced group by 1 order by 1"
        ).fetchall()
    return dg.AssetCheckResult(
        passed=not rows,
        severity=dg.AssetCheckSeverity.WARN,
        metadata={
            "unpriced_models": len(rows),
            **{f"model:{m}": f"{tokens} tokens since {day}" for m, tokens, day in rows},
        },
    )


def build_analytics_checks() -> list[dg.AssetChecksDefinition]:
    return [build_grain_check(), build_token_check(), unpriced_models_check]
