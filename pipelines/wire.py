"""The wire, typed once: the RPC envelope and the two page shapes (SIPPET_API.md).

Parsed at the boundary — the envelope in the client, a page where a paginated action answers —
so nothing further in checks keys by hand. Records inside `results` stay raw here: they are
validated per stream, record by record, so one bad record never fails its page.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, StrictBool, StrictInt, TypeAdapter
from pydantic.alias_generators import to_camel


class _Wire(BaseModel):
    model_config = ConfigDict(alias_generator=to_camel, populate_by_name=True, extra="allow",
                              frozen=True)


class WireError(_Wire):
    """One entry of a failure envelope's `errors`. An unhandled server exception has no
    `type` but `code: "internal_error"` and an `errorId`."""

    type: str | None = None
    code: str | None = None
    message: str | None = None
    short_message: str | None = None
    vars: Any = None
    error_id: str | None = None


class Envelope(_Wire):
    """`{"success": true, "data": ...}` or `{"success": false, "errors": [...]}`."""

    success: StrictBool
    data: Any = None
    #: Entries that are not objects are kept raw (and ignored): the type is what matters.
    errors: list[WireError | Any] | None = None
    has_data: bool = False  # set by `parse_envelope`: a success must carry `data`


class OffsetPage(_Wire):
    """`{"limit", "offset", "count"}` paging: the next offset is this one plus the rows."""

    type: Literal["offset"]
    results: list[Any]
    has_more: StrictBool
    limit: StrictInt | None = None
    offset: StrictInt | None = None
    count: StrictInt | None = None


class KeysetPage(_Wire):
    """`{"limit", "after"}` paging: `nextPage` is the opaque cursor of the page's last record
    (null on an empty page)."""

    type: Literal["keyset"]
    results: list[Any]
    has_more: StrictBool
    limit: StrictInt | None = None
    next_page: str | None = None
    previous_page: str | None = None
    count: StrictInt | None = None


PageData = OffsetPage | KeysetPage
_PAGE = TypeAdapter(Annotated[PageData, Field(discriminator="type")])


def parse_envelope(body: Any) -> Envelope:
    """The envelope of a decoded body; raises pydantic's ValidationError if it is not one."""
    envelope = Envelope.model_validate(body)
    has_data = isinstance(body, dict) and "data" in body
    return envelope.model_copy(update={"has_data": has_data})


def parse_page(data: Any) -> PageData:
    """The page object of a paginated answer; raises ValidationError if it is not one."""
    return _PAGE.validate_python(data)
