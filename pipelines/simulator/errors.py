"""RPC failures in the Ash error shape (HTTP 200, `success: false`)."""

from __future__ import annotations

from typing import Any


class RpcFailure(Exception):
    def __init__(self, type_: str, message: str, vars_: dict[str, Any] | None = None, *,
                 short: str = "", fields: list[str] | None = None,
                 path: list[Any] | None = None) -> None:
        super().__init__(message)
        self.type, self.message, self.vars = type_, message, vars_ or {}
        self.short = short or type_.replace("_", " ").capitalize()
        self.fields, self.path = fields or [], path or []

    def error(self) -> dict[str, Any]:
        return {"type": self.type, "message": self.message, "shortMessage": self.short,
                "vars": self.vars, "fields": self.fields, "path": self.path}


def unknown_field(field: Any, path: list[Any]) -> RpcFailure:
    return RpcFailure("unknown_field", "unknown field %{field}", {"field": str(field)},
                      short="Unknown field", fields=[str(field)], path=path)


def invalid_query(reason: str, path: list[Any], **vars_: Any) -> RpcFailure:
    return RpcFailure("invalid_query", reason, vars_, short="Invalid query", path=path)


def invalid_page(reason: str, **vars_: Any) -> RpcFailure:
    return RpcFailure("invalid_page", reason, vars_, short="Invalid page", path=["page"])
