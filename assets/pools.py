"""Which Dagster pool a warehouse step runs in, decided from the warehouse target when the
code location loads.

- A DuckDB **file** has one writing process and blocks readers while it writes: every asset and
  check that opens it runs in the one pool `sippet_duckdb` (limit 1, dagster.yaml).
- A **lake** (`ducklake:...`) takes writers in several processes at once: each raw asset gets a
  pool of its own table, `sippet_lake_<stream>`, so streams materialize in parallel while one
  stream still has one writer at a time (two syncs of the same stream are not supported). The
  analytics marts and the checks stay in `sippet_duckdb`: one model build at a time, because
  models read each other's tables and a conflict between two builds is not retried.
"""

import dagster as dg
from pydantic_settings import BaseSettings, SettingsConfigDict

from assets.resources import DUCKDB_POOL, WarehouseResource
from warehouse.lake import is_lake

#: Prefix of the per-table pools of the raw assets on a lake target.
LAKE_POOL_PREFIX = "sippet_lake_"


class _WarehouseTarget(BaseSettings):
    """Only `SIPPET_WAREHOUSE` (environment or .env), read the way `SippetSettings` reads it:
    loading the code location must not fail on an API setting that is only needed at run time."""

    model_config = SettingsConfigDict(
        env_prefix="SIPPET_", env_file=".env", env_file_encoding="utf-8", extra="ignore"
    )
    warehouse: str = "data/warehouse.duckdb"


def build_time_target(warehouse: WarehouseResource | None) -> str:
    """The target the pools are chosen for: the resource's explicit one, else SIPPET_WAREHOUSE."""
    target = warehouse.target if warehouse is not None else None
    return target if isinstance(target, str) and target else _WarehouseTarget().warehouse


def raw_pool(stream: str, target: str) -> str:
    """The pool of a stream's raw asset: its own table's on a lake, the file's one writer else."""
    return f"{LAKE_POOL_PREFIX}{stream}" if is_lake(target) else DUCKDB_POOL


def pools_of(defs: dg.Definitions) -> dict[str, str | None]:
    """Every op of the definitions' asset graph (assets and checks) and its pool."""
    ops = [
        *[a.op for a in defs.resolve_asset_graph().assets_defs if a.is_executable],
        *[c.op for c in defs.asset_checks or []],
    ]
    return {op.name: op.pool for op in ops}
