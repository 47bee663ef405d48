"""Shared checks of the CLI test matrix: one line, the exit code, no traceback."""

from __future__ import annotations

import os
import subprocess

from tests.conftest import run_cli


def bare_env(**extra: str) -> dict[str, str]:
    """The environment without any SIPPET_* setting (a newcomer's shell), plus `extra`."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("SIPPET_")}
    env.update(extra)
    return env


def assert_one_line(result: subprocess.CompletedProcess, code: int, *needles: str) -> str:
    """The run exited `code` with one `error:` line on stderr holding every needle."""
    output = result.stdout + result.stderr
    assert result.returncode == code, output
    assert "Traceback" not in output, output
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("error: "), lines
    for needle in needles:
        assert needle in lines[0], lines[0]
    return lines[0]


def requests_served(server) -> int:
    return server.simulator.stats_summary()["requests"]


def cli(args: list[str], env: dict[str, str], timeout: float = 60):
    return run_cli(args, env, timeout=timeout)
