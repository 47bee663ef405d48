"""The real `dagster-webserver`, started from the repo root as a user would, serves our graph."""

import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.dagster.dagster_harness import REPO_ROOT, load_snapshot

SECRET = "sk_test_webserver_secret_4711"
WEBSERVER = str(Path(sys.executable).parent / "dagster-webserver")

ASSET_NODES = """
{ assetNodes { assetKey { path } groupName dependencyKeys { path }
    automationCondition { label }
    internalFreshnessPolicy { ... on TimeWindowFreshnessPolicy {
      failWindowSeconds warnWindowSeconds } }
    assetChecksOrError { ... on AssetChecks { checks { name blocking } } } } }
"""
#: What the UI shows per asset, as in the snapshot (run config is not part of this query).
SHOWN = ("group", "deps", "checks", "blocking_checks", "automation", "freshness")
SENSORS = """
{ sensorsOrError(repositorySelector: {repositoryLocationName: "sippet_warehouse",
    repositoryName: "__repository__"}) {
  ... on Sensors { results { name sensorType sensorState { status } } } } }
"""
SIPPET_RESOURCE = """
{ topLevelResourceDetailsOrError(resourceSelector: {repositoryLocationName: "sippet_warehouse",
    repositoryName: "__repository__", resourceName: "sippet"}) {
  ... on ResourceDetails { configuredValues { key value type } } } }
"""


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture
def webserver(dagster_home: Path) -> Iterator[str]:
    """dagster-webserver on a free loopback port, code location found via pyproject.toml."""
    port = _free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("SIPPET_")}
    env.update(DAGSTER_HOME=str(dagster_home), SIPPET_API_KEY=SECRET)
    proc = subprocess.Popen(
        [WEBSERVER, "-h", "127.0.0.1", "-p", str(port)],
        cwd=REPO_ROOT,
        env=env,
        start_new_session=True,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            assert proc.poll() is None, proc.stderr.read().decode()[-2000:]
            try:
                if httpx.get(f"{url}/server_info", timeout=1).status_code == 200:
                    break
            except httpx.TransportError:
                time.sleep(0.3)
        else:
            pytest.fail("dagster-webserver did not start within 60 s")
        yield url
    finally:
        os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()


def _query(url: str, query: str) -> dict:
    response = httpx.post(f"{url}/graphql", json={"query": query}, timeout=30)
    response.raise_for_status()
    body = response.json()
    assert "errors" not in body, body
    return body["data"]


def test_webserver_serves_the_snapshot_graph_and_hides_the_key(webserver: str) -> None:
    nodes = _query(webserver, ASSET_NODES)["assetNodes"]
    served = {
        "/".join(n["assetKey"]["path"]): {
            "group": n["groupName"],
            "deps": sorted("/".join(d["path"]) for d in n["dependencyKeys"]),
            "checks": sorted(c["name"] for c in n["assetChecksOrError"]["checks"]),
            "blocking_checks": sorted(
                c["name"] for c in n["assetChecksOrError"]["checks"] if c["blocking"]
            ),
            "automation": (n["automationCondition"] or {}).get("label"),
            "freshness": n["internalFreshnessPolicy"]
            and {
                "fail_seconds": n["internalFreshnessPolicy"]["failWindowSeconds"],
                "warn_seconds": n["internalFreshnessPolicy"]["warnWindowSeconds"],
            },
        }
        for n in nodes
    }
    snapshot = load_snapshot()["assets"]
    assert served == {key: {f: node[f] for f in SHOWN} for key, node in snapshot.items()}

    sensors = _query(webserver, SENSORS)["sensorsOrError"]["results"]
    # the sensor that evaluates the automation conditions; it starts stopped, like the
    # schedule, so nothing calls the API until someone turns it on
    assert [(x["name"], x["sensorType"], x["sensorState"]["status"]) for x in sensors] == [
        ("default_automation_condition_sensor", "AUTO_MATERIALIZE", "STOPPED")
    ]

    resource = _query(webserver, SIPPET_RESOURCE)["topLevelResourceDetailsOrError"]
    api_key = {v["key"]: v for v in resource["configuredValues"]}["api_key"]
    assert (api_key["type"], api_key["value"]) == ("ENV_VAR", "SIPPET_API_KEY")
    assert SECRET not in str(resource)
