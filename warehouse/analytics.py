"""Analytics models: one `.sql` file per table in `warehouse/models/`, built in dependency order.

Each model file holds one `CREATE OR REPLACE TABLE analytics.<stem> AS ...` statement (so a
rebuild never double counts) preceded by a header of `--` comments that documents the table:

    -- description: what the table is.
    -- grain: what one row is.
    -- column <name>: what the column means.

The header is stored in DuckDB with `COMMENT ON TABLE/COLUMN`; a build fails if a column of the
built table is undocumented or a documented column does not exist. Dependencies are the
`analytics.<model>` references in the SQL (comments excluded).

Model prices come from `models/seeds/model_prices.csv`, overridden by a user CSV passed as
`prices_csv` or named by the environment variable `SIPPET_MODEL_PRICES_CSV`. The queue service-level
threshold (seconds, default 20) is `service_level_seconds` or `SIPPET_SERVICE_LEVEL_SECONDS`; models
read it as the DuckDB variable `sippet_service_level_seconds`.
"""

from __future__ import annotations

import os
import re
import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import duckdb

MODELS_DIR = Path(__file__).parent / "models"
SEED_PRICES_CSV = MODELS_DIR / "seeds" / "model_prices.csv"
PRICES_CSV_ENV = "SIPPET_MODEL_PRICES_CSV"
SCHEMA = "analytics"
_PRICE_FILES_VARIABLE = "sippet_model_price_files"
SERVICE_LEVEL_ENV = "SIPPET_SERVICE_LEVEL_SECONDS"
DEFAULT_SERVICE_LEVEL_SECONDS = 20
_SERVICE_LEVEL_VARIABLE = "sippet_service_level_seconds"

_HEADER_LINE = re.compile(r"^--\s*(description|grain|column\s+(\w+))\s*:\s*(.+?)\s*$")
_REFERENCE = re.compile(r"\b((?:analytics|sippet)\.[a-z_][a-z0-9_]*)\b", re.IGNORECASE)
_COMMENTS = re.compile(r"--[^\n]*|/\*.*?\*/", re.DOTALL)


class ModelError(Exception):
    """A model file is malformed, references an unknown model, or its build failed."""


@dataclass(frozen=True)
class ModelFile:
    """One analytics model: table `analytics.<name>`, built from the SQL file at `path`.

    `depends_on` lists the qualified tables the SQL reads: `analytics.<model>` (other models,
    built first) and `sippet.<table>` (raw tables), sorted.
    """

    name: str
    path: Path
    depends_on: tuple[str, ...]
    description: str = ""
    grain: str = ""
    columns: dict[str, str] = field(default_factory=dict)

    @property
    def sql(self) -> str:
        """The SQL text of the model."""
        return self.path.read_text()


@dataclass(frozen=True)
class BuiltModel:
    """The outcome of building one model."""

    name: str
    rows: int
    seconds: float


def list_models() -> list[ModelFile]:
    """Every model in `MODELS_DIR`, topologically sorted (dependencies first, ties by name)."""
    models = {path.stem: _read_model(path) for path in sorted(MODELS_DIR.glob("*.sql"))}
    for model in models.values():
        unknown = set(_model_deps(model)) - models.keys()
        if unknown:
            raise ModelError(f"{model.path.name} references unknown models: {sorted(unknown)}")
    return _topological(models)


def build_models(
    con: duckdb.DuckDBPyConnection,
    names: Iterable[str] | None = None,
    prices_csv: str | os.PathLike[str] | Sequence[str | os.PathLike[str]] | None = None,
    service_level_seconds: int | None = None,
) -> list[BuiltModel]:
    """Rebuild the named models (default: all) in dependency order; return rows and timings.

    `prices_csv` (default: `$SIPPET_MODEL_PRICES_CSV`, if set) names user price CSVs whose rows
    take precedence over the seed for the same model and valid_from. `service_level_seconds`
    (default: `$SIPPET_SERVICE_LEVEL_SECONDS`, else 20) is the queue service-level threshold.
    """
    models = list_models()
    if names is not None:
        wanted = set(names)
        unknown = wanted - {m.name for m in models}
        if unknown:
            raise ModelError(f"unknown models: {sorted(unknown)}")
        models = [m for m in models if m.name in wanted]
    con.execute(f"CREATE SCHEMA IF NOT EXISTS {SCHEMA}")
    con.execute(f"SET VARIABLE {_PRICE_FILES_VARIABLE} = ?", [price_files(prices_csv)])
    con.execute(
        f"SET VARIABLE {_SERVICE_LEVEL_VARIABLE} = CAST(? AS INTEGER)",
        [service_level_threshold(service_level_seconds)],
    )
    return [_build(con, model) for model in models]


def price_files(
    prices_csv: str | os.PathLike[str] | Sequence[str | os.PathLike[str]] | None = None,
) -> list[str]:
    """The price CSVs a build reads, lowest precedence first: the seed, then the user's files."""
    if prices_csv is None:
        prices_csv = os.environ.get(PRICES_CSV_ENV) or []
    user = [prices_csv] if isinstance(prices_csv, str | os.PathLike) else list(prices_csv)
    files = [SEED_PRICES_CSV, *(Path(p) for p in user)]
    missing = [str(p) for p in files if not p.is_file()]
    if missing:
        raise ModelError(f"price CSV not found: {', '.join(missing)}")
    return [str(p.resolve()) for p in files]


def service_level_threshold(seconds: int | None = None) -> int:
    """The queue service-level threshold in seconds: `seconds`, else the environment, else 20."""
    if seconds is None:
        raw = os.environ.get(SERVICE_LEVEL_ENV, "").strip()
        try:
            seconds = int(raw) if raw else DEFAULT_SERVICE_LEVEL_SECONDS
        except ValueError:
            raise ModelError(f"{SERVICE_LEVEL_ENV} must be a whole number of seconds") from None
    if seconds < 0:
        raise ModelError(f"service level threshold must be >= 0 seconds, got {seconds}")
    return seconds


def catalogue_markdown() -> str:
    """The model catalogue (grain and column descriptions) as Markdown, for docs/analytics.md."""
    parts = []
    for model in list_models():
        deps = ", ".join(f"`{d}`" for d in model.depends_on) or "no table (reads CSV files)"
        parts.append(
            f"### `analytics.{model.name}`\n\n{model.description}\n\n"
            f"*Grain:* {model.grain}\n\n*Depends on:* {deps}\n\n"
            "| column | description |\n|---|---|\n"
            + "".join(
                f"| `{col}` | {text.replace('|', '/')} |\n" for col, text in model.columns.items()
            )
        )
    return "\n".join(parts)


def _read_model(path: Path) -> ModelFile:
    sql = path.read_text()
    name = path.stem
    if not re.search(rf"CREATE\s+OR\s+REPLACE\s+TABLE\s+{SCHEMA}\.{name}\b", sql, re.IGNORECASE):
        raise ModelError(f"{path.name} must contain CREATE OR REPLACE TABLE {SCHEMA}.{name}")
    header: dict[str, str] = {}
    columns: dict[str, str] = {}
    for line in sql.splitlines():
        match = _HEADER_LINE.match(line.strip())
        if match and match.group(2):
            columns[match.group(2)] = match.group(3)
        elif match:
            header[match.group(1)] = match.group(3)
    refs = {ref.lower() for ref in _REFERENCE.findall(_COMMENTS.sub(" ", sql))}
    refs.discard(f"{SCHEMA}.{name}")
    return ModelFile(
        name=name,
        path=path,
        depends_on=tuple(sorted(refs)),
        description=header.get("description", ""),
        grain=header.get("grain", ""),
        columns=columns,
    )


def _topological(models: dict[str, ModelFile]) -> list[ModelFile]:
    ordered: list[ModelFile] = []
    done: set[str] = set()
    pending = dict(sorted(models.items()))
    while pending:
        ready = [n for n, m in pending.items() if set(_model_deps(m)) <= done]
        if not ready:
            raise ModelError(f"dependency cycle among models: {sorted(pending)}")
        for name in ready:
            ordered.append(pending.pop(name))
            done.add(name)
    return ordered


def _model_deps(model: ModelFile) -> list[str]:
    prefix = f"{SCHEMA}."
    return [d.removeprefix(prefix) for d in model.depends_on if d.startswith(prefix)]


def _build(con: duckdb.DuckDBPyConnection, model: ModelFile) -> BuiltModel:
    started = time.perf_counter()
    con.execute("BEGIN TRANSACTION")
    try:
        con.execute(model.sql)
        _comment(con, model)
        con.execute("COMMIT")
    except BaseException as exc:
        con.execute("ROLLBACK")
        if isinstance(exc, duckdb.Error):
            raise ModelError(f"building {SCHEMA}.{model.name} failed: {exc}") from exc
        raise
    seconds = time.perf_counter() - started
    [(rows,)] = con.execute(f"SELECT count(*) FROM {SCHEMA}.{model.name}").fetchall()
    return BuiltModel(model.name, rows, seconds)


def _comment(con: duckdb.DuckDBPyConnection, model: ModelFile) -> None:
    actual = [
        row[0]
        for row in con.execute(
            "SELECT column_name FROM duckdb_columns() WHERE schema_name = ? AND table_name = ? "
            "AND database_name = current_database() ORDER BY column_index",
            [SCHEMA, model.name],
        ).fetchall()
    ]
    undocumented = [c for c in actual if c not in model.columns]
    stale = [c for c in model.columns if c not in actual]
    if undocumented or stale:
        raise ModelError(
            f"{model.path.name}: header out of date; undocumented columns {undocumented}, "
            f"documented but missing {stale}"
        )
    table = f"{SCHEMA}.{model.name}"
    summary = f"{model.description} Grain: {model.grain}"
    con.execute(f"COMMENT ON TABLE {table} IS {_literal(summary)}")
    for column in actual:
        con.execute(f"COMMENT ON COLUMN {table}.{column} IS {_literal(model.columns[column])}")


def _literal(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"
