""""Adding a stream is a declaration": a registered stream needs its spec, its model and its
migration table, and the simulator must serve its action; everything else (the sync's stream
list, the truth helpers' resource, the Dagster raw assets) derives from the registry. This
test names what a new stream still lacks, so a forgotten piece fails here, not in an e2e run."""

from __future__ import annotations

import dataclasses

import duckdb
import pytest
from pydantic import Field

from pipelines.models import EXCLUDED_FIELDS, RESOURCE_MODELS, SippetRecord
from pipelines.settings import SippetSettings
from pipelines.simulator.catalogue import CATALOGUE
from pipelines.simulator.core import RESOURCES
from pipelines.simulator.rpc import LIST_ACTIONS
from pipelines.streams import STREAMS, StreamKind, StreamSpec
from tests.truth import resource_of
from warehouse.schema import migrate


@pytest.fixture(scope="module")
def con():
    connection = duckdb.connect()
    migrate(connection)
    yield connection
    connection.close()


def _table_columns(con: duckdb.DuckDBPyConnection, spec: StreamSpec) -> list[str]:
    schema, table = spec.table.split(".")
    return [r[0] for r in con.execute(
        "SELECT column_name FROM information_schema.columns WHERE table_schema = ? AND "
        "table_name = ? ORDER BY ordinal_position", [schema, table]).fetchall()]


def declaration_problems(con: duckdb.DuckDBPyConnection, spec: StreamSpec) -> list[str]:
    """What stream `spec` lacks besides its declaration (empty: nothing)."""
    problems = []
    bookkeeping = ["_first_seen_at"] if spec.kind is StreamKind.NEW_IDS else []
    columns = _table_columns(con, spec)
    if not columns:
        problems.append(f"{spec.name}: no table {spec.table} in warehouse/migrations")
    elif sorted(columns) != sorted([*spec.columns, *bookkeeping, "_synced_at"]):
        problems.append(f"{spec.name}: migration columns {columns} != model {spec.columns}")
    elif spec.final_when:
        con.execute(f"SELECT count(*) FROM {spec.table} WHERE {spec.final_when}")
    resource = resource_of(spec)
    if spec.selects_fields:
        if LIST_ACTIONS.get(spec.action) != resource or resource not in RESOURCES:
            problems.append(f"{spec.name}: the simulator does not serve {spec.action}")
        elif [f for f in CATALOGUE[resource] if f not in EXCLUDED_FIELDS.get(resource, {})
              ] != spec.fields:
            problems.append(f"{spec.name}: model fields differ from the simulator catalogue")
        if RESOURCE_MODELS.get(resource) is not spec.model:
            problems.append(f"{spec.name}: {resource} missing from models.RESOURCE_MODELS")
    if spec.opt_in is not None and SippetSettings.model_fields.get(spec.opt_in) is None:
        problems.append(f"{spec.name}: no setting {spec.opt_in} to opt in")
    return problems


@pytest.mark.parametrize("name", list(STREAMS))
def test_every_registered_stream_is_complete(con, name):
    assert declaration_problems(con, STREAMS[name]) == []


class Voicemail(SippetRecord):
    """A resource nobody has added yet."""

    duration_seconds: int | None = Field(description="Length.")


def test_a_stream_declared_alone_is_reported_with_what_it_lacks(con):
    spec = dataclasses.replace(STREAMS["queues"], name="voicemails", action="list_voicemails",
                               model=Voicemail, opt_in="sync_voicemails")
    assert declaration_problems(con, spec) == [
        "voicemails: no table sippet.voicemails in warehouse/migrations",
        "voicemails: the simulator does not serve list_voicemails",
        "voicemails: Voicemail missing from models.RESOURCE_MODELS",
        "voicemails: no setting sync_voicemails to opt in",
    ]


def test_opt_in_settings_default_off():
    settings = SippetSettings()
    assert {n: getattr(settings, s.opt_in) for n, s in STREAMS.items() if s.opt_in} == {
        "contacts": False, "gateways": False}


def test_the_cli_offers_every_registered_stream():
    from pipelines.cli import sync as sync_command

    (stream_option,) = [p for p in sync_command.params if p.name == "streams"]
    assert tuple(stream_option.type.choices) == tuple(STREAMS)
