"""DuckLake targets: offline extension loading, storage secrets, catalog attach.

A lake target is `ducklake:postgres:<libpq keywords>` (catalog in PostgreSQL: many machines)
or `ducklake:sqlite:<path>` (catalog in a SQLite file: many processes on one machine). Data
files go to `SIPPET_LAKE_DATA_PATH` (a folder or `s3://bucket/prefix/`); S3 credentials come
from the usual `AWS_*` variables. Only `warehouse.store.connect` calls `attach`.

Extensions are loaded by file path from the PyPI wheels (`duckdb-extension-*`) with automatic
install and load switched off, so opening a lake never reaches the network.
"""

from __future__ import annotations

import contextlib
import importlib.metadata
import re
import sqlite3
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

import duckdb
from tenacity import stop_after_attempt

from warehouse.conflicts import retrying

PREFIX = "ducklake:"
CATALOG = "sippet_lake"
DATA_PATH_ENV = "SIPPET_LAKE_DATA_PATH"
_EXTENSIONS = {
    "ducklake": "duckdb-extension-ducklake",
    "postgres_scanner": "duckdb-extension-postgres-scanner",
    "sqlite_scanner": "duckdb-extension-sqlite-scanner",
    "httpfs": "duckdb-extension-httpfs",
}
_PASSWORD = re.compile(r"(password\s*=\s*)('(?:[^']|'')*'|\S+)", re.IGNORECASE)
# How long a SQLite catalog waits for another process's lock before "database is locked".
# It does not cover every case: a transaction that read the catalog and must upgrade to write
# while another is the pending writer gets SQLITE_BUSY at once (duckdb/ducklake#1309), which
# `retry_on_conflict` reruns.
SQLITE_BUSY_TIMEOUT_MS = 10_000


class LakeError(Exception):
    """The lake cannot be opened (missing extension wheel, bad target, storage unreachable)."""


@dataclass(frozen=True)
class LakeTarget:
    """A parsed `ducklake:` target. `repr` never shows a password."""

    catalog_kind: str  # postgres | sqlite
    catalog: str  # libpq keywords or a SQLite path
    data_path: str

    def __repr__(self) -> str:
        return f"LakeTarget({self.catalog_kind}, {redact(self.catalog)!r}, {self.data_path!r})"


def is_lake(target: str) -> bool:
    return target.startswith(PREFIX)


def redact(text: str, secrets: tuple[str, ...] = ()) -> str:
    """`text` with libpq passwords and the given secret values masked."""
    text = _PASSWORD.sub(r"\1***", text)
    for secret in secrets:
        if secret:
            text = text.replace(secret, "***")
    return text


def parse_target(target: str, env: Mapping[str, str]) -> LakeTarget:
    rest = target.removeprefix(PREFIX)
    kind, sep, catalog = rest.partition(":")
    if not sep or kind not in ("postgres", "sqlite") or not catalog.strip():
        raise LakeError(
            f"unsupported lake target {redact(target)!r}: use "
            "ducklake:postgres:dbname=... host=... or ducklake:sqlite:PATH"
        )
    data_path = env.get(DATA_PATH_ENV, "").strip()
    if not data_path:
        if kind != "sqlite":
            raise LakeError(f"a Postgres-catalog lake needs {DATA_PATH_ENV} (a folder or s3://)")
        data_path = str(Path(catalog).resolve()) + ".files"
    if kind == "sqlite":
        Path(catalog).parent.mkdir(parents=True, exist_ok=True)
    if not data_path.startswith("s3://"):
        Path(data_path).mkdir(parents=True, exist_ok=True)
    if not data_path.endswith("/"):
        data_path += "/"
    return LakeTarget(kind, catalog.strip(), data_path)


def extension_path(name: str) -> Path:
    """The `.duckdb_extension` file shipped by the PyPI wheel for extension `name`."""
    dist = _EXTENSIONS[name]
    try:
        files = importlib.metadata.files(dist) or []
    except importlib.metadata.PackageNotFoundError:
        files = []
    for file in files:
        if file.name == f"{name}.duckdb_extension":
            return Path(str(file.locate()))
    raise LakeError(
        f"DuckDB extension {name!r} is not installed: pip install {dist}=={duckdb.__version__} "
        "(extensions are loaded from their PyPI wheels, never downloaded at run time)"
    )


def new_connection() -> duckdb.DuckDBPyConnection:
    """An in-memory DuckDB that never installs or autoloads extensions from the network."""
    return duckdb.connect(
        config={"autoinstall_known_extensions": "false", "autoload_known_extensions": "false"}
    )


def attach(
    con: duckdb.DuckDBPyConnection, target: str, env: Mapping[str, str], read_only: bool
) -> None:
    """Load extensions, create the storage secret, attach the lake as `sippet_lake` and USE it."""
    lake = parse_target(target, env)
    secrets = tuple(v for k in ("AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN")
                    if (v := env.get(k, "")))
    try:
        needed = ["ducklake", f"{lake.catalog_kind}_scanner"]
        if lake.data_path.startswith("s3://"):
            needed.append("httpfs")
        for name in needed:
            con.execute(f"LOAD '{_quote(str(extension_path(name)))}'")
        if lake.data_path.startswith("s3://"):
            _s3_secret(con, env)
        if lake.catalog_kind == "sqlite" and not read_only:
            _sqlite_wal(lake.catalog)
        options = [f"DATA_PATH '{_quote(lake.data_path)}'"]
        if lake.catalog_kind == "sqlite":
            options.append(f"META_BUSY_TIMEOUT {SQLITE_BUSY_TIMEOUT_MS}")
        if read_only:
            options.append("READ_ONLY")
        sql = (
            f"ATTACH '{_quote(PREFIX + lake.catalog_kind + ':' + lake.catalog)}' AS {CATALOG} "
            f"({', '.join(options)})"
        )
        retrying(_is_init_race, stop_after_attempt(6))(lambda: con.execute(sql))
        con.execute(f"USE {CATALOG}")
    except duckdb.Error as exc:
        raise LakeError(f"cannot open lake {lake!r}: {redact(str(exc), secrets)}") from None


def _sqlite_wal(path: str) -> None:
    """Put a SQLite catalog in WAL mode (it stays so: the mode is kept in the file).

    In SQLite's default rollback-journal mode a reader polling the lake meets "database is
    locked" while a sync commits, and the sync waits on the readers; in WAL mode readers and
    the one writer go on at once (measured: no reader error, and a writer committing beside
    two polling readers ~8x faster). WAL needs one machine, which a SQLite catalog is for.
    """
    try:
        with contextlib.closing(sqlite3.connect(path, timeout=60)) as db:
            db.execute("PRAGMA journal_mode=WAL").fetchone()
    except sqlite3.Error as exc:
        raise LakeError(f"cannot open the SQLite catalog {path!r}: {exc}") from None


def _s3_secret(con: duckdb.DuckDBPyConnection, env: Mapping[str, str]) -> None:
    """A temporary (in-memory) S3 secret: never written to disk or to the catalog."""
    parts = ["TYPE s3"]
    values = {
        "KEY_ID": env.get("AWS_ACCESS_KEY_ID"),
        "SECRET": env.get("AWS_SECRET_ACCESS_KEY"),
        "SESSION_TOKEN": env.get("AWS_SESSION_TOKEN"),
        "REGION": env.get("AWS_REGION") or env.get("AWS_DEFAULT_REGION"),
    }
    endpoint = env.get("AWS_ENDPOINT_URL", "").strip()
    if endpoint:
        url = urlsplit(endpoint if "://" in endpoint else f"https://{endpoint}")
        values["ENDPOINT"] = url.netloc
        parts += ["URL_STYLE 'path'", f"USE_SSL {'true' if url.scheme == 'https' else 'false'}"]
    parts += [f"{key} '{_quote(value)}'" for key, value in values.items() if value]
    con.execute(f"CREATE OR REPLACE TEMPORARY SECRET sippet_lake_s3 ({', '.join(parts)})")


def is_lake_connection(con: duckdb.DuckDBPyConnection) -> bool:
    """Whether the connection's current database is a DuckLake catalog."""
    row = con.execute(
        "SELECT type FROM duckdb_databases() WHERE database_name = current_database()"
    ).fetchone()
    return bool(row) and row[0] == "ducklake"


def _is_init_race(exc: BaseException) -> bool:
    """Two processes created a new lake's catalog tables at once; the loser attaches again."""
    return isinstance(exc, duckdb.Error) and "Failed to initialize DuckLake" in str(exc)


def _quote(value: str) -> str:
    return value.replace("'", "''")
