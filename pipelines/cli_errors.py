"""The CLI's one error path: each expected failure becomes one line on stderr and an exit code.

A traceback is a bug report, so it is shown only for unexpected exceptions and only with
`-v`/`--debug`; everything a user can cause (settings, flags, files, network, key, lock) is
translated here into what is wrong and how to fix it.
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager

import click

#: Exit codes (documented in `sippet-sync --help` and the README).
EXIT_OK = 0
EXIT_FAILED = 1  # a stream failed, records were quarantined, verify found a mismatch
EXIT_USAGE = 2  # bad flag, setting, missing key or unusable warehouse: nothing created or sent
EXIT_LOCKED = 3  # the warehouse is held by another process: retry later or `sync --wait`
EXIT_BUG = 70  # an unexpected error (a bug): rerun with --debug and report the traceback
EXIT_INTERRUPTED = 130

EXIT_CODES_HELP = (
    "Exit codes: 0 ok; 1 a stream failed, records were quarantined or verify found a "
    "mismatch; 2 usage or configuration error (nothing created or sent); 3 warehouse locked "
    "by another process; 70 unexpected error (a bug; --debug shows the traceback)."
)


def fail(message: str, code: int) -> None:
    click.echo(f"error: {message}", err=True)
    sys.exit(code)


@contextmanager
def one_line_errors(debug: Callable[[], bool]) -> Iterator[None]:
    """Turn expected exceptions into `error: ...` lines and their exit codes.

    `debug` is asked at failure time: `-v`/`--debug` are parsed after this starts.
    """
    from pipelines.errors import SippetError
    from pipelines.settings import ConfigError
    from warehouse.errors import WarehouseError, WarehouseLockedError

    try:
        yield
    except click.UsageError as exc:
        path = exc.ctx.command_path if exc.ctx else "sippet-sync"
        fail(f"{exc.format_message()} (see `{path} --help`)", EXIT_USAGE)
    except click.ClickException as exc:
        fail(exc.format_message(), exc.exit_code)
    except ConfigError as exc:
        for problem in exc.problems[:-1]:
            click.echo(f"error: {problem}", err=True)
        fail(exc.problems[-1], EXIT_USAGE)
    except WarehouseLockedError as exc:
        fail(str(exc), EXIT_LOCKED)
    except WarehouseError as exc:
        fail(str(exc), EXIT_USAGE)
    except SippetError as exc:  # an API failure outside a sync's per-stream handling (verify)
        fail(f"{type(exc).__name__}: {exc}", EXIT_FAILED)
    except (click.Abort, KeyboardInterrupt):
        fail("interrupted", EXIT_INTERRUPTED)
    except OSError as exc:  # a port in use, a permission denied, a full disk outside DuckDB
        if debug():
            raise
        fail(f"{exc.strerror or exc}{f': {exc.filename}' if exc.filename else ''}",
             EXIT_USAGE)
    except Exception as exc:
        if debug():
            raise
        fail(f"unexpected {type(exc).__name__}: {exc}. This is a bug: rerun with --debug "
             "and report the traceback", EXIT_BUG)
