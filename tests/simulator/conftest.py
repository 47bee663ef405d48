"""Fixtures: an in-process simulator server on a free loopback port, and an RPC helper."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from pipelines.simulator import SimulatorConfig, SimulatorServer


class Rpc:
    def __init__(self, server: SimulatorServer) -> None:
        self.server = server
        self.sim = server.simulator
        self.http = httpx.Client(base_url=server.url, headers={"x-api-key": server.api_key},
                                 timeout=10)

    def raw(self, body: dict[str, Any], path: str = "/rpc/public/run") -> httpx.Response:
        return self.http.post(path, json=body)

    def call(self, action: str, **body: Any) -> dict[str, Any]:
        resp = self.raw({"action": action, **body})
        assert resp.status_code == 200, resp.text
        return resp.json()

    def data(self, action: str, **body: Any) -> Any:
        out = self.call(action, **body)
        assert out["success"] is True, out
        return out["data"]

    def error(self, action: str, **body: Any) -> dict[str, Any]:
        out = self.call(action, **body)
        assert out["success"] is False, out
        return out["errors"][0]


@pytest.fixture
def server() -> Iterator[SimulatorServer]:
    with SimulatorServer(SimulatorConfig(scale="tiny")) as srv:
        yield srv


@pytest.fixture
def rpc(server: SimulatorServer) -> Iterator[Rpc]:
    client = Rpc(server)
    yield client
    client.http.close()


@pytest.fixture
def make_rpc() -> Iterator[Any]:
    """Factory for a server with a custom config."""
    made: list[tuple[SimulatorServer, Rpc]] = []

    def make(**config: Any) -> Rpc:
        srv = SimulatorServer(SimulatorConfig(**{"scale": "tiny", **config})).start()
        client = Rpc(srv)
        made.append((srv, client))
        return client

    yield make
    for srv, client in made:
        client.http.close()
        srv.stop()
