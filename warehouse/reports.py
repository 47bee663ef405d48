"""Small read-only reports for the CLI (`status`, `demo`); the SQL lives in `queries/`."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from decimal import Decimal
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
    """A plain aligned text table (no dependency, safe for logs), numbers formatted for people."""
    cells = [list(columns)] + [
        [_cell(v, c) for v, c in zip(row, columns, strict=True)] for row in rows
    ]
    widths = [max(len(r[i]) for r in cells) for i in range(len(columns))]
    lines = ["  ".join(c.ljust(w) for c, w in zip(r, widths, strict=True)) for r in cells]
    lines.insert(1, "  ".join("-" * w for w in widths))
    return "\n".join(lines)


def format_number(value: float, column: str = "") -> str:
    """Seconds to 0.1, `_pct` and `_ratio`/`_rate` as percentages, USD to the cent.

    Other fractions keep at most 4 decimals without trailing zeros (17, not 17.0000).
    """
    if column.endswith("_pct"):
        return f"{value:.1f}%"
    if column.endswith(("_ratio", "_rate")):
        return f"{value * 100:.1f}%"
    if column.endswith(("seconds", "_s")):
        return f"{value:,.1f}"
    if column.endswith("_usd"):
        return f"{value:,.2f}"
    return f"{value:,.4f}".rstrip("0").rstrip(".")


def _cell(value: Any, column: str = "") -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return str(value).lower()
    if isinstance(value, int):
        return f"{value:,}"
    if isinstance(value, float | Decimal):
        return format_number(float(value), column)
    if isinstance(value, datetime) and value.tzinfo is not None:
        return value.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%SZ")  # to the second, in UTC
    text = str(value)
    return text if len(text) <= 60 else text[:57] + "..."
