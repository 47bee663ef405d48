"""Page validation: whole pages at once on the fast path, record by record only on failure.

A record that fails validation is never dropped and never blocks its page: it becomes a
`QuarantineRow` (id, field, reason naming stream and page, raw JSON) for `sippet._quarantine`.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from functools import cache
from typing import Annotated, Any

from pydantic import ConfigDict, TypeAdapter, ValidationError
from pydantic.fields import FieldInfo
from typing_extensions import TypedDict

from pipelines.models import SippetRecord, api_fields
from warehouse.state import QuarantineRow

_MAX_VALUE_CHARS = 80
#: Quarantine key prefix of records that arrived without an id (they cannot be re-read by id).
IDLESS_PREFIX = "?no-id:"


@dataclass
class ValidatedPage:
    """Valid records as dicts keyed by API (camelCase) field name, values typed."""

    records: list[dict[str, Any]]
    rejected: list[QuarantineRow] = field(default_factory=list)
    unknown_fields: set[str] = field(default_factory=set)


@cache
def _page_adapter(model: type[SippetRecord]) -> TypeAdapter[list[dict[str, Any]]]:
    """A TypedDict twin of `model` validating a whole page in one call.

    Same field types and rules as the model, but it yields plain dicts instead of model
    instances (about 4x faster, measured), and map fields are passed through as parsed JSON
    (their container type is checked when the batch is built).
    """
    annotations = {
        info.alias or name: Any if name in json_fields(model) else _full_annotation(info)
        for name, info in model.model_fields.items()
    }
    record = TypedDict(f"{model.__name__}Record", annotations)  # type: ignore[misc]
    record.__pydantic_config__ = ConfigDict(  # type: ignore[attr-defined]
        extra="allow", allow_inf_nan=False
    )
    return TypeAdapter(list[record])


def _full_annotation(info: FieldInfo) -> Any:
    # FieldInfo.annotation drops Annotated metadata (Strict(), AfterValidator): put it back.
    return Annotated[info.annotation, *info.metadata] if info.metadata else info.annotation


@cache
def json_fields(model: type[SippetRecord]) -> frozenset[str]:
    """Snake_case names of the model's map fields (stored as JSON)."""
    return frozenset(
        name for name, info in model.model_fields.items() if "dict" in str(info.annotation)
    )


def validate_page(model: type[SippetRecord], results: Any, *, context: str) -> ValidatedPage:
    """Validate one page of raw results; `context` ("stream calls, page 3") goes in reasons."""
    if not isinstance(results, list):
        raise TypeError(f"{context}: expected a list of records, got {type(results).__name__}")
    try:
        records = _page_adapter(model).validate_python(results)
        page = ValidatedPage(records)
    except ValidationError:
        page = _validate_each(model, results, context)
    page.unknown_fields = _unknown_fields(model, page.records)
    return page


def _validate_each(model: type[SippetRecord], results: list[Any], context: str) -> ValidatedPage:
    page = ValidatedPage([])
    adapter = _page_adapter(model)
    for raw in results:
        try:
            page.records.extend(adapter.validate_python([raw]))
        except ValidationError as exc:
            page.rejected.append(reject(raw, exc, context))
    return page


def reject(raw: Any, exc: ValidationError | str, context: str, *, field: str | None = None
           ) -> QuarantineRow:
    """Describe why `raw` was refused: its id, the first failing field and value."""
    record_id = _record_id(raw)
    if isinstance(exc, str):
        reason = f"{context}: record {record_id}: {exc}"
        return QuarantineRow(record_id, field, reason, to_json(raw))
    error = exc.errors()[0]
    # loc is (index in the one-record list, field, ...): keep the field path.
    field_name = ".".join(str(part) for part in error["loc"][1:]) or None
    value = _truncate(repr(error.get("input")))
    reason = f"{context}: record {record_id}: field {field_name}: {error['msg']} (value: {value})"
    if len(exc.errors()) > 1:
        reason += f" [+{len(exc.errors()) - 1} more errors]"
    return QuarantineRow(record_id, field_name, reason, to_json(raw))


def _record_id(raw: Any) -> str:
    if isinstance(raw, dict) and isinstance(raw.get("id"), str) and raw["id"]:
        return raw["id"]
    # No usable id: key it by its content, so distinct bad records stay distinct rows.
    digest = hashlib.sha1(to_json(raw).encode(), usedforsecurity=False).hexdigest()[:16]
    return f"{IDLESS_PREFIX}{digest}"


def _truncate(text: str) -> str:
    return text if len(text) <= _MAX_VALUE_CHARS else text[: _MAX_VALUE_CHARS - 3] + "..."


def to_json(raw: Any) -> str:
    """JSON text of a raw record for the quarantine table (NaN and bad unicode kept readable)."""
    return json.dumps(raw, default=str, allow_nan=True, ensure_ascii=True)


def _unknown_fields(model: type[SippetRecord], records: list[dict[str, Any]]) -> set[str]:
    # Cheap on the normal path: only records with more keys than requested are looked at.
    expected = len(model.model_fields)
    extra: set[str] = set()
    for record in records:
        if len(record) > expected:
            extra |= record.keys() - set(api_fields(model))
    return extra
