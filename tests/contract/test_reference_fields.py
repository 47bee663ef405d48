"""The contract is Sippet's own reference: each stream selects exactly the selectable fields of
its resource in `../shared/reference/sippet-rpc-actions.txt`, so a field added (or renamed)
upstream fails here instead of going unnoticed. Unknown fields in responses only warn."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from pipelines.models import EXCLUDED_FIELDS
from pipelines.streams import STREAMS

# ../shared beside the repo root; SIPPET_SHARED_DIR overrides it (a git worktree elsewhere)
REFERENCE = (Path(os.environ.get("SIPPET_SHARED_DIR")
                  or Path(__file__).resolve().parents[2].parent / "shared")
             / "reference" / "sippet-rpc-actions.txt")


def selectable_fields(text: str) -> dict[str, list[str]]:
    """Resource -> fields, from the reference's "Selectable fields (fields)" section."""
    section = text.split("Selectable fields (fields)", 1)[1]
    fields: dict[str, list[str]] = {}
    resource = None
    for line in section.splitlines():
        stripped = line.strip()
        if stripped.startswith("•") and resource and resource not in fields:
            fields[resource] = [f.strip() for f in stripped.lstrip("•").split(",")]
        elif stripped and not stripped.startswith("•"):
            resource = stripped
    return fields


@pytest.fixture(scope="module")
def reference() -> dict[str, list[str]]:
    if not REFERENCE.exists():
        if os.environ.get("CI"):
            pytest.fail(f"the API reference is missing at {REFERENCE}")
        pytest.skip(f"the API reference is not beside this clone ({REFERENCE})")
    return selectable_fields(REFERENCE.read_text())


def test_the_reference_parses(reference):
    assert reference["Call"][:3] == ["id", "direction", "fromNumber"]
    assert "occurredAt" in reference["CallAiAuditEvent"]
    assert len(reference) >= 15


@pytest.mark.parametrize("name", [n for n, s in STREAMS.items() if s.selects_fields])
def test_stream_selects_every_selectable_field_of_its_resource(reference, name):
    """...except the documented exclusions (`EXCLUDED_FIELDS`: the gateway password)."""
    spec = STREAMS[name]
    resource = spec.model.__name__
    assert resource in reference, f"{name}: resource {resource} not in the reference"
    excluded = EXCLUDED_FIELDS.get(resource, {})
    assert set(excluded) <= set(reference[resource]), f"{name}: stale exclusion {excluded}"
    expected = [f for f in reference[resource] if f not in excluded]
    assert spec.fields == expected, (
        f"{name}: fields differ from the reference for {resource}: "
        f"missing {sorted(set(expected) - set(spec.fields))}, "
        f"not in the reference {sorted(set(spec.fields) - set(reference[resource]))}"
    )


def test_a_field_added_upstream_is_noticed():
    text = "Selectable fields (fields)\n\nCall\n  • id, direction, sentimentScore\n"
    assert selectable_fields(text) == {"Call": ["id", "direction", "sentimentScore"]}


def test_the_only_exclusion_is_the_gateway_password():
    assert {r: set(f) for r, f in EXCLUDED_FIELDS.items()} == {"Gateway": {"password"}}
