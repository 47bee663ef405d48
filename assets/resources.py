"""Dagster resources: the Sippet API settings and the DuckDB warehouse target.

Config flows one way: environment -> `dg.EnvVar` / `SippetSettings` -> resource -> sync.
Nothing here reads the environment at import time; unset fields fall back to
`SippetSettings` (env `SIPPET_*`, `.env`), resolved when a run starts.
"""

from collections.abc import Iterator
from contextlib import contextmanager

import dagster as dg
import duckdb
from pydantic import Field

from pipelines.settings import SippetSettings
from warehouse.store import open_warehouse

#: Every asset, op and check that opens the warehouse runs in this pool. dagster.yaml gives
#: pools a limit of 1: DuckDB allows one writing process per file.
DUCKDB_POOL = "sippet_duckdb"


class SippetResource(dg.ConfigurableResource):
    """How to reach the Sippet RPC API; builds the `SippetSettings` the sync engine takes."""

    base_url: str | None = Field(None, description="API origin; default https://api.sippet.ai.")
    api_key: str | None = Field(
        None, description='Secret API key: set it with dg.EnvVar("SIPPET_API_KEY").'
    )
    page_size: int | None = Field(None, description="Rows per page (1..250); default 200.")
    lookback_minutes: dict[str, int] | None = Field(
        None, description="Per-stream re-read window in minutes, e.g. {'calls': 180}."
    )

    def settings(self, warehouse: str | None = None) -> SippetSettings:
        """Settings for one run: explicit resource config over `SIPPET_*` environment."""
        overrides = {
            "base_url": self.base_url,
            "api_key": self.api_key,
            "page_size": self.page_size,
            "lookback_minutes": self.lookback_minutes,
            "warehouse": warehouse,
        }
        return SippetSettings(**{k: v for k, v in overrides.items() if v is not None})


class WarehouseResource(dg.ConfigurableResource):
    """The DuckDB warehouse target (file path, `md:...` or `ducklake:...`)."""

    target: str | None = Field(
        None, description="Default: env SIPPET_WAREHOUSE, else data/warehouse.duckdb."
    )

    def resolved_target(self) -> str:
        """The target string, falling back to SIPPET_WAREHOUSE / the settings default."""
        return self.target or SippetSettings().warehouse

    @contextmanager
    def connect(
        self, *, read_only: bool = False, wait_seconds: float = 30.0
    ) -> Iterator[duckdb.DuckDBPyConnection]:
        """The one connection of a step (writers migrate first), handed to the sync and to the
        metadata queries alike; closed on exit."""
        con = open_warehouse(self.resolved_target(), read_only=read_only, wait_seconds=wait_seconds)
        try:
            yield con
        finally:
            con.close()
