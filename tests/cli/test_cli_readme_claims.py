"""Claims = tests: every command, option and setting the README's CLI part names exists and
does what the README says (behaviour is checked by the other tests of tests/cli/)."""

from __future__ import annotations

import re

import pytest

from pipelines.cli import cli
from pipelines.settings import SippetSettings, load_settings
from tests.conftest import ROOT

README = (ROOT / "README.md").read_text()
COMMANDS = README[README.index("| command | what it does |"):README.index("| exit code |")]
CONFIG = README[README.index("### Configuration"):README.index("## Tables")]

#: A valid non-default value per variable of the configuration table, and the field it sets.
VALUES = {
    "SIPPET_API_KEY": "sk_claims_test",
    "SIPPET_BASE_URL": "http://127.0.0.1:9",
    "SIPPET_WAREHOUSE": "elsewhere.duckdb",
    "SIPPET_PAGE_SIZE": "50",
    "SIPPET_LOOKBACK_MINUTES": '{"calls": 5}',
    "SIPPET_COMMIT_EVERY_PAGES": "3",
    "SIPPET_MAX_CONCURRENCY": "8",
    "SIPPET_DUCKDB_MEMORY_LIMIT": "256MB",
    "SIPPET_DUCKDB_CHECKPOINT_THRESHOLD": "1GB",
    "SIPPET_START_DATE": "2024-01-01T00:00:00Z",
    "SIPPET_CONNECT_TIMEOUT": "2",
    "SIPPET_READ_TIMEOUT": "7",
    "SIPPET_MAX_ATTEMPTS": "2",
    "SIPPET_RETRY_BUDGET_SECONDS": "9",
    "SIPPET_MAX_RETRY_AFTER_SECONDS": "11",
    "SIPPET_VERIFY_TLS": "false",
}


def test_configuration_table_names_exactly_the_tested_variables():
    assert set(re.findall(r"SIPPET_[A-Z_]+[A-Z]", CONFIG)) == set(VALUES)


@pytest.mark.parametrize("name", sorted(VALUES))
def test_each_variable_of_the_table_is_read_from_the_environment(monkeypatch, name):
    field = name.removeprefix("SIPPET_").lower()
    default = getattr(SippetSettings.model_construct(), field, None)
    monkeypatch.setenv(name, VALUES[name])
    value = getattr(load_settings(), field)
    assert value != default, name


def test_no_motherduck_target_is_offered():
    # md: (MotherDuck) cannot be tested here, so it is not offered anywhere.
    assert "md:" not in README
    assert "md:" not in (SippetSettings.model_fields["warehouse"].description or "")


def test_every_command_and_option_of_the_command_table_exists():
    rows = [line for line in COMMANDS.splitlines() if line.startswith("| `sippet-sync ")]
    assert len(rows) == len(cli.commands) == 7
    for row in rows:
        usage = row.split("`")[1]
        name = usage.split()[1]
        command = cli.commands[name]
        options = {opt for param in command.params for opt in param.opts + param.secondary_opts}
        for option in re.findall(r"--[a-z][a-z-]*", row):
            assert option in options, (name, option)
    for name in ("sync", "status", "build-models", "verify"):
        assert any("--warehouse" in p.opts for p in cli.commands[name].params), name
    assert {"--verbose", "-v", "--debug"} <= {o for p in cli.params for o in p.opts}


def test_exit_codes_of_the_readme_are_the_cli_s():
    from pipelines import cli_errors

    table = README[README.index("| exit code |"):]
    documented = {int(code) for code in re.findall(r"^\| (\d+) \|", table, re.MULTILINE)}
    codes = {cli_errors.EXIT_OK, cli_errors.EXIT_FAILED, cli_errors.EXIT_USAGE,
             cli_errors.EXIT_LOCKED, cli_errors.EXIT_BUG}
    assert documented == codes
    for code in codes:
        assert f"{code} " in cli_errors.EXIT_CODES_HELP
