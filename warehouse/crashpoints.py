"""Named crash points, so fault tests can kill the sync at an exact step.

Set `SIPPET_CRASH_AT=<point>` (or `<point>:<n>` for the n-th time the point is reached) and
the process SIGKILLs itself there, like a power cut: no cleanup, no exception handlers. Unset,
a crash point costs one comparison.
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
_UNREAD = object()
_armed: object = _UNREAD  # (point, nth) once read; None when no crash is asked for


def crash_point(name: str) -> None:
    """SIGKILL this process if `SIPPET_CRASH_AT` names this point (and hit count).

    The variable is read once, on the first call (never at import time): when it is unset,
    every later call is one comparison.
    """
    global _armed
    if _armed is None:
        return
    if _armed is _UNREAD:
        wanted = os.environ.get("SIPPET_CRASH_AT")
        point, _, nth = (wanted or "").partition(":")
        _armed = (point, int(nth or 1)) if wanted else None
        if _armed is None:
            return
    point, nth_hit = _armed  # type: ignore[misc]
    if point != name:
        return
    _hits[name] = _hits.get(name, 0) + 1
    if _hits[name] >= nth_hit:
        os.kill(os.getpid(), signal.SIGKILL)
