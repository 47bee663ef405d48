"""The simulator describes the API (the public reference), not the sync engine."""

from __future__ import annotations

import ast
import os
import re
from pathlib import Path

import pytest

import pipelines.simulator as simulator_pkg
from pipelines.simulator import RESOURCES
from pipelines.simulator.catalogue import CATALOGUE, TYPES
from pipelines.simulator.rpc import LIST_ACTIONS, USER_FIELDS

# ../shared beside the repo root (absent from users' clones); SIPPET_SHARED_DIR overrides it
# for a checkout elsewhere (a git worktree, for instance)
SHARED = Path(os.environ.get("SIPPET_SHARED_DIR")
              or Path(__file__).resolve().parents[2].parent / "shared")
REFERENCE = SHARED / "reference" / "sippet-rpc-actions.txt"
SIM_DIR = Path(simulator_pkg.__file__).resolve().parent


def reference_fields(text: str) -> dict[str, list[str]]:
    """Resource -> selectable fields, from the reference's "Selectable fields" section:
    a bare resource name line followed by one bullet line with the comma-separated fields."""
    section = text.split("Selectable fields (fields)", 1)[1]
    out: dict[str, list[str]] = {}
    name = None
    for line in section.splitlines():
        stripped = line.strip()
        if re.fullmatch(r"[A-Z][A-Za-z]+", stripped):
            name = stripped
        elif stripped.startswith("\u2022") and name and name not in out:
            out[name] = [f.strip() for f in stripped.lstrip("\u2022").split(",")]
            name = None
    return out


def test_catalogue_equals_the_reference_for_every_served_resource():
    if not REFERENCE.exists():
        print(f"reference not found at {REFERENCE} (a clone without ../shared)")
        pytest.skip(f"reference not found at {REFERENCE}")
    ref = reference_fields(REFERENCE.read_text(encoding="utf-8"))
    assert len(ref) >= 15  # the parser read the whole section
    served = [*RESOURCES, "User"]
    for resource in served:
        assert list(CATALOGUE[resource]) == ref[resource], resource
    assert set(CATALOGUE) == set(served)


def test_every_field_has_a_type_of_the_type_table():
    for resource, spec in CATALOGUE.items():
        assert spec["id"] == "uuid", resource
        assert set(spec.values()) <= TYPES, resource


def test_actions_serve_the_catalogue():
    assert sorted(LIST_ACTIONS.values()) == sorted(RESOURCES)
    assert list(USER_FIELDS) == list(CATALOGUE["User"])


def _imported(node: ast.AST, package: list[str]) -> list[str]:
    """Absolute names of the modules an import statement brings in (relative resolved)."""
    if isinstance(node, ast.Import):
        return [a.name for a in node.names]
    if not isinstance(node, ast.ImportFrom):
        return []
    if not node.level:
        return [node.module or ""]
    base = package[: len(package) - node.level + 1]
    if node.module:
        return [".".join([*base, node.module])]
    return [".".join([*base, a.name]) for a in node.names]  # `from .. import sync`


def _engine_imports(path: Path, package: list[str]) -> list[str]:
    """Modules of `pipelines` outside `pipelines.simulator` that the file imports."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    names = [n for node in ast.walk(tree) for n in _imported(node, package)]
    return [n for n in names if n.split(".")[0] == "pipelines"
            and n.split(".")[:2] != ["pipelines", "simulator"]]


def test_no_simulator_module_imports_the_engine():
    modules = sorted(SIM_DIR.rglob("*.py"))
    assert len(modules) > 15
    offenders = {}
    for path in modules:
        sub = list(path.relative_to(SIM_DIR).parent.parts)
        if bad := _engine_imports(path, ["pipelines", "simulator", *sub]):
            offenders[path.name] = bad
    assert offenders == {}


def test_the_import_check_catches_an_engine_import(tmp_path):
    probe = tmp_path / "probe.py"
    probe.write_text("from pipelines.models import api_fields\nfrom .. import sync\n"
                     "import pipelines.client\nfrom .catalogue import CATALOGUE\n"
                     "from ..simulator import util\nimport orjson\n"
                     "def f():\n    from ..models import X\n")
    assert _engine_imports(probe, ["pipelines", "simulator"]) == [
        "pipelines.models", "pipelines.sync", "pipelines.client", "pipelines.models"]
