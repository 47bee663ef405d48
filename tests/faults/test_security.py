"""Secrets and trust: the key never leaks, never follows a redirect, TLS is verified, and API
data never names a table or column."""

from __future__ import annotations

import logging
import ssl
from pathlib import Path

import duckdb
import pytest

from pipelines.client import SippetClient
from pipelines.settings import SippetSettings
from pipelines.streams import STREAMS
from pipelines.sync import sync
from tests.conftest import cli_env, run_cli
from tests.faults.conftest import Reply, by_stream, fast_settings, forwarding, query
from tests.truth import diff_warehouse


def _assert_key_absent_from_files(key: str, directory: Path) -> None:
    for path in directory.iterdir():  # the warehouse, its WAL, log files
        if path.is_file():
            assert key.encode() not in path.read_bytes(), path


def test_key_absent_from_verbose_output_logs_errors_and_warehouse_under_faults(
        sim, warehouse, loopback, tmp_path):
    """-v with retries and failures, and a proxy echoing the key in its error pages."""
    key = sim.api_key
    calls = {"n": 0}

    def echo_key(request):
        calls["n"] += 1
        if calls["n"] % 3 == 0:  # a debug proxy page echoing the request headers
            return Reply(502, f"<html><title>Bad Gateway</title>x-api-key: "
                              f"{request.headers.get('x-api-key')}</html>".encode(),
                         {"content-type": "text/html"})
        if calls["n"] % 7 == 0:  # an envelope error quoting the key
            return Reply(200, (b'{"success":false,"errors":[{"type":"forbidden","message":'
                               b'"key %{key} not allowed","vars":{"key":"' + key.encode()
                               + b'"}}]}'))
        return forwarding(sim.url)(request)

    proxy = loopback(echo_key)
    sim.simulator.set_faults(rate_limit=0.2, retry_after_seconds=0.01)
    env = {**cli_env(sim, warehouse), "SIPPET_BASE_URL": proxy.url, "SIPPET_PAGE_SIZE": "100",
           "SIPPET_MAX_ATTEMPTS": "3"}
    result = run_cli(["-v", "sync", "--no-models"], env)
    assert result.returncode == 1
    assert "attempt" in result.stderr and "error:" in result.stdout
    assert key not in result.stdout + result.stderr
    errors = query(warehouse, "SELECT error FROM sippet._sync_runs WHERE error IS NOT NULL")
    assert errors and all(key not in e[0] for e in errors)
    assert any("[REDACTED]" in e[0] for e in errors), errors
    _assert_key_absent_from_files(key, Path(warehouse).parent)


def test_key_absent_from_a_debug_log_file_and_exceptions(sim, warehouse, tmp_path):
    key = sim.api_key
    log_file = tmp_path / "sync.log"
    handler = logging.FileHandler(log_file)
    root = logging.getLogger()
    old_level = root.level
    root.addHandler(handler)
    root.setLevel(logging.DEBUG)
    try:
        sim.simulator.set_faults(server_error=0.3, drop=0.1)
        results = sync(fast_settings(sim, warehouse, max_attempts=2))
    finally:
        root.removeHandler(handler)
        root.setLevel(old_level)
        handler.close()
    text = log_file.read_text()
    assert "attempt" in text
    assert key not in text
    assert all(key not in (r.error or "") for r in results)
    _assert_key_absent_from_files(key, tmp_path)


@pytest.mark.parametrize("status", [301, 302, 303, 307, 308])
def test_redirect_is_never_followed_with_the_key(sim, warehouse, loopback, status):
    elsewhere = loopback(lambda request: Reply(200, b'{"success":true,"data":[]}'))
    redirector = loopback(lambda request: Reply(
        status, b"", {"location": f"{elsewhere.url}/rpc/public/run"}))
    settings = fast_settings(sim, warehouse).model_copy(update={"base_url": redirector.url})
    results = by_stream(sync(settings))
    assert elsewhere.seen == []  # not followed at all, so the key went nowhere else
    assert redirector.seen and all(r.headers.get("x-api-key") == sim.api_key
                                   for r in redirector.seen)
    error = results["calls"].error
    assert f"HTTP {status} redirect to host '127.0.0.1' not followed" in error, error
    assert sim.api_key not in error
    assert all(not r.ok for r in results.values())


def test_tls_verification_is_on_by_default_and_only_off_explicitly(monkeypatch):
    assert SippetSettings().verify_tls is True
    monkeypatch.setenv("SIPPET_VERIFY_TLS", "false")
    assert SippetSettings().verify_tls is False
    monkeypatch.delenv("SIPPET_VERIFY_TLS")
    client = SippetClient(SippetSettings(api_key="sk_test_key_123456"))
    try:
        context = client._http._transport._pool._ssl_context
        assert context.verify_mode == ssl.CERT_REQUIRED and context.check_hostname
    finally:
        client.close()


@pytest.mark.slow
def test_self_signed_tls_server_is_refused(sim, warehouse, tmp_path):
    """A real TLS server with a self-signed certificate: no request reaches it."""
    import socket
    import subprocess
    import threading

    cert, keyfile = tmp_path / "cert.pem", tmp_path / "key.pem"
    made = subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes",
                           "-keyout", str(keyfile), "-out", str(cert), "-days", "1",
                           "-subj", "/CN=127.0.0.1"], capture_output=True)
    if made.returncode != 0:
        pytest.skip("openssl cannot make a certificate here")
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(cert, keyfile)
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(8)
    received: list[bytes] = []

    def serve() -> None:
        while True:
            try:
                conn, _ = listener.accept()
            except OSError:
                return
            try:
                with context.wrap_socket(conn, server_side=True) as tls:
                    received.append(tls.recv(65536))
            except (ssl.SSLError, OSError):
                pass

    threading.Thread(target=serve, daemon=True).start()
    url = f"https://127.0.0.1:{listener.getsockname()[1]}"
    try:
        settings = fast_settings(sim, warehouse, max_attempts=2).model_copy(
            update={"base_url": url})
        results = sync(settings, streams=["calls"])
    finally:
        listener.close()
    assert results[0].status == "failed"
    assert "CERTIFICATE_VERIFY_FAILED" in results[0].error, results[0].error
    assert received == []


def test_unknown_field_names_never_reach_sql(sim, warehouse, loopback):
    hostile = 'id; DROP TABLE sippet.calls; --'
    quoted = 'x" VARCHAR); DROP SCHEMA sippet CASCADE; --'

    def add_fields(action: str, records: list[dict]) -> None:
        for record in records:
            record[hostile] = "boom"
            record[quoted] = 1

    proxy = loopback(forwarding(sim.url, mutate=add_fields))
    settings = fast_settings(sim, warehouse).model_copy(update={"base_url": proxy.url})
    results = sync(settings)
    assert all(r.ok for r in results), [r.error for r in results]
    for r in results:
        if STREAMS[r.stream].selects_fields:  # the wallet summary is an object, not records
            assert any(hostile in w and quoted in w for w in r.warnings), r.warnings
    con = duckdb.connect(warehouse, read_only=True)
    columns = {c[0] for c in con.execute(
        "SELECT column_name FROM information_schema.columns").fetchall()}
    con.close()
    assert not any("DROP" in c for c in columns)
    assert diff_warehouse(warehouse, sim.simulator) == []
