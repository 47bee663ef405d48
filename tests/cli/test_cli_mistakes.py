"""Each newcomer mistake through the real `sippet-sync` entry point (issue 11).

Every case: one `error:` line on stderr naming the problem and its fix, exit code 2 (usage or
configuration), no traceback, no warehouse file created and no request sent to the API.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.cli.helpers import assert_one_line, cli, requests_served
from tests.conftest import cli_env

MISTAKES = [
    # (args, env overrides; None deletes the variable, needles in the error line)
    (["sync"], {"SIPPET_API_KEY": None}, ["SIPPET_API_KEY is not set", "export"]),
    (["sync", "--since", "garbage"], {}, ["'--since'", "'garbage'", "ISO-8601"]),
    (["sync", "--since", "2026-11-30", "--until", "soon"], {}, ["'--until'", "'soon'"]),
    (["sync", "--until", "2026-11-30"], {}, ["--until needs --since"]),
    (["sync", "--since", "2026-12-01", "--until", "2026-11-30"], {}, ["--since must be before"]),
    (["sync", "--page-size", "1000"], {}, ["'--page-size'", "1000"]),
    (["sync", "--stream", "nosuch"], {}, ["'--stream'", "nosuch"]),
    (["sync", "--wait", "-1"], {}, ["'--wait'"]),
    (["sync"], {"SIPPET_PAGE_SIZE": "1000"}, ["SIPPET_PAGE_SIZE=1000", "250"]),
    (["sync"], {"SIPPET_PAGE_SIZE": "abc"}, ["SIPPET_PAGE_SIZE=abc", "integer"]),
    (["sync"], {"SIPPET_LOOKBACK_MINUTES": "bad"}, ["SIPPET_LOOKBACK_MINUTES", "JSON"]),
    (["sync"], {"SIPPET_LOOKBACK_MINUTES": '{"calls": -5}'},
     ["SIPPET_LOOKBACK_MINUTES", ">= 0"]),
    (["sync"], {"SIPPET_START_DATE": "yesterday"}, ["SIPPET_START_DATE=yesterday"]),
    (["sync"], {"SIPPET_MAX_ATTEMPTS": "0"}, ["SIPPET_MAX_ATTEMPTS=0"]),
    (["sync"], {"SIPPET_BASE_URL": "http://127.0.0.1:notaport"},
     ["SIPPET_BASE_URL=http://127.0.0.1:notaport", "port"]),
    (["sync"], {"SIPPET_BASE_URL": "not-a-url"}, ["SIPPET_BASE_URL=not-a-url", "http(s) URL"]),
    (["sync", "--base-url", "ftp://example.com"], {}, ["--base-url=ftp://example.com"]),
    (["verify"], {"SIPPET_API_KEY": None}, ["SIPPET_API_KEY is not set"]),
    (["verify", "--days", "0"], {}, ["'--days'"]),
    (["verify"], {}, ["does not exist", "sippet-sync sync"]),
    (["status"], {}, ["does not exist", "--warehouse"]),
    (["status"], {"SIPPET_PAGE_SIZE": "abc"}, ["SIPPET_PAGE_SIZE=abc"]),
    (["simulate", "--scale", "huge"], {}, ["'--scale'", "unknown scale 'huge'"]),
    (["simulate", "--fault", "bogus=0.5"], {}, ["'--fault'", "unknown fault 'bogus'"]),
    (["simulate", "--fault", "rate_limit=2"], {}, ["between 0 and 1"]),
    (["simulate", "--fault", "rate_limit=lots"], {}, ["'--fault'", "bad rate"]),
    (["demo", "--scale", "nosuch"], {}, ["'--scale'", "unknown scale 'nosuch'"]),
    (["sink"], {}, ["No such command 'sink'"]),
]


@pytest.mark.parametrize(("args", "overrides", "needles"), MISTAKES,
                         ids=[" ".join(a) + " " + " ".join(o) for a, o, _ in MISTAKES])
def test_mistake_is_one_line_and_exit_2_and_nothing_created_or_sent(
    sim, warehouse, args, overrides, needles
):
    env = cli_env(sim, warehouse)
    for name, value in overrides.items():
        if value is None:
            env.pop(name, None)
        else:
            env[name] = value
    if args[0] == "demo":
        args = [*args, "--warehouse", warehouse]
    result = cli(args, env)
    line = assert_one_line(result, 2, *needles)
    assert sim.api_key not in line
    assert not Path(warehouse).exists(), "a warehouse file was created"
    assert requests_served(sim) == 0, "a request was sent"


def test_several_bad_settings_give_one_line_each(sim, warehouse):
    env = {**cli_env(sim, warehouse), "SIPPET_PAGE_SIZE": "abc", "SIPPET_READ_TIMEOUT": "-1"}
    result = cli(["sync"], env)
    assert result.returncode == 2
    assert "Traceback" not in result.stderr
    lines = result.stderr.splitlines()
    assert len(lines) == 2, result.stderr
    assert lines[0].startswith("error: SIPPET_PAGE_SIZE=abc")
    assert lines[1].startswith("error: SIPPET_READ_TIMEOUT=-1")
    assert not Path(warehouse).exists()


def test_an_invalid_key_value_is_never_echoed(sim, warehouse):
    # `SIPPET_API_KEY=` (empty) is a missing key: named, never shown.
    result = cli(["sync"], {**cli_env(sim, warehouse), "SIPPET_API_KEY": "  "})
    assert_one_line(result, 2, "SIPPET_API_KEY is not set")


@pytest.mark.parametrize("command", ["sync", "status", "build-models"])
def test_a_directory_as_warehouse_is_one_clear_error_with_the_same_code(
    sim, tmp_path, command
):
    folder = tmp_path / "data"
    folder.mkdir()
    result = cli([command], cli_env(sim, str(folder)))
    assert_one_line(result, 2, "is a directory", f"{folder}/warehouse.duckdb")
    assert list(folder.iterdir()) == []
    assert requests_served(sim) == 0


def test_unexpected_errors_name_the_bug_and_debug_shows_the_traceback(sim, warehouse):
    # A page size of 250 is valid but the file is not a database: an expected error, no bug.
    Path(warehouse).write_bytes(b"not a duckdb file at all" * 100)
    result = cli(["status"], cli_env(sim, warehouse))
    assert_one_line(result, 2, "cannot open warehouse")
