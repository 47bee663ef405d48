"""iter_pages over httpx.MockTransport: offset and keyset walks, and every refusal."""

from __future__ import annotations

import json
from typing import Any

import httpx
import pytest

from pipelines.client import SippetClient
from pipelines.errors import PaginationError
from pipelines.paging import KeysetPaginator, OffsetPaginator, Page, Refused, iter_pages
from pipelines.settings import SippetSettings
from pipelines.wire import parse_page

ROWS = [{"id": f"r{i:02d}"} for i in range(7)]


class PagedServer:
    """Answers like Ash: `limit`-only requests come back as `first_type`."""

    def __init__(self, rows: list[dict], first_type: str = "keyset") -> None:
        self.rows = rows
        self.first_type = first_type
        self.pages: list[dict[str, Any]] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        page = json.loads(request.content)["page"]
        self.pages.append(page)
        limit = page["limit"]
        if "offset" in page or self.first_type == "offset":
            return envelope(self._offset(page.get("offset", 0), limit))
        start = int(page["after"][1:]) + 1 if "after" in page else 0
        return envelope(self._keyset(start, limit))

    def _offset(self, offset: int, limit: int) -> dict[str, Any]:
        chunk = self.rows[offset : offset + limit]
        more = offset + limit < len(self.rows)
        return {"type": "offset", "results": chunk, "hasMore": more, "offset": offset}

    def _keyset(self, start: int, limit: int) -> dict[str, Any]:
        chunk = self.rows[start : start + limit]
        cursor = f"c{start + len(chunk) - 1}" if chunk else None
        more = start + limit < len(self.rows)
        return {"type": "keyset", "results": chunk, "hasMore": more, "nextPage": cursor}


def envelope(data: Any) -> httpx.Response:
    return httpx.Response(200, json={"success": True, "data": data})


def scripted(*datas: Any) -> Any:
    replies = [envelope(d) for d in datas]
    sent: list[dict] = []

    def handler(request: httpx.Request) -> httpx.Response:
        sent.append(json.loads(request.content))
        return replies[min(len(sent), len(replies)) - 1]

    handler.sent = sent  # type: ignore[attr-defined]
    return handler


def client_for(handler: Any) -> SippetClient:
    settings = SippetSettings(_env_file=None, api_key="sk_test_pagination_key", base_url="http://t")
    return SippetClient(settings, transport=httpx.MockTransport(handler), sleep=lambda _: None)


def walk(handler: Any, page_size: int = 3, **kwargs: Any) -> list[Page]:
    client = client_for(handler)
    return list(
        iter_pages(client, "list_things", fields=["id"], sort="id", page_size=page_size, **kwargs)
    )


def ids(pages: list[Page]) -> list[str]:
    return [row["id"] for page in pages for row in page.results]


# -- walks ------------------------------------------------------------------------------


def test_keyset_walk_sends_cursors_back() -> None:
    server = PagedServer(ROWS, "keyset")
    pages = walk(server)
    assert ids(pages) == [r["id"] for r in ROWS]
    assert server.pages == [{"limit": 3}, {"limit": 3, "after": "c2"}, {"limit": 3, "after": "c5"}]
    assert [(p.number, p.type, p.has_more) for p in pages] == [
        (1, "keyset", True),
        (2, "keyset", True),
        (3, "keyset", False),
    ]
    assert pages[1].request == {"limit": 3, "after": "c2"}


def test_limit_only_request_answered_as_offset_walks_by_offset() -> None:
    server = PagedServer(ROWS, "offset")
    pages = walk(server)
    assert ids(pages) == [r["id"] for r in ROWS]
    assert server.pages == [{"limit": 3}, {"limit": 3, "offset": 3}, {"limit": 3, "offset": 6}]
    assert {p.type for p in pages} == {"offset"}


def test_offset_advances_by_rows_received_when_server_caps_lower() -> None:
    handler = scripted(
        {"type": "offset", "results": ROWS[:2], "hasMore": True, "offset": 0},
        {"type": "offset", "results": ROWS[2:3], "hasMore": False, "offset": 2},
    )
    pages = walk(handler, page_size=3)
    assert [s["page"] for s in handler.sent] == [{"limit": 3}, {"limit": 3, "offset": 2}]
    assert len(pages) == 2


def test_request_carries_filter_and_sort() -> None:
    handler = scripted({"type": "keyset", "results": [], "hasMore": False, "nextPage": None})
    walk(handler, filter={"occurredAt": {"greaterThanOrEqual": "2026-01-01T00:00:00Z"}})
    assert handler.sent[0] == {
        "action": "list_things",
        "fields": ["id"],
        "filter": {"occurredAt": {"greaterThanOrEqual": "2026-01-01T00:00:00Z"}},
        "sort": "id",
        "page": {"limit": 3},
    }


def test_plain_array_within_limit_is_one_page() -> None:
    pages = walk(scripted(ROWS[:3]))
    assert [(p.number, p.type, p.has_more, len(p.results)) for p in pages] == [
        (1, "array", False, 3)
    ]


def test_two_empty_pages_then_rows_is_fine() -> None:
    empty = {"type": "offset", "results": [], "hasMore": True, "offset": 0}
    last = {"type": "offset", "results": ROWS[:1], "hasMore": False, "offset": 0}
    assert ids(walk(scripted(empty, empty, last))) == ["r00"]


# -- refusals ---------------------------------------------------------------------------


@pytest.mark.parametrize("size", [0, 251, 1000])
def test_page_size_outside_1_to_250_is_refused(size: int) -> None:
    with pytest.raises(ValueError, match="page_size"):
        walk(scripted([]), page_size=size)


def test_plain_array_over_limit_is_refused() -> None:
    with pytest.raises(PaginationError, match="server returned 4 rows for limit 3"):
        walk(scripted(ROWS[:4]))


def test_too_many_rows_is_refused_and_names_action_page_request() -> None:
    handler = scripted(
        {"type": "keyset", "results": ROWS[:3], "hasMore": True, "nextPage": "c2"},
        {"type": "keyset", "results": ROWS[3:7], "hasMore": False, "nextPage": "c6"},
    )
    with pytest.raises(PaginationError) as caught:
        walk(handler)
    message = str(caught.value)
    assert message.startswith("list_things: page 2 (request {'limit': 3, 'after': 'c2'})")
    assert "server returned 4 rows for limit 3; refusing, since hasMore" in message
    assert caught.value.page == 2


def test_same_keyset_cursor_twice_is_a_loop() -> None:
    page = {"type": "keyset", "results": ROWS[:3], "hasMore": True, "nextPage": "c2"}
    with pytest.raises(PaginationError, match="already returned"):
        walk(scripted(page, page))


def test_keyset_more_without_cursor_is_refused() -> None:
    page = {"type": "keyset", "results": ROWS[:3], "hasMore": True, "nextPage": None}
    with pytest.raises(PaginationError, match="nextPage is missing"):
        walk(scripted(page))


def test_three_empty_pages_with_has_more_is_a_loop() -> None:
    empty = {"type": "keyset", "results": [], "hasMore": True, "nextPage": None}
    handler = scripted(empty)
    with pytest.raises(PaginationError, match="3 empty pages in a row"):
        walk(handler)
    assert len(handler.sent) == 3


def test_offset_not_honoured_is_refused() -> None:
    first = {"type": "offset", "results": ROWS[:3], "hasMore": True, "offset": 0}
    with pytest.raises(PaginationError, match="not honouring offsets"):
        walk(scripted(first, first))


def test_switching_convention_mid_walk_is_refused() -> None:
    handler = scripted(
        {"type": "keyset", "results": ROWS[:3], "hasMore": True, "nextPage": "c2"},
        {"type": "offset", "results": ROWS[3:6], "hasMore": True, "offset": 3},
    )
    with pytest.raises(PaginationError, match="switched from keyset to offset"):
        walk(handler)


def test_plain_array_after_paged_response_is_refused() -> None:
    handler = scripted({"type": "offset", "results": ROWS[:3], "hasMore": True}, ROWS[3:5])
    with pytest.raises(PaginationError, match="stopped paginating"):
        walk(handler)


@pytest.mark.parametrize(
    "data",
    [
        {"type": "cursor", "results": [], "hasMore": False},
        {"type": "offset", "hasMore": False},
        {"type": "offset", "results": [], "hasMore": "no"},
        "nonsense",
    ],
)
def test_unrecognisable_pages_are_refused(data: Any) -> None:
    with pytest.raises(PaginationError, match="list_things: page 1"):
        walk(scripted(data))


# -- the paginators alone ---------------------------------------------------------------


def test_offset_paginator_verbs() -> None:
    paginator = OffsetPaginator(2)
    assert paginator.first_request() == {"limit": 2}
    paginator.advance(parse_page({"type": "offset", "results": [1, 2], "hasMore": True,
                                  "offset": 0}), {"limit": 2})
    assert paginator.has_next and paginator.next_request() == {"limit": 2, "offset": 2}


def test_keyset_paginator_forgets_old_cursors_but_catches_recent_loops() -> None:
    paginator = KeysetPaginator(1)
    for i in range(5000):
        paginator.advance(keyset_page([i], f"c{i}"), paginator.next_request())
    assert len(paginator._seen) <= 4096
    with pytest.raises(Refused, match="already returned"):
        paginator.advance(keyset_page([1], "c4999"), {})


def keyset_page(results: list[Any], cursor: str) -> Any:
    return parse_page({"type": "keyset", "results": results, "hasMore": True,
                       "nextPage": cursor})
