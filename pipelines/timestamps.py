"""Instants, parsed and formatted in one place.

Everything the sync sends (filters), stores as text (cursors) or shows (messages) uses one
format: ISO-8601 in UTC with microseconds and a `Z`. Everything it reads back (cursors, CLI
flags) goes through `parse_instant`, which requires a timezone unless told to assume UTC.
"""

from __future__ import annotations

from datetime import UTC, datetime

_FORMAT = "%Y-%m-%dT%H:%M:%S.%fZ"


def format_instant(value: datetime) -> str:
    """`2026-11-01T12:00:00.000000Z`: the one timestamp format we send and store."""
    if value.tzinfo is None:
        raise ValueError(f"naive datetime {value!r}: timestamps must carry a timezone")
    return value.astimezone(UTC).strftime(_FORMAT)


def parse_instant(text: str, *, assume_utc: bool = False) -> datetime:
    """An aware UTC datetime from ISO-8601 text (`Z` or an offset).

    Without a zone the text is refused, unless `assume_utc` (a person typing a date).
    Raises ValueError naming the text.
    """
    try:
        value = datetime.fromisoformat(text.strip().replace("Z", "+00:00"))
    except ValueError:
        raise ValueError(f"{text!r} is not an ISO-8601 instant (e.g. 2026-11-01T12:00:00Z)"
                         ) from None
    if value.tzinfo is None:
        if not assume_utc:
            raise ValueError(f"{text!r} has no timezone (add Z or an offset like +00:00)")
        value = value.replace(tzinfo=UTC)
    return value.astimezone(UTC)
