"""Validated records -> one Arrow table per batch, the bulk-load format DuckDB reads directly."""

from __future__ import annotations

import types
import typing
from datetime import datetime
from decimal import Decimal
from functools import cache
from typing import Any

import orjson
import pyarrow as pa
from pydantic import AwareDatetime

from pipelines.models import SippetRecord, api_fields
from pipelines.validate import json_fields

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
    if base is Decimal:  # money: exact, as DECIMAL(18,6) in the table
        return pa.decimal128(18, 6)
    if base is bool:
        return pa.bool_()
    if base is int:
        return pa.int64()
    if base is float:
        return pa.float64()
    if base is str:
        return pa.string()
    return pa.string()  # dicts / lists / unions of them: JSON text


class NotJsonContainer(TypeError):
    """A map field (tokenUsage, payload, ...) held something other than an object or array."""


def records_to_arrow(model: type[SippetRecord], records: list[dict[str, Any]]) -> pa.Table:
    """Columnar copy of validated records (dicts keyed by API field name).

    Raises `NotJsonContainer` for a map field that is not an object/array, and
    `pa.ArrowException`/`UnicodeError` for text Arrow cannot encode (lone surrogates).
    """
    schema = arrow_schema(model)
    maps = json_fields(model)
    arrays = []
    for fld, alias in zip(schema, api_fields(model), strict=True):
        values = [record[alias] for record in records]
        if fld.name in maps:
            values = [_json_text(alias, v) for v in values]
        arrays.append(pa.array(values, type=fld.type))
    return pa.Table.from_arrays(arrays, schema=schema)


def _json_text(alias: str, value: Any) -> str | None:
    if value is None:
        return None
    if type(value) not in (dict, list):
        raise NotJsonContainer(f"field {alias}: expected a JSON object or array, got {value!r:.80}")
    return orjson.dumps(value).decode()
