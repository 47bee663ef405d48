"""Small read-only reports for the CLI (`status`, `demo`); the SQL lives in `queries/`."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

import duckdb

QUERIES_DIR = Path(__file__).parent / "queries"


def run_query(
    con: duckdb.DuckDBPyConnection, name: str, params: Sequence[Any] = ()
) -> tuple[list[str], list[tuple]]:
    """Run `queries/<name>.sql`; return column names and rows."""
    relation = con.execute((QUERIES_DIR / f"{name}.sql").read_text(), list(params))
    columns = [d[0] for d in relation.description or []]
    return columns, relation.fetchall()


def table_counts(con: duckdb.DuckDBPyConnection, tables: Sequence[str]) -> dict[str, int]:
    """Row count per table; names come from the stream registry, never from input."""
    return {t: con.execute(f"SELECT count(*) FROM {t}").fetchone()[0] for t in tables}


def format_table(columns: Sequence[str], rows: Sequence[Sequence[Any]]) -> str:
    """A plain aligned text table (no dependency, safe for logs)."""
    cells = [list(columns)] + [[_cell(v) for v in row] for row in rows]
    widths = [max(len(r[i]) for r in cells) for i in range(len(columns))]
    lines = ["  ".join(c.ljust(w) for c, w in zip(r, widths, strict=True)) for r in cells]
    lines.insert(1, "  ".join("-" * w for w in widths))
    return "\n".join(lines)


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, int):
        return f"{value:,}"
    if isinstance(value, float):
        return f"{value:,.4f}"
    text = str(value)
    return text if len(text) <= 60 else text[:57] + "..."
