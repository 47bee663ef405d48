"""Filter and sort: parsing the request, evaluating it over record positions.

Filters are evaluated column-wise over candidate positions (values of one field for many
records at a time); a top-level time range on the resource's sorted time field is turned
into a bisect first so a windowed read never scans the whole table.
"""

from __future__ import annotations

import operator
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np

from .catalogue import MAP_FIELDS, TIMESTAMP_FIELDS
from .errors import RpcFailure, invalid_query, unknown_field
from .resources import Resource
from .util import parse_instant

_CMP: dict[str, Callable[[Any, Any], bool]] = {
    "eq": operator.eq, "notEq": operator.ne, "greaterThan": operator.gt,
    "greaterThanOrEqual": operator.ge, "lessThan": operator.lt, "lessThanOrEqual": operator.le,
}
OPERATORS = frozenset({*_CMP, "in", "isNil"})
RANGE_OPS = frozenset({"greaterThan", "greaterThanOrEqual", "lessThan", "lessThanOrEqual", "eq"})


@dataclass(frozen=True)
class Leaf:
    field: str
    op: str
    value: Any


@dataclass(frozen=True)
class Logic:
    kind: str  # "and" | "or" | "not"
    children: tuple[Any, ...]


def _coerce(field: str, value: Any, path: list[Any]) -> Any:
    if field not in TIMESTAMP_FIELDS or value is None:
        return value
    instant = parse_instant(value)
    if instant is None:
        raise invalid_query("invalid value %{value} for %{field}", path, value=value, field=field)
    return instant


def compile_filter(res: Resource, spec: Any, path: list[Any] | None = None) -> Logic:
    """Validate a filter object into an AND of leaves and logic nodes."""
    path = path or ["filter"]
    if spec is None:
        return Logic("and", ())
    if not isinstance(spec, dict):
        raise invalid_query("filter must be an object", path)
    children: list[Any] = []
    for key, value in spec.items():
        if key in ("and", "or", "not"):
            items = value if isinstance(value, list) else [value]
            subs = tuple(compile_filter(res, v, [*path, key, i]) for i, v in enumerate(items))
            children.append(Logic("not", (Logic("and", subs),)) if key == "not"
                            else Logic(key, subs))
        elif key not in res.field_set:
            raise unknown_field(key, [*path, key])
        elif isinstance(value, dict):
            for op, arg in value.items():
                children.append(_leaf(key, op, arg, [*path, key, op]))
        else:
            children.append(_leaf(key, "eq", value, [*path, key]))
    return Logic("and", tuple(children))


def _leaf(field: str, op: str, arg: Any, path: list[Any]) -> Leaf:
    if op not in OPERATORS:
        raise invalid_query("unknown filter operator %{operator}", path, operator=op)
    if op == "isNil":
        if not isinstance(arg, bool):
            raise invalid_query("isNil expects a boolean", path)
        return Leaf(field, op, arg)
    if op == "in":
        if not isinstance(arg, list):
            raise invalid_query("in expects an array", path)
        return Leaf(field, op, frozenset(_coerce(field, v, path) for v in arg
                                         if not isinstance(v, dict | list)))
    if isinstance(arg, dict | list):
        raise invalid_query("invalid value for %{field}", path, field=field)
    return Leaf(field, op, _coerce(field, arg, path))


def time_range(res: Resource, flt: Logic) -> tuple[int | None, int | None, Logic]:
    """Bounds [lo, hi] (inclusive, µs) on the resource's time field taken from the top-level
    conjunction, and the rest of the filter still to evaluate."""
    lo = hi = None
    rest: list[Any] = []
    for child in _conjuncts(flt):
        if (isinstance(child, Leaf) and child.field == res.time_field and child.op in RANGE_OPS
                and isinstance(child.value, int)):
            v = child.value
            if child.op in ("greaterThan", "greaterThanOrEqual", "eq"):
                bound = v + 1 if child.op == "greaterThan" else v
                lo = bound if lo is None else max(lo, bound)
            if child.op in ("lessThan", "lessThanOrEqual", "eq"):
                bound = v - 1 if child.op == "lessThan" else v
                hi = bound if hi is None else min(hi, bound)
        else:
            rest.append(child)
    return lo, hi, Logic("and", tuple(rest))


def _conjuncts(node: Any) -> list[Any]:
    if isinstance(node, Logic) and node.kind == "and":
        return [c for child in node.children for c in _conjuncts(child)]
    return [node]


def evaluate(res: Resource, node: Any, pos: np.ndarray, now: int) -> np.ndarray:
    """Boolean mask over `pos` (SQL semantics: comparisons with null are false)."""
    if isinstance(node, Leaf):
        return _eval_leaf(res, node, pos, now)
    if node.kind == "not":
        return ~evaluate(res, node.children[0], pos, now)
    masks = [evaluate(res, c, pos, now) for c in node.children]
    if not masks:
        return np.full(len(pos), node.kind == "and")
    return np.logical_and.reduce(masks) if node.kind == "and" else np.logical_or.reduce(masks)


def _eval_leaf(res: Resource, leaf: Leaf, pos: np.ndarray, now: int) -> np.ndarray:
    if leaf.op == "isNil" and leaf.field in (res.time_field, "id"):
        # held for every record: null exactly where policy hides it (no values to build)
        return res.hidden(leaf.field, pos) == leaf.value
    values = res.values(leaf.field, pos, now)
    arg = leaf.value
    if leaf.op == "isNil":
        return np.fromiter(((v is None) == arg for v in values), bool, len(values))
    if leaf.op == "in":
        return np.fromiter((v is not None and _hashable(v) in arg for v in values), bool,
                           len(values))
    cmp = _CMP[leaf.op]
    try:
        return np.fromiter((v is not None and arg is not None and cmp(v, arg) for v in values),
                           bool, len(values))
    except TypeError:
        raise invalid_query("cannot compare %{field} with %{value}", ["filter", leaf.field],
                            field=leaf.field, value=str(arg)) from None


def _hashable(v: Any) -> Any:
    return v if not isinstance(v, dict | list) else None


# ---- sort ---------------------------------------------------------------------------


@dataclass(frozen=True)
class SortTerm:
    field: str
    desc: bool
    nulls_first: bool


def parse_sort(res: Resource, spec: Any, *, append_id: bool = True) -> tuple[SortTerm, ...]:
    if spec is None or spec == "":
        terms: list[SortTerm] = []
    elif not isinstance(spec, str):
        raise invalid_query("sort must be a comma-separated string", ["sort"])
    else:
        terms = [_term(res, part.strip()) for part in spec.split(",") if part.strip()]
    if append_id and all(t.field != "id" for t in terms):
        terms.append(SortTerm("id", False, False))
    return tuple(terms)


_PREFIXES = {"++": (False, True), "--": (True, False), "+": (False, False), "-": (True, True),
             "": (False, False)}


def _term(res: Resource, text: str) -> SortTerm:
    # Ash defaults: ascending puts nulls last, descending puts nulls first
    prefix = next((p for p in ("++", "--", "+", "-") if text.startswith(p)), "")
    desc, nulls_first = _PREFIXES[prefix]
    field = text[len(prefix):]
    if field not in res.field_set:
        raise unknown_field(field, ["sort"])
    if field in MAP_FIELDS:
        raise RpcFailure("invalid_query", "cannot sort on %{field}", {"field": field},
                         path=["sort"])
    return SortTerm(field, desc, nulls_first)


class Desc:
    """Inverts ordering of a value inside a sort key tuple."""

    __slots__ = ("v",)

    def __init__(self, v: Any) -> None:
        self.v = v

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Desc) and self.v == other.v

    def __lt__(self, other: Desc) -> bool:
        return other.v < self.v

    def __hash__(self) -> int:
        return hash(self.v)


def key_of(terms: tuple[SortTerm, ...], values: list[Any]) -> tuple:
    """Composite ascending-comparable key for one record's sort values."""
    parts: list[Any] = []
    for term, v in zip(terms, values, strict=True):
        null = v is None
        parts.append((0 if null == term.nulls_first else 1, None if null else
                      (Desc(v) if term.desc else v)))
    return tuple(parts)


def sort_values(res: Resource, terms: tuple[SortTerm, ...], pos: np.ndarray, now: int
                ) -> list[tuple]:
    cols = [res.values(t.field, pos, now) for t in terms]
    return [key_of(terms, list(vals)) for vals in zip(*cols, strict=True)]
