"""Fault-matrix helpers: fast settings, a programmable loopback proxy, consistency checks."""

from __future__ import annotations

import json
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import duckdb
import httpx
import pytest

from pipelines.streams import STREAMS, StreamKind
from tests.conftest import settings_for
from tests.truth import diff_warehouse, duplicate_ids

#: Time-cursor streams (their `_sync_state` cursor must never pass committed rows).
TIME_STREAMS = [n for n, s in STREAMS.items()
                if s.kind in (StreamKind.TIME_CURSOR, StreamKind.TIME_WINDOWS)]


@pytest.fixture(autouse=True)
def _fast_backoff(monkeypatch: pytest.MonkeyPatch) -> None:
    """Retries back off from 10 ms instead of 250 ms: same policy, quicker fault tests."""
    monkeypatch.setattr("pipelines.retrying.BACKOFF_BASE_SECONDS", 0.01)
    monkeypatch.setattr("pipelines.retrying.BACKOFF_CAP_SECONDS", 0.2)


def fast_settings(server: Any, warehouse: str, **overrides: Any):
    """Small pages, frequent commits, short timeouts and a tight retry budget."""
    values: dict[str, Any] = {"page_size": 100, "commit_every_pages": 2, "read_timeout": 1,
                              "retry_budget_seconds": 5, "max_attempts": 3, **overrides}
    return settings_for(server, warehouse, **values)


def by_stream(results: list) -> dict[str, Any]:
    """Results of the record streams (the wallet's one summary object carries no record
    hazards: its own tests are in tests/e2e/test_dimension_streams.py)."""
    return {r.stream: r for r in results if STREAMS[r.stream].kind is not StreamKind.HISTORY}


def query(warehouse: str, sql: str, params: list | None = None) -> list[tuple]:
    con = duckdb.connect(warehouse, read_only=True)
    try:
        return con.execute(sql, params or []).fetchall()
    finally:
        con.close()


def quarantine_rows(warehouse: str) -> list[tuple]:
    return query(warehouse, "SELECT stream, record_id, field, reason FROM sippet._quarantine "
                            "ORDER BY stream, record_id")


def assert_consistent_subset(warehouse: str, simulator: Any) -> None:
    """Whatever was committed is exact: no duplicate id, no stray or wrong row (rows may be
    missing: a failed run only commits a prefix), and no cursor ahead of its rows."""
    problems = [p for p in diff_warehouse(warehouse, simulator) if " missing, " not in p]
    assert problems == []
    con = duckdb.connect(warehouse, read_only=True)
    try:
        for name in STREAMS:
            assert duplicate_ids(con, STREAMS[name]) == 0, name
        for name in TIME_STREAMS:
            spec = STREAMS[name]
            row = con.execute("SELECT cursor_value FROM sippet._sync_state WHERE stream = ?",
                              [name]).fetchone()
            if not row or row[0] is None:
                continue
            newest = con.execute(f"SELECT max({spec.cursor_column}) FROM {spec.table}"
                                 ).fetchone()[0]
            cursor = datetime.fromisoformat(row[0].replace("Z", "+00:00"))
            assert newest is not None and cursor <= newest.astimezone(UTC), (name, cursor, newest)
    finally:
        con.close()


# -- a programmable loopback HTTP server ---------------------------------------------------


@dataclass
class Seen:
    method: str
    path: str
    headers: dict[str, str]
    body: bytes


@dataclass
class Reply:
    status: int = 200
    body: bytes = b""
    headers: dict[str, str] = field(default_factory=lambda: {"content-type": "application/json"})


Handler = Callable[[Seen], Reply]


class LoopbackServer:
    """A threaded HTTP/1.1 server on 127.0.0.1 answering with `handler(request)`."""

    def __init__(self, handler: Handler) -> None:
        self.handler = handler
        self.seen: list[Seen] = []
        outer = self

        class _H(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def _serve(self) -> None:
                length = int(self.headers.get("content-length") or 0)
                body = self.rfile.read(length) if length else b""
                request = Seen(self.command, self.path,
                               {k.lower(): v for k, v in self.headers.items()}, body)
                outer.seen.append(request)
                reply = outer.handler(request)
                self.send_response(reply.status)
                for name, value in reply.headers.items():
                    self.send_header(name, value)
                self.send_header("content-length", str(len(reply.body)))
                self.end_headers()
                self.wfile.write(reply.body)

            do_POST = do_GET = _serve

            def log_message(self, *args: object) -> None:
                return None

        self._httpd = ThreadingHTTPServer(("127.0.0.1", 0), _H)
        self._httpd.daemon_threads = True
        self._thread = threading.Thread(target=self._httpd.serve_forever, daemon=True)
        self._thread.start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self._httpd.server_address[1]}"

    def close(self) -> None:
        self._httpd.shutdown()
        self._httpd.server_close()


@pytest.fixture
def loopback() -> Iterator[Callable[[Handler], LoopbackServer]]:
    servers: list[LoopbackServer] = []

    def start(handler: Handler) -> LoopbackServer:
        servers.append(LoopbackServer(handler))
        return servers[-1]

    yield start
    for server in servers:
        server.close()


def forwarding(upstream: str, mutate: Callable[[str, list[dict]], None] | None = None,
               raw: Callable[[bytes], bytes] | None = None) -> Handler:
    """A proxy to `upstream` that can rewrite the records of successful RPC answers:
    `mutate(action, records)` in place, or `raw(body)` on the serialized answer."""
    http = httpx.Client(base_url=upstream, timeout=30)

    def handle(request: Seen) -> Reply:
        headers = {k: v for k, v in request.headers.items()
                   if k in ("x-api-key", "content-type", "accept")}
        upstream_reply = http.post(request.path, content=request.body, headers=headers)
        body = upstream_reply.content
        if mutate is not None and upstream_reply.status_code == 200:
            envelope = json.loads(body)
            # an object without `results` (the wallet summary) carries no records to mutate
            if envelope.get("success") and (isinstance(envelope["data"], list)
                                            or "results" in envelope["data"]):
                data = envelope["data"]
                records = data if isinstance(data, list) else data["results"]
                mutate(json.loads(request.body)["action"], records)
                body = json.dumps(envelope).encode()
        if raw is not None:
            body = raw(body)
        return Reply(upstream_reply.status_code, body,
                     {"content-type": upstream_reply.headers.get("content-type", "")})

    return handle
