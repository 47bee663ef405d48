"""The error path itself: a real bug is named as one, and shows its traceback only on request."""

from __future__ import annotations

import pytest

from pipelines.cli_errors import EXIT_BUG, EXIT_LOCKED, one_line_errors
from warehouse.errors import WarehouseLockedError


def test_a_bug_is_one_line_asking_for_debug(capsys):
    with pytest.raises(SystemExit) as exited, one_line_errors(lambda: False):
        raise ZeroDivisionError("division by zero")
    assert exited.value.code == EXIT_BUG
    err = capsys.readouterr().err
    assert err == ("error: unexpected ZeroDivisionError: division by zero. This is a bug: "
                   "rerun with --debug and report the traceback\n")


def test_with_debug_a_bug_keeps_its_traceback():
    with pytest.raises(ZeroDivisionError), one_line_errors(lambda: True):
        raise ZeroDivisionError("division by zero")


def test_expected_errors_stay_one_line_even_with_debug(capsys):
    with pytest.raises(SystemExit) as exited, one_line_errors(lambda: True):
        raise WarehouseLockedError("warehouse 'w' is locked by another process", "PID 1 (x)")
    assert exited.value.code == EXIT_LOCKED
    assert capsys.readouterr().err == "error: warehouse 'w' is locked by another process\n"
