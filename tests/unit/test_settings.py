"""SippetSettings: defaults, SIPPET_* environment, validation, and the secret key."""

from __future__ import annotations

import os
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path

import pytest
from pydantic import ValidationError

from pipelines.errors import AuthenticationError
from pipelines.settings import SippetSettings

KEY = "sk_live_settings_test_key_987"


@pytest.fixture(autouse=True)
def clean_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """No SIPPET_* variables and no stray .env from the developer's checkout."""
    for name in list(os.environ):
        if name.startswith("SIPPET_"):
            monkeypatch.delenv(name)
    monkeypatch.chdir(tmp_path)


def test_defaults_match_the_contract() -> None:
    s = SippetSettings()
    assert s.base_url == "https://api.sippet.ai"
    assert s.api_key is None
    assert (s.page_size, s.connect_timeout, s.read_timeout) == (250, 5.0, 60.0)
    assert (s.max_attempts, s.retry_budget_seconds, s.max_retry_after_seconds) == (6, 120.0, 60.0)
    assert s.verify_tls is True
    assert s.warehouse == "data/warehouse.duckdb"
    assert s.start_date == datetime(2020, 1, 1, tzinfo=UTC)
    assert s.lookback_minutes == {"calls": 180, "call_transcripts": 90, "call_ai_audit_events": 90}
    assert s.commit_every_pages == 25


def test_reads_prefixed_environment_when_instantiated(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SIPPET_API_KEY", KEY)
    monkeypatch.setenv("SIPPET_PAGE_SIZE", "120")
    monkeypatch.setenv("SIPPET_BASE_URL", "http://127.0.0.1:8000/")
    monkeypatch.setenv("SIPPET_VERIFY_TLS", "false")
    monkeypatch.setenv("SIPPET_START_DATE", "2025-06-01T02:00:00+02:00")
    s = SippetSettings()
    assert s.require_api_key() == KEY
    assert s.page_size == 120
    assert s.base_url == "http://127.0.0.1:8000"
    assert s.verify_tls is False
    assert s.start_date == datetime(2025, 6, 1, tzinfo=UTC)


def test_lookback_json_overrides_and_keeps_other_defaults(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SIPPET_LOOKBACK_MINUTES", '{"calls": 30, "new_stream": 5}')
    assert SippetSettings().lookback_minutes == {
        "calls": 30,
        "call_transcripts": 90,
        "call_ai_audit_events": 90,
        "new_stream": 5,
    }


def test_dotenv_file_is_read(tmp_path: Path) -> None:
    (tmp_path / ".env").write_text(f"SIPPET_API_KEY={KEY}\nSIPPET_OTHER_THING=1\n")
    assert SippetSettings().require_api_key() == KEY


@pytest.mark.parametrize("size", [0, 251, -1])
def test_page_size_must_be_1_to_250(size: int) -> None:
    with pytest.raises(ValidationError, match="page_size"):
        SippetSettings(page_size=size)


def test_naive_start_date_is_refused() -> None:
    with pytest.raises(ValidationError, match="start_date"):
        SippetSettings(start_date="2025-01-01T00:00:00")


@pytest.mark.parametrize("key", [None, "", "   "])
def test_require_api_key_explains_what_to_set(key: str | None) -> None:
    with pytest.raises(AuthenticationError, match="SIPPET_API_KEY is not set"):
        SippetSettings(api_key=key).require_api_key()


def test_key_never_shows_in_repr_str_or_dump() -> None:
    s = SippetSettings(api_key=KEY)
    for text in (repr(s), str(s), str(s.model_dump()), s.model_dump_json()):
        assert KEY not in text


def test_import_reads_nothing() -> None:
    # A fresh interpreter, so reloading cannot leave two SippetSettings classes around.
    code = "import pipelines.settings, pipelines.client, pipelines.paging, pipelines.windows"
    env = {**os.environ, "SIPPET_PAGE_SIZE": "not a number", "SIPPET_API_KEY": ""}
    done = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
