"""Lake write conflicts: which errors mean "rerun the transaction", and rerunning it.

Several machines (Postgres catalog) or processes (SQLite catalog) write one DuckLake; DuckLake
detects a conflicting commit and fails the whole transaction. The writer reruns it: every
transaction in this project is written to be safe to rerun after its rollback. On a DuckDB
file there are no conflicts and `retry_on_conflict` is one plain call.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from typing import TypeVar

import duckdb
from tenacity import RetryCallState, Retrying, retry_if_exception, stop_after_delay
from tenacity.stop import StopBaseT

# "database is locked": a SQLite catalog busy with another process's commit; DuckLake then
# fails the whole transaction, so it is retried like a conflict. "Failed to load DuckLake":
# a commit re-reading a catalog that another process's commit was creating at that moment
# (two first syncs of a new SQLite-catalog lake at once: "Table entry ... does not have any
# columns"); rerun, it then sees the other's tables.
_CONFLICT_MARKERS = ("Transaction conflict", "conflict", "database is locked",
                     "Failed to load DuckLake")
# Patience of `retry_on_conflict`: a fresh-clone run on a loaded 2-core machine (two syncs
# committing every page into one SQLite catalog beside a benchmark) ran out of 30 tries.
CONFLICT_PATIENCE_SECONDS = 300.0

T = TypeVar("T")


def is_conflict(exc: BaseException) -> bool:
    """A DuckLake write conflict (or a busy SQLite catalog): the transaction may be rerun."""
    return isinstance(exc, duckdb.TransactionException) and any(
        marker in str(exc) for marker in _CONFLICT_MARKERS
    )


def retry_on_conflict(
    fn: Callable[[], T],
    *,
    patience: float = CONFLICT_PATIENCE_SECONDS,
    max_wait: float = 2.0,
    also: Callable[[BaseException], bool] | None = None,
) -> T:
    """Run `fn` (one whole transaction, BEGIN to COMMIT, rolled back on error) until it does
    not hit a lake write conflict; jittered exponential backoff up to `max_wait` apart, for at
    most `patience` seconds (then the last conflict is raised).

    `fn` must be safe to run again after a rollback: everything it wrote was undone.
    `also` names further errors worth a retry. On a file target there are no conflicts, so
    this is one plain call.
    """
    when = is_conflict if also is None else (lambda e: is_conflict(e) or also(e))
    return retrying(when, stop_after_delay(patience), max_wait)(fn)


def retrying(
    when: Callable[[BaseException], bool], stop: StopBaseT, max_wait: float = 2.0
) -> Callable[[Callable[[], T]], T]:
    """A runner that reruns a callable while it raises an error `when` accepts (tenacity)."""
    return Retrying(
        retry=retry_if_exception(when),
        stop=stop,
        wait=lambda state: _jitter(state, max_wait),
        reraise=True,
    )


def _jitter(state: RetryCallState, max_wait: float) -> float:
    # Full jitter: two writers that collided must not collide again on the same beat.
    return random.uniform(0, min(max_wait, 0.05 * 2**state.attempt_number))
