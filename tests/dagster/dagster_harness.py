"""Helpers for the Dagster tests: the asset graph as plain JSON, and the repo's paths."""

import json
import shutil
import subprocess
import sys
from pathlib import Path

import dagster as dg

from pipelines.streams import STREAMS

REPO_ROOT = Path(__file__).resolve().parents[2]
SNAPSHOT = Path(__file__).parent / "asset_graph.json"


def make_dagster_home(path: Path) -> Path:
    """A DAGSTER_HOME at `path` holding a copy of the repo's instance config."""
    path.mkdir(parents=True, exist_ok=True)
    shutil.copy(REPO_ROOT / "dagster.yaml", path / "dagster.yaml")
    return path


def freshness_of(policy) -> dict | None:
    """A TimeWindowFreshnessPolicy as plain seconds (None when the asset has none)."""
    if policy is None:
        return None
    return {
        "fail_seconds": int(policy.fail_window.to_timedelta().total_seconds()),
        "warn_seconds": int(policy.warn_window.to_timedelta().total_seconds()),
    }


def graph_of(defs: dg.Definitions) -> dict:
    """Per asset: group, deps, checks (and which block), automation, freshness, run config
    fields; plus jobs, schedules and sensors. All sorted."""
    graph = defs.resolve_asset_graph()
    blocking = {
        spec.key
        for checks in defs.asset_checks or []
        for spec in checks.check_specs
        if spec.blocking
    } | {spec.key for a in graph.assets_defs for spec in a.check_specs if spec.blocking}
    assets = {}
    for key in sorted(graph.get_all_asset_keys(), key=lambda k: k.to_user_string()):
        node = graph.get(key)
        assets_def = graph.assets_def_for_key(key)
        config = assets_def.op.config_schema.config_type if assets_def.op.config_schema else None
        assets[key.to_user_string()] = {
            "group": node.group_name,
            "deps": sorted(parent.to_user_string() for parent in node.parent_keys),
            "checks": sorted(check.name for check in node.check_keys),
            "blocking_checks": sorted(c.name for c in node.check_keys if c in blocking),
            "automation": node.automation_condition.get_label()
            if node.automation_condition
            else None,
            "freshness": freshness_of(node.freshness_policy),
            "config": sorted(config.fields)
            if config is not None and config.kind.name == "STRICT_SHAPE"
            else [],
        }
    repo = defs.get_repository_def()
    jobs = sorted(j.name for j in repo.get_all_jobs())
    return {
        "assets": assets,
        "jobs": [j for j in jobs if not j.startswith("__")],
        "schedules": {s.name: s.cron_schedule for s in repo.schedule_defs},
        "sensors": sorted(s.name for s in repo.sensor_defs),
    }


def load_snapshot() -> dict:
    return json.loads(SNAPSHOT.read_text())


def write_snapshot(graph: dict) -> None:
    SNAPSHOT.write_text(json.dumps(graph, indent=2, sort_keys=True) + "\n")


def materialize_every_stream(env: dict[str, str], *, timeout: float) -> str:
    """Run `dagster asset materialize` of every raw asset in a child process; its output.

    Fails the test (with the output's tail) unless the run exits 0 and the API key is absent.
    """
    run = subprocess.run(
        [Path(sys.executable).parent / "dagster", "asset", "materialize",
         "-m", "assets.definitions", "--select", ",".join(f"sippet/{s}" for s in STREAMS)],
        cwd=REPO_ROOT, env=env, capture_output=True, text=True, timeout=timeout,
    )
    output = run.stdout + run.stderr
    assert run.returncode == 0, output[-4000:]
    assert env["SIPPET_API_KEY"] not in output
    return output
