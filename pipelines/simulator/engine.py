"""Matching (filter + sort, cached per query and clock) and pagination with cursors."""

from __future__ import annotations

import base64
import bisect
import hashlib
from collections import OrderedDict
from dataclasses import dataclass
from typing import Any

import numpy as np
import orjson

from .errors import RpcFailure, invalid_page
from .query import Logic, SortTerm, evaluate, key_of, sort_values, time_range
from .resources import Resource


@dataclass
class Match:
    res: Resource
    terms: tuple[SortTerm, ...]
    pos: np.ndarray  # matching positions in sort order
    now: int
    keys: list[tuple] | None = None  # sort keys, computed on the generic path only

    def key(self, i: int) -> tuple:
        if self.keys is not None:
            return self.keys[i]
        return sort_values(self.res, self.terms, self.pos[i:i + 1], self.now)[0]

    def cursor_values(self, i: int) -> list[Any]:
        return [self.res.values(t.field, self.pos[i:i + 1], self.now)[0] for t in self.terms]


class _Keys:
    """Lazy sequence of sort keys so bisect only computes the ~log(n) it looks at."""

    def __init__(self, match: Match) -> None:
        self.match = match

    def __len__(self) -> int:
        return len(self.match.pos)

    def __getitem__(self, i: int) -> tuple:
        return self.match.key(i)


class Matcher:
    # A client walking many slices at once (16 at SIPPET_MAX_CONCURRENCY=16, a few streams
    # side by side) alternates between that many queries: each must stay cached between its
    # pages, or every page re-filters the whole resource.
    def __init__(self, cache_size: int = 32) -> None:
        self.cache: OrderedDict[tuple, Match] = OrderedDict()
        self.cache_size = cache_size

    def match(self, res: Resource, flt: Logic, terms: tuple[SortTerm, ...], now: int,
              version: int) -> Match:
        ck = (res.name, repr(flt), terms, now, version)
        hit = self.cache.get(ck)
        if hit is not None:
            self.cache.move_to_end(ck)
            return hit
        result = self._compute(res, flt, terms, now)
        self.cache[ck] = result
        if len(self.cache) > self.cache_size:
            self.cache.popitem(last=False)
        return result

    def _compute(self, res: Resource, flt: Logic, terms: tuple[SortTerm, ...], now: int
                 ) -> Match:
        if res.time_field:
            lo, hi, rest = time_range(res, flt)
            times = res.time_values()
            a = 0 if lo is None else int(np.searchsorted(times, lo, side="left"))
            b = len(times) if hi is None else int(np.searchsorted(times, hi, side="right"))
            pos = res.positions(now, a, max(a, b))
            if lo is not None or hi is not None:
                # the bisect is on the held time: a value hidden by policy matches no range
                pos = pos[~res.hidden(res.time_field, pos)]
        else:
            rest, pos = flt, res.positions(now)
        if rest.children:
            pos = pos[evaluate(res, rest, pos, now)]
        if res.time_field and terms[0].field == res.time_field and len(terms) == 2:
            fast = _time_order(res, terms, pos)
            if fast is not None:
                return Match(res, terms, fast, now)
        keys = sort_values(res, terms, pos, now)
        order = sorted(range(len(pos)), key=keys.__getitem__)
        return Match(res, terms, pos[order], now, [keys[i] for i in order])


def _time_order(res: Resource, terms: tuple[SortTerm, ...], pos: np.ndarray
                ) -> np.ndarray | None:
    """`pos` (in base (time, id) order) sorted by `time,id` or `-time,-id` without computing
    keys; records whose time is hidden go last (asc) or first (desc), ordered by id. None
    when the sort is another one."""
    field = res.time_field
    asc = (SortTerm(field, False, False), SortTerm("id", False, False))
    desc = (SortTerm(field, True, True), SortTerm("id", True, True))
    if terms not in (asc, desc):
        return None
    null = res.hidden(field, pos)
    shown, nulls = pos[~null], pos[null]
    if len(nulls):
        hi, lo = res.id_parts(nulls)
        nulls = nulls[np.lexsort((lo, hi))]  # uuid text order is (hi, lo) order
    if terms == asc:
        return np.concatenate((shown, nulls)) if len(nulls) else pos
    return np.concatenate((nulls[::-1], shown[::-1]))


# ---- pagination ---------------------------------------------------------------------

PAGE_KEYS = frozenset({"limit", "offset", "count", "after", "before"})


def sort_signature(terms: tuple[SortTerm, ...]) -> str:
    return hashlib.blake2b(repr(terms).encode(), digest_size=6).hexdigest()


def encode_cursor(terms: tuple[SortTerm, ...], values: list[Any]) -> str:
    raw = orjson.dumps([sort_signature(terms), values])
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_cursor(terms: tuple[SortTerm, ...], cursor: Any) -> tuple:
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        sig, values = orjson.loads(raw)
        if sig != sort_signature(terms) or len(values) != len(terms):
            raise ValueError("cursor of another sort")
        return key_of(terms, values)
    except Exception:
        raise RpcFailure("invalid_keyset", "invalid keyset %{cursor}", {"cursor": str(cursor)},
                         short="Invalid keyset", path=["page"]) from None


@dataclass
class PageSpec:
    kind: str  # offset | keyset
    limit: int
    offset: int = 0
    count: bool = False
    after: str | None = None
    before: str | None = None


def parse_page(spec: Any, default_type: str) -> PageSpec:
    if not isinstance(spec, dict) or set(spec) - PAGE_KEYS:
        raise invalid_page("invalid page options %{keys}", keys=str(spec))
    limit = spec.get("limit")
    if not isinstance(limit, int) or isinstance(limit, bool) or limit < 1:
        raise invalid_page("limit must be a positive integer, got: %{limit}", limit=str(limit))
    count = spec.get("count", False)
    if not isinstance(count, bool):
        raise invalid_page("count must be a boolean")
    after, before = spec.get("after"), spec.get("before")
    if "offset" in spec:
        offset = spec["offset"]
        if after is not None or before is not None:
            raise invalid_page("offset and keyset options cannot be combined")
        if not isinstance(offset, int) or isinstance(offset, bool) or offset < 0:
            raise invalid_page("offset must be a non-negative integer, got: %{offset}",
                               offset=str(offset))
        return PageSpec("offset", limit, offset, count)
    for c in (after, before):
        if c is not None and not isinstance(c, str):
            raise invalid_page("cursor must be a string")
    if after is not None or before is not None:
        return PageSpec("keyset", limit, count=count, after=after, before=before)
    return PageSpec(default_type, limit, count=count)


def paginate(m: Match, page: PageSpec, max_size: int
             ) -> tuple[dict[str, Any], np.ndarray, np.ndarray]:
    """The page envelope (results left empty for the caller), the positions to serve and
    the positions a walk is likely to ask for next (for read-ahead)."""
    n = len(m.pos)
    # Ash quirk: over the maximum the read asks for max+1 rows and reports no more pages
    over = page.limit > max_size
    size = max_size + 1 if over else page.limit
    count = n if page.count else None
    if page.kind == "offset":
        end = page.offset + size
        sel = m.pos[page.offset:end]
        more = not over and end < n
        return {"results": [], "hasMore": more, "limit": page.limit, "offset": page.offset,
                "count": count, "type": "offset"}, sel, m.pos[end:end + 2 * size]
    keys = _Keys(m)
    if page.before is not None:
        end = bisect.bisect_left(keys, decode_cursor(m.terms, page.before))
        start = max(0, end - size)
        more = start > 0
    else:
        start = 0 if page.after is None else bisect.bisect_right(
            keys, decode_cursor(m.terms, page.after))
        end = min(n, start + size)
        more = end < n
    sel = m.pos[start:end]
    ahead = (m.pos[max(0, start - 2 * size):start][::-1] if page.before is not None
             else m.pos[end:end + 2 * size])
    data = {"results": [], "hasMore": more and not over, "limit": page.limit,
            "after": page.after, "before": page.before, "count": count,
            "previousPage": encode_cursor(m.terms, m.cursor_values(start)) if end > start else None,
            "nextPage": encode_cursor(m.terms, m.cursor_values(end - 1)) if end > start else None,
            "type": "keyset"}
    return data, sel, ahead
