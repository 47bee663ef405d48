"""Named crash points, so fault tests can kill the sync at an exact step.

Set `SIPPET_CRASH_AT=<point>` (or `<point>:<n>` for the n-th time the point is reached) and
the process SIGKILLs itself there, like a power cut: no cleanup, no exception handlers. Unset,
a crash point costs one dictionary lookup.
"""

from __future__ import annotations

import os
import signal

CRASH_POINTS = (
    "after_page_fetched",
    "before_commit",
    "after_commit",
    "between_streams",
    "during_migration",
)
_hits: dict[str, int] = {}


def crash_point(name: str) -> None:
    """SIGKILL this process if `SIPPET_CRASH_AT` names this point (and hit count)."""
    wanted = os.environ.get("SIPPET_CRASH_AT")
    if not wanted:
        return
    point, _, nth = wanted.partition(":")
    if point != name:
        return
    _hits[name] = _hits.get(name, 0) + 1
    if _hits[name] >= int(nth or 1):
        os.kill(os.getpid(), signal.SIGKILL)
