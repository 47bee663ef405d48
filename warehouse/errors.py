"""What the warehouse package raises for a target it cannot use; the CLI, the sync and the
Dagster assets turn these into one clear message each."""

from __future__ import annotations


class WarehouseError(Exception):
    """The warehouse cannot be opened or is not in a usable state."""


class WarehouseLockedError(WarehouseError):
    """Another process holds the DuckDB file (DuckDB allows one writing process per file)."""

    def __init__(self, message: str, holder: str = "another process") -> None:
        super().__init__(message)
        self.holder = holder
