"""The Dagster instance class named in dagster.yaml: default SQLite storage, with a pool slot
claim that holds across processes.

Why: in Dagster 1.13.27 `SqlEventLogStorage._claim_concurrency_slot` picks a free slot with
`SELECT ... FOR UPDATE SKIP LOCKED` and then claims it with `UPDATE ... WHERE id = <slot>`.
SQLite ignores `FOR UPDATE`, and pysqlite opens no transaction for a `SELECT`, so two runs whose
steps claim at the same moment both read the one free slot of `sippet_duckdb` and both "claim"
it (the second update overwrites the first): two DuckDB writers at once. This happened whether
the pool was created by `default_limit` or by `dagster instance concurrency set`.
`tests/dagster/test_dagster_instance.py` races two processes on one slot.

The fix is a compare-and-set: the claiming `UPDATE` also requires the slot to be free, and SQLite
serializes writers, so exactly one of two racing updates changes a row; the other step stays
queued and claims the slot when it is freed, as Dagster already handles for a blocked claim.

Second race of the same kind: two processes opening a fresh DAGSTER_HOME at once (two
`dagster job execute` runs) both create `runs.db` and both stamp its schema version, after
which no process can open the instance ("alembic_version has more than one head"). Opening
the storage therefore holds an exclusive file lock in the instance folder.
"""

import fcntl
import os
from collections.abc import Mapping

import yaml
from dagster._core.instance import DagsterInstance
from dagster._core.instance.ref import InstanceRef
from dagster._core.storage.event_log.schema import ConcurrencySlotsTable
from dagster._core.storage.event_log.sqlite.sqlite_event_log import SqliteEventLogStorage
from dagster._core.storage.sqlalchemy_compat import db_select
from dagster._core.storage.sqlite_storage import DagsterSqliteStorage, _event_logs_directory
from dagster._serdes import ConfigurableClassData
from dagster._utils.concurrency import ConcurrencySlotStatus


class SlotSafeSqliteEventLogStorage(SqliteEventLogStorage):
    """SQLite event log storage whose pool slot claim is a compare-and-set."""

    def _claim_concurrency_slot(
        self, concurrency_key: str, run_id: str, step_key: str
    ) -> ConcurrencySlotStatus:
        free = (
            (ConcurrencySlotsTable.c.concurrency_key == concurrency_key)
            & ConcurrencySlotsTable.c.step_key.is_(None)
            & (ConcurrencySlotsTable.c.deleted == False)  # noqa: E712 (SQL, not Python)
        )
        with self.index_connection() as conn:
            row = conn.execute(
                db_select([ConcurrencySlotsTable.c.id]).where(free).limit(1)
            ).fetchone()
            if not row:
                return ConcurrencySlotStatus.BLOCKED
            claimed = conn.execute(
                ConcurrencySlotsTable.update()
                .values(run_id=run_id, step_key=step_key)
                .where(free & (ConcurrencySlotsTable.c.id == row[0]))
            ).rowcount
        return ConcurrencySlotStatus.CLAIMED if claimed else ConcurrencySlotStatus.BLOCKED


class SlotSafeSqliteStorage(DagsterSqliteStorage):
    """Dagster's default SQLite storage, with `SlotSafeSqliteEventLogStorage` for event logs."""

    def __init__(self, base_dir: str, inst_data: ConfigurableClassData | None = None) -> None:
        # one process at a time creates (or checks) the SQLite files of a fresh instance
        with open(os.path.join(base_dir, ".storage.lock"), "w") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)
            super().__init__(base_dir, inst_data=inst_data)
            self._event_log_storage = SlotSafeSqliteEventLogStorage(
                _event_logs_directory(base_dir)
            )

    @classmethod
    def from_config_value(  # type: ignore[override]
        cls, inst_data: ConfigurableClassData, config_value: Mapping[str, str]
    ) -> "SlotSafeSqliteStorage":
        return cls.from_local(inst_data=inst_data, **config_value)


class SippetInstance(DagsterInstance):
    """`instance_class` in dagster.yaml: the default instance with `SlotSafeSqliteStorage`.

    An instance class (not a `storage:` block) because it receives the instance's folder, so
    the storage lands where Dagster puts it by default, `$DAGSTER_HOME` or the temporary
    folder of `dagster dev` without DAGSTER_HOME alike.
    """

    @classmethod
    def config_schema(cls) -> dict:
        return {}

    @staticmethod
    def config_defaults(base_dir: str) -> Mapping[str, ConfigurableClassData | None]:
        defaults = dict(InstanceRef.config_defaults(base_dir))
        defaults["storage"] = ConfigurableClassData(
            __name__, SlotSafeSqliteStorage.__name__, yaml.dump({"base_dir": base_dir})
        )
        return defaults
