"""Click parameter types of `sippet-sync`: each checks its value when the flags are parsed,
so a bad one is a usage error (exit 2) naming the flag, before anything is opened or sent.

Their heavy imports happen inside `convert`, keeping `sippet-sync --help` fast.
"""

from __future__ import annotations

from datetime import datetime

import click


class Instant(click.ParamType):
    """An ISO-8601 date or instant; without a zone it is UTC."""

    name = "INSTANT"

    def convert(self, value, param, ctx) -> datetime:
        if isinstance(value, datetime):
            return value
        from pipelines.timestamps import parse_instant

        try:
            return parse_instant(str(value), assume_utc=True)
        except ValueError:
            self.fail(f"{value!r} is not an ISO-8601 date or instant; use e.g. 2026-11-30 "
                      "or 2026-11-30T12:00:00Z", param, ctx)


class Scale(click.ParamType):
    """A simulator scale preset or a number of AI audit events."""

    name = "SCALE"

    def convert(self, value, param, ctx) -> str:
        from pipelines.simulator.config import resolve_scale

        try:
            resolve_scale(value)
        except ValueError as exc:
            self.fail(str(exc), param, ctx)
        return value


class Fault(click.ParamType):
    """`KIND=RATE` with a known fault kind and 0 <= RATE <= 1."""

    name = "KIND=RATE"

    def convert(self, value, param, ctx) -> tuple[str, float]:
        from pipelines.simulator.cli import parse_fault

        if isinstance(value, tuple):
            return value
        try:
            kind, rate = parse_fault(value)
        except ValueError as exc:
            self.fail(str(exc).replace("could not convert string to float", "bad rate"),
                      param, ctx)
        if not 0 <= rate <= 1:
            self.fail(f"rate {rate:g} for {kind!r} must be between 0 and 1", param, ctx)
        return kind, rate
