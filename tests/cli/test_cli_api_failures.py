"""An unusable API fails fast, in one line: down host, refused key, wrong base URL (issue 11)."""

from __future__ import annotations

from datetime import timedelta

import duckdb

from pipelines.settings import SippetSettings
from pipelines.sync import selected_streams
from tests.cli.helpers import assert_one_line, cli, requests_served
from tests.conftest import cli_env
from warehouse.store import open_warehouse

#: What `sippet-sync sync` runs by default (opt-in streams are off).
DEFAULT_STREAMS = selected_streams(SippetSettings.model_construct(sync_contacts=False,
                                                                  sync_gateways=False))
OTHERS_NOT_RUN = f"{len(DEFAULT_STREAMS) - 1} other stream(s) not run"

DOWN = "http://127.0.0.1:1"  # nothing listens on port 1: connection refused at once
ONE_REQUEST = {"SIPPET_MAX_ATTEMPTS": "3", "SIPPET_RETRY_BUDGET_SECONDS": "5"}


def _stream_statuses(stdout: str) -> dict[str, str]:
    rows = [line.split() for line in stdout.splitlines()]
    return {r[0]: r[1] for r in rows if len(r) > 1 and r[1] in ("succeeded", "failed",
                                                                  "skipped")}


def test_down_host_is_one_line_after_one_requests_retries_and_stops_every_stream(sim, warehouse):
    env = {**cli_env(sim, warehouse), "SIPPET_BASE_URL": DOWN, **ONE_REQUEST}
    result = cli(["sync"], env)
    assert_one_line(result, 1, "cannot reach http://127.0.0.1:1", "check SIPPET_BASE_URL",
                    "gave up after 3 attempt(s)", OTHERS_NOT_RUN)
    assert "attempt 1/3" not in result.stderr  # retry warnings are -v only, as the help says
    first, *others = [spec.name for spec in DEFAULT_STREAMS]
    assert _stream_statuses(result.stdout) == {first: "failed",
                                               **dict.fromkeys(others, "skipped")}
    assert "built" not in result.stdout  # no model build after a failed sync


def test_verbose_shows_the_retries_of_one_request_only(sim, warehouse):
    env = {**cli_env(sim, warehouse), "SIPPET_BASE_URL": DOWN, **ONE_REQUEST}
    result = cli(["-v", "sync", "--no-models"], env)
    assert result.returncode == 1
    retries = [line for line in result.stderr.splitlines() if "failed (connection error" in line]
    assert len(retries) == 2, result.stderr  # attempts 1/3 and 2/3 of list_calls, then stop
    assert all("list_calls: attempt" in line for line in retries)
    assert "Traceback" not in result.stderr


def test_refused_key_sends_one_request_and_names_the_key(sim, warehouse):
    env = {**cli_env(sim, warehouse), "SIPPET_API_KEY": "sk_wrong_but_secret"}
    result = cli(["sync"], env)
    line = assert_one_line(result, 1, "AuthenticationError", "refused the key",
                           "check SIPPET_API_KEY", OTHERS_NOT_RUN)
    assert "sk_wrong_but_secret" not in result.stdout + result.stderr
    assert requests_served(sim) == 1, line


def test_wrong_base_url_sends_one_request_and_names_the_setting(sim, warehouse):
    env = {**cli_env(sim, warehouse), "SIPPET_BASE_URL": f"{sim.url}/v2"}
    result = cli(["sync"], env)
    assert_one_line(result, 1, "HTTP 404", "check SIPPET_BASE_URL",
                    OTHERS_NOT_RUN)
    # (the simulator does not count requests to unknown paths; the skipped streams show
    # that no other request followed)


def test_verify_with_the_api_unreachable_is_one_line(sim, warehouse):
    open_warehouse(warehouse).close()  # an existing (empty) warehouse
    env = {**cli_env(sim, warehouse), "SIPPET_BASE_URL": DOWN, **ONE_REQUEST}
    result = cli(["verify", "--days", "1"], env)
    assert_one_line(result, 1, "ApiUnreachableError", "cannot reach http://127.0.0.1:1")


def test_verify_with_a_refused_key_is_one_line(sim, warehouse):
    open_warehouse(warehouse).close()
    env = {**cli_env(sim, warehouse), "SIPPET_API_KEY": "sk_refused"}
    result = cli(["verify", "--days", "1"], env)
    assert_one_line(result, 1, "AuthenticationError", "check SIPPET_API_KEY")
    assert "sk_refused" not in result.stdout + result.stderr


def test_window_sync_gives_no_false_future_cursor_warning(sim, warehouse):
    env = cli_env(sim, warehouse)
    assert cli(["sync", "--no-models"], env).returncode == 0
    now = sim.simulator.now
    since, until = (now - timedelta(days=2)).isoformat(), (now - timedelta(days=1)).isoformat()
    window = cli(["sync", "--no-models", "--since", since, "--until", until], env)
    assert window.returncode == 0, window.stdout + window.stderr
    assert "future" not in window.stdout + window.stderr
    assert "warning" not in window.stdout + window.stderr
    con = duckdb.connect(warehouse, read_only=True)
    modes = con.execute("SELECT DISTINCT mode FROM sippet._sync_runs ORDER BY 1").fetchall()
    con.close()
    assert modes == [("incremental",), ("window",)]
