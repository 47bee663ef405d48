"""The error hierarchy and the log-redaction backstop."""

from __future__ import annotations

import io
import logging
import pickle

import pytest

from pipelines.errors import (
    AuthenticationError,
    MalformedResponseError,
    PaginationError,
    RpcError,
    SippetError,
    TransientError,
    fill_placeholders,
)
from pipelines.redaction import MASK, install_log_redaction, redact

SECRET = "sk_live_redaction_test_secret_42"


@pytest.mark.parametrize(
    "cls",
    [
        AuthenticationError,
        TransientError,
        MalformedResponseError,
        PaginationError,
            RpcError,
    ],
)
def test_every_error_is_a_sippet_error(cls: type) -> None:
    assert issubclass(cls, SippetError)


def test_fill_placeholders() -> None:
    assert fill_placeholders("%{a} and %{b}", {"a": 1, "b": "x"}) == "1 and x"
    assert fill_placeholders("%{missing} stays", {"a": 1}) == "%{missing} stays"
    assert fill_placeholders("no vars %{a}", None) == "no vars %{a}"


def test_rpc_error_from_envelope_error() -> None:
    error = RpcError.from_error(
        "list_calls",
        {"type": "invalid_keyset", "message": "bad cursor %{cursor}", "vars": {"cursor": "g2"}},
        request={"limit": 2, "after": "g2"},
    )
    assert error.message == "list_calls: invalid_keyset: bad cursor g2"
    assert error.type == "invalid_keyset" and error.action == "list_calls"
    no_type = RpcError.from_error("a", {"code": "internal_error", "message": "oops"})
    assert str(no_type) == "a: internal_error: oops"


def test_context_names_stream_page_and_request() -> None:
    error = SippetError("list_calls: gave up", action="list_calls", stream="calls", page=7,
                        request={"limit": 5})
    assert str(error) == "list_calls: gave up [stream calls, page 7, request {'limit': 5}]"


def test_errors_survive_pickling_with_context() -> None:
    error = RpcError("a", "forbidden", "no %{x}", {"x": 1})
    error.stream, error.page = "s", 2
    copy = pickle.loads(pickle.dumps(error))
    assert type(copy) is RpcError
    assert str(copy) == str(error) and copy.vars == {"x": 1}


def test_redact_masks_every_occurrence() -> None:
    assert redact(f"a {SECRET} b {SECRET}", [SECRET]) == f"a {MASK} b {MASK}"
    assert redact("short secrets are ignored: abc", ["abc"]) == "short secrets are ignored: abc"


def test_installed_filter_masks_root_handler_output() -> None:
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    root = logging.getLogger()
    root.addHandler(handler)
    try:
        install_log_redaction(SECRET)
        logger = logging.getLogger("tests.redaction")
        logger.warning("header x-api-key: %s", SECRET)
        try:
            raise ValueError(SECRET)
        except ValueError:
            logger.exception("failed")
    finally:
        root.removeHandler(handler)
    assert SECRET not in stream.getvalue()
    assert stream.getvalue().count(MASK) == 2
    assert logging.getLogger("httpx").level >= logging.WARNING
    assert logging.getLogger("httpcore").level >= logging.WARNING
