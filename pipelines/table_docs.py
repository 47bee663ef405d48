"""Descriptions of the raw tables and their columns, from the record models (one source).

The sync stores them in the warehouse (`warehouse.catalog.comment_tables`); the Dagster raw
assets show the same text in their column schema.
"""

from __future__ import annotations

from pipelines.streams import STREAMS, StreamSpec

#: Bookkeeping columns the sync adds to raw tables (not API fields).
SYNC_COLUMNS = {
    "_synced_at": "When the sync last wrote the row (UTC).",
    "_first_seen_at": "When the sync first saw the row (UTC); the API exposes no timestamp.",
}


def table_description(spec: StreamSpec) -> str:
    return spec.description or (spec.model.__doc__ or "").strip()


def column_descriptions(spec: StreamSpec) -> dict[str, str]:
    """{column: description} of a stream's model fields, then the sync's own columns."""
    fields = {
        name: info.description
        for name, info in spec.model.model_fields.items()
        if info.description
    }
    return {**fields, **SYNC_COLUMNS}


def raw_table_docs() -> dict[str, tuple[str, dict[str, str]]]:
    """{"sippet.<table>": (description, {column: description})} for every stream."""
    return {
        spec.table: (table_description(spec), column_descriptions(spec))
        for spec in STREAMS.values()
    }
