"""Walkers over the API's two page conventions, offset and keyset.

Each convention is a tiny class with three verbs (first request, advance past a page, next
request), as in dlt and the Meltano SDK; `iter_pages` drives whichever one the server's first
response names in its `type` (a `{"limit": n}` request may come back as either).

The walk distrusts the server where trusting it would lose data silently: more rows than the
limit (the server's cap is lower than ours, so `hasMore` is meaningless), a cursor seen twice
or an offset not honoured (an endless loop), a convention switch mid-walk. Each refusal is a
`PaginationError` naming the action, the page number and the request.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Any, Protocol

from pydantic import ValidationError

from pipelines.errors import PaginationError
from pipelines.wire import KeysetPage, OffsetPage, PageData, parse_page

MAX_PAGE_SIZE = 250
MAX_EMPTY_PAGES = 3
_REMEMBERED_CURSORS = 4096  # bounded memory on million-page walks; loops are short anyway


class RpcRunner(Protocol):
    """What the walkers need from `SippetClient`."""

    def run(self, action: str, *, fields: Sequence[str], filter: dict[str, Any] | None = None,
            sort: str | None = None, page: dict[str, Any] | None = None) -> Any: ...


class Refused(Exception):
    """A page the walk cannot trust (internal: `iter_pages` adds action, page and request)."""


@dataclass
class Page:
    """One page of results as returned by the server, with the request that fetched it."""

    results: list[Any]
    number: int  # 1-based position in the walk
    type: str  # "offset", "keyset", or "array" (the server ignored `page`)
    has_more: bool
    request: dict[str, Any]


class OffsetPaginator:
    """`{"limit", "offset"}` paging: the next offset is the one sent plus the rows received."""

    type = "offset"

    def __init__(self, limit: int) -> None:
        self.limit = limit
        self.offset = 0
        self.has_next = True

    def first_request(self) -> dict[str, Any]:
        return {"limit": self.limit}

    def advance(self, page: OffsetPage, request: dict[str, Any]) -> None:
        """Move past `page` (the answer to `request`); raises `Refused` if it is not trusted."""
        sent = request.get("offset", 0)
        if page.offset is not None and page.offset != sent:
            raise Refused(f"server answered offset {page.offset} for offset {sent}; it is not "
                          "honouring offsets")
        self.offset = sent + len(page.results)
        self.has_next = page.has_more

    def next_request(self) -> dict[str, Any]:
        return {"limit": self.limit, "offset": self.offset}


class KeysetPaginator:
    """`{"limit", "after"}` paging: send back the previous page's `nextPage` cursor."""

    type = "keyset"

    def __init__(self, limit: int) -> None:
        self.limit = limit
        self.after: str | None = None
        self.has_next = True
        self._seen: set[str] = set()
        self._order: deque[str] = deque()

    def first_request(self) -> dict[str, Any]:
        return {"limit": self.limit}

    def advance(self, page: KeysetPage, request: dict[str, Any]) -> None:
        """Move past `page`; raises `Refused` if its cursor is missing or already seen."""
        self.has_next = page.has_more
        if not page.results or not self.has_next:
            return  # an empty page has null cursors: stay put (the walk counts empty pages)
        cursor = page.next_page
        if not cursor:
            raise Refused("hasMore is true but nextPage is missing")
        if cursor in self._seen:
            raise Refused(f"cursor {_short(cursor)} was already returned; the walk would loop")
        self._remember(cursor)
        self.after = cursor

    def next_request(self) -> dict[str, Any]:
        if self.after is None:
            return self.first_request()
        return {"limit": self.limit, "after": self.after}

    def _remember(self, cursor: str) -> None:
        self._seen.add(cursor)
        self._order.append(cursor)
        if len(self._order) > _REMEMBERED_CURSORS:
            self._seen.discard(self._order.popleft())


PAGINATORS: dict[str, type[OffsetPaginator] | type[KeysetPaginator]] = {
    "offset": OffsetPaginator,
    "keyset": KeysetPaginator,
}


def iter_pages(client: RpcRunner, action: str, *, fields: Sequence[str],
               filter: dict[str, Any] | None = None, sort: str | None, page_size: int
               ) -> Iterator[Page]:
    """Walk every page of a paginated action, offset or keyset as the server answers."""
    if not 1 <= page_size <= MAX_PAGE_SIZE:
        # Above the server's cap it can answer max+1 rows with hasMore=false: silent loss.
        raise ValueError(f"page_size must be 1..{MAX_PAGE_SIZE}, got {page_size}")
    walk = _Walk(page_size)
    request: dict[str, Any] = {"limit": page_size}
    while True:
        data = client.run(action, fields=fields, filter=filter, sort=sort, page=request)
        try:
            page = walk.take(data, request)
        except Refused as exc:
            raise PaginationError(f"{action}: page {walk.number} (request {request}): {exc}",
                                  action=action, page=walk.number) from None
        yield page
        if not walk.has_next:
            return
        request = walk.next_request()


class _Walk:
    """The state of one walk: which convention, how many pages, how many empty in a row."""

    def __init__(self, page_size: int) -> None:
        self.page_size = page_size
        self.number = 0
        self.empty_streak = 0
        self.paginator: OffsetPaginator | KeysetPaginator | None = None
        self.has_next = True

    def take(self, data: Any, request: dict[str, Any]) -> Page:
        self.number += 1
        if isinstance(data, list):
            return self._plain_array(data, request)
        page = _parse(data)
        _check_row_count(len(page.results), request)
        if self.paginator is None:
            self.paginator = PAGINATORS[page.type](self.page_size)
        elif page.type != self.paginator.type:
            raise Refused(f"server switched from {self.paginator.type} to {page.type}")
        self.paginator.advance(page, request)  # type: ignore[arg-type]
        self.has_next = self.paginator.has_next
        self.empty_streak = self.empty_streak + 1 if not page.results else 0
        if self.has_next and self.empty_streak >= MAX_EMPTY_PAGES:
            raise Refused(f"{self.empty_streak} empty pages in a row with hasMore")
        return Page(page.results, self.number, page.type, page.has_more, request)

    def next_request(self) -> dict[str, Any]:
        assert self.paginator is not None
        return self.paginator.next_request()

    def _plain_array(self, rows: list[Any], request: dict[str, Any]) -> Page:
        # The server ignored `page` and sent every match: fine only if it fits in one page,
        # otherwise we cannot tell whether it truncated.
        if self.number > 1:
            raise Refused("server stopped paginating mid-walk (plain array)")
        _check_row_count(len(rows), request)
        self.has_next = False
        return Page(rows, self.number, "array", False, request)


def _parse(data: Any) -> PageData:
    if not isinstance(data, dict):
        raise Refused(f"expected a page object, got {type(data).__name__}")
    if data.get("type") not in PAGINATORS:
        raise Refused(f"unknown page type {data.get('type')!r}")
    try:
        return parse_page(data)
    except ValidationError as exc:
        problem = exc.errors()[0]
        where = ".".join(str(p) for p in problem["loc"][1:]) or "page"
        raise Refused(f"not a {data['type']} page: {where}: {problem['msg']}") from None


def _check_row_count(rows: int, request: dict[str, Any]) -> None:
    if rows > request["limit"]:
        raise Refused(f"server returned {rows} rows for limit {request['limit']}; refusing, "
                      "since hasMore can no longer be trusted")


def _short(cursor: str) -> str:
    return repr(cursor if len(cursor) <= 24 else cursor[:21] + "...")
