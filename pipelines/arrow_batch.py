"""Validated records -> one Arrow table per batch, the bulk-load format DuckDB reads directly."""

from __future__ import annotations

import types
import typing
from datetime import datetime
from functools import cache
from typing import Any

import orjson
import pyarrow as pa
from pydantic import AwareDatetime

from pipelines.models import SippetRecord

_TIMESTAMP = pa.timestamp("us", tz="UTC")


@cache
def arrow_schema(model: type[SippetRecord]) -> pa.Schema:
    """Arrow schema of a model's columns; map fields travel as JSON text."""
    return pa.schema(
        [pa.field(name, _arrow_type(info.annotation)) for name, info in model.model_fields.items()]
    )


def _arrow_type(annotation: Any) -> pa.DataType:
    args = [a for a in typing.get_args(annotation) if a is not type(None)]
    if typing.get_origin(annotation) in (typing.Union, types.UnionType) and len(args) == 1:
        return _arrow_type(args[0])
    base = typing.get_origin(annotation) or annotation
    if typing.get_origin(annotation) is typing.Annotated:
        base = args[0]
    if base in (datetime, AwareDatetime):
        return _TIMESTAMP
    if base is bool:
        return pa.bool_()
    if base is int:
        return pa.int64()
    if base is float:
        return pa.float64()
    if base is str:
        return pa.string()
    return pa.string()  # dicts / lists / unions of them: JSON text


@cache
def _json_columns(model: type[SippetRecord]) -> frozenset[str]:
    return frozenset(
        name
        for name, info in model.model_fields.items()
        if _arrow_type(info.annotation) == pa.string() and "dict" in str(info.annotation)
    )


def records_to_arrow(model: type[SippetRecord], records: list[SippetRecord]) -> pa.Table:
    """Columnar copy of `records`; raises `pa.ArrowException`/`UnicodeError` on unencodable text."""
    schema = arrow_schema(model)
    json_columns = _json_columns(model)
    arrays = []
    for fld in schema:
        values = [getattr(record, fld.name) for record in records]
        if fld.name in json_columns:
            values = [None if v is None else orjson.dumps(v).decode() for v in values]
        arrays.append(pa.array(values, type=fld.type))
    return pa.Table.from_arrays(arrays, schema=schema)
