"""Fixtures for the lake tests: a Postgres catalog database per test, data on moto's S3."""

from __future__ import annotations

import itertools
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import boto3
import pytest

from tests.lake import servers

BUCKET = "sippet-lake"


@dataclass(frozen=True)
class Lake:
    """A lake target and the environment (data path, S3 credentials) that opens it."""

    target: str
    env: dict[str, str]
    database: str = ""


@pytest.fixture(scope="session")
def pg_port(tmp_path_factory: pytest.TempPathFactory) -> Iterator[int]:
    with servers.postgres(tmp_path_factory.mktemp("pg")) as port:
        yield port


@pytest.fixture(scope="session")
def pg_databases(pg_port: int) -> Iterator[Iterator[str]]:
    """Names of fresh databases, unique to this session; all dropped at the end."""
    prefix = f"sippet_lake_test_{uuid.uuid4().hex[:8]}"
    made: list[str] = []

    def names() -> Iterator[str]:
        for n in itertools.count():
            name = f"{prefix}_{n}"
            servers.admin(pg_port, f"CREATE DATABASE {name}")
            made.append(name)
            yield name

    yield names()
    for name in made:
        servers.admin(pg_port, f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")


@pytest.fixture(scope="session")
def s3_endpoint(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    with servers.s3_server(tmp_path_factory.mktemp("s3")) as endpoint:
        s3 = boto3.client("s3", endpoint_url=endpoint, region_name="us-east-1",
                          aws_access_key_id="lake-test", aws_secret_access_key="unused")
        s3.create_bucket(Bucket=BUCKET)
        yield endpoint


@pytest.fixture
def pg_lake(pg_port: int, pg_databases: Iterator[str], s3_endpoint: str,
            request: pytest.FixtureRequest) -> Lake:
    """A Postgres-catalog lake with its data on the S3 server; a secret no test may leak."""
    database = next(pg_databases)
    env = {
        "SIPPET_LAKE_DATA_PATH": f"s3://{BUCKET}/{database}/",
        "AWS_ACCESS_KEY_ID": "lake-test",
        "AWS_SECRET_ACCESS_KEY": f"lake-secret-{uuid.uuid4().hex}",
        "AWS_REGION": "us-east-1",
        "AWS_ENDPOINT_URL": s3_endpoint,
    }
    target = f"ducklake:postgres:dbname={database} host=127.0.0.1 port={pg_port} user=postgres"
    return Lake(target, env, database)


@pytest.fixture
def sqlite_lake(tmp_path: Path) -> Lake:
    """A one-machine lake: SQLite catalog, data files in a folder beside it."""
    return Lake(f"ducklake:sqlite:{tmp_path / 'lake' / 'catalog.sqlite'}", {})


@pytest.fixture
def sim(sim_factory):
    """Two days of the tiny simulator: the lake suite stays near a minute of work."""
    return sim_factory(days=2)
