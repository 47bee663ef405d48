"""Helpers for the Dagster tests: the asset graph as plain JSON, and the repo's paths."""

import json
import shutil
from pathlib import Path

import dagster as dg

REPO_ROOT = Path(__file__).resolve().parents[2]
SNAPSHOT = Path(__file__).parent / "asset_graph.json"


def make_dagster_home(path: Path) -> Path:
    """A DAGSTER_HOME at `path` holding a copy of the repo's instance config."""
    path.mkdir(parents=True, exist_ok=True)
    shutil.copy(REPO_ROOT / "dagster.yaml", path / "dagster.yaml")
    return path


def graph_of(defs: dg.Definitions) -> dict:
    """Assets with group and deps, checks per asset, and jobs, all sorted."""
    graph = defs.resolve_asset_graph()
    assets = {}
    for key in sorted(graph.get_all_asset_keys(), key=lambda k: k.to_user_string()):
        node = graph.get(key)
        assets[key.to_user_string()] = {
            "group": node.group_name,
            "deps": sorted(parent.to_user_string() for parent in node.parent_keys),
            "checks": sorted(check.name for check in node.check_keys),
        }
    jobs = sorted(j.name for j in defs.get_repository_def().get_all_jobs())
    schedules = {s.name: s.cron_schedule for s in defs.get_repository_def().schedule_defs}
    return {
        "assets": assets,
        "jobs": [j for j in jobs if not j.startswith("__")],
        "schedules": schedules,
    }


def load_snapshot() -> dict:
    return json.loads(SNAPSHOT.read_text())


def write_snapshot(graph: dict) -> None:
    SNAPSHOT.write_text(json.dumps(graph, indent=2, sort_keys=True) + "\n")
