"""HTTP semantics on top of the Simulator: auth, transport faults, control endpoints.

Independent of the socket layer: `handle()` turns a request into a `Reply` that says what to
send (or that the connection must be dropped or left hanging).
"""

from __future__ import annotations

import hmac
import random
import time
import uuid
from dataclasses import dataclass, field
from typing import Any

import orjson
from pydantic import ValidationError

from .core import RESOURCES, Simulator
from .errors import RpcFailure
from .hazards import substitute
from .rpc import RESULTS_SLOT, execute
from .util import parse_instant, stable_hash

JSON = "application/json"
HTML_ERROR = ("<html>\r\n<head><title>{code} {reason}</title></head>\r\n<body>\r\n"
              "<center><h1>{code} {reason}</h1></center>\r\n<hr><center>nginx</center>\r\n"
              "</body>\r\n</html>\r\n")
REASONS = {200: "OK", 400: "Bad Request", 401: "Unauthorized", 404: "Not Found",
           405: "Method Not Allowed", 429: "Too Many Requests", 502: "Bad Gateway",
           503: "Service Unavailable"}


@dataclass
class Reply:
    status: int = 200
    body: bytes = b""
    content_type: str = JSON
    headers: list[tuple[str, str]] = field(default_factory=list)
    mode: str = "send"  # send | drop | hang
    delay: float = 0.0  # seconds to wait before acting
    parts: list[bytes] | None = None  # the body as pieces, sent without joining
    entry: dict[str, Any] | None = None  # its request-log entry (the server adds `finished`)

    @property
    def size(self) -> int:
        return sum(map(len, self.parts)) if self.parts is not None else len(self.body)

    def chunks(self) -> list[bytes]:
        return self.parts if self.parts is not None else [self.body]


def _json(status: int, obj: Any) -> Reply:
    return Reply(status, orjson.dumps(obj))


def handle(sim: Simulator, method: str, path: str, headers: dict[str, str], body: bytes
           ) -> Reply:
    key_ok = hmac.compare_digest(headers.get("x-api-key", "").encode(), sim.config.api_key.encode())
    if path.startswith("/_sim/"):
        if not key_ok:
            return _json(401, {"error": "unauthorized"})
        return _control(sim, method, path, body)
    if path not in ("/rpc/public/run", "/rpc/public/validate"):
        return _json(404, {"error": "not found"})
    # `started`/`finished` are server-side monotonic seconds: tests see overlap from them
    entry: dict[str, Any] = {"path": path, "headers": sorted(headers), "api_key_ok": key_ok,
                             "action": None, "fields": None, "filter": None, "sort": None,
                             "page": None, "rows": 0, "fault": None,
                             "started": time.monotonic(), "finished": None}
    reply = _rpc(sim, method, path, headers, body, key_ok, entry)
    latency = sim.draw_latency()
    entry["latency_ms"] = round(latency * 1000, 3)
    reply.delay += latency
    reply.entry = entry
    entry["status_code"] = reply.status if reply.mode == "send" else None
    entry["bytes"] = reply.size if reply.mode == "send" else 0
    entry["at"] = sim.now.isoformat()
    sim.log(entry)
    return reply


def _rpc(sim: Simulator, method: str, path: str, headers: dict[str, str], body: bytes,
         key_ok: bool, entry: dict[str, Any]) -> Reply:
    if method != "POST":
        return _json(405, {"error": "method not allowed"})
    if not key_ok:
        return _json(401, {"error": "unauthorized"})
    try:
        request = orjson.loads(body)
    except orjson.JSONDecodeError:
        return _json(400, {"error": "invalid JSON body"})
    if not isinstance(request, dict):
        return _json(400, {"error": "body must be a JSON object"})
    for name in ("action", "fields", "filter", "sort", "page"):
        entry[name] = request.get(name)
    counter = sim.next_request()
    rng = random.Random(stable_hash(sim.config.seed, "request", counter))
    sim.scope_faults(request.get("action"))
    f = sim.faults
    fault = next((kind for kind in ("drop", "hang", "rate_limit", "server_error",
                                    "internal_error", "slow", "malformed")
                  if getattr(f, kind) and rng.random() < getattr(f, kind)), None)
    entry["fault"] = fault
    if fault == "drop":
        return Reply(mode="drop")
    if fault == "hang":
        return Reply(mode="hang", delay=f.hang_seconds)
    if fault == "rate_limit":
        return Reply(429, b'{"error":"rate_limited"}',
                     headers=[("retry-after", f"{f.retry_after_seconds:g}")])
    if fault == "server_error":
        code = rng.choice((502, 503))
        return Reply(code, HTML_ERROR.format(code=code, reason=REASONS[code]).encode(),
                     "text/html")
    if fault == "internal_error":
        return _json(200, {"success": False, "errors": [{
            "code": "internal_error", "errorId": str(uuid.UUID(int=rng.getrandbits(128))),
            "message": "Something went wrong. Please try again."}]})
    if (sim.config.shifting_rows and request.get("page") is not None
            and rng.random() < sim.config.shifting_rows):
        sim.advance(seconds=60)  # late rows commit between two pages of a walk
    reply = _envelope(sim, request, path.endswith("/validate"), rng, entry)
    if fault == "slow":
        reply.delay = f.slow_seconds
    if fault == "malformed":
        whole = b"".join(reply.chunks())
        reply.parts, reply.body = None, whole[: max(1, len(whole) // 2)]
    return reply


def _envelope(sim: Simulator, request: dict, validate: bool, rng: random.Random,
              entry: dict[str, Any]) -> Reply:
    try:
        out = execute(sim, request, validate=validate, rng=rng)
    except RpcFailure as failure:
        return _json(200, {"success": False, "errors": [failure.error()]})
    except Exception:
        import traceback

        traceback.print_exc()
        return _json(200, {"success": False, "errors": [{
            "code": "internal_error", "errorId": str(uuid.UUID(int=rng.getrandbits(128))),
            "message": "Something went wrong."}]})
    entry["rows"] = out.rows
    if out.hazards:
        entry["fault"] = entry["fault"] or ",".join(out.hazards)
    body = orjson.dumps({"success": True, "data": out.data})
    if out.raw_results is not None:
        head, _, tail = body.partition(f'"{RESULTS_SLOT}"'.encode())
        return Reply(200, parts=[head, out.raw_results, tail])
    return Reply(200, substitute(body) if out.sentinels else body)


def _control(sim: Simulator, method: str, path: str, body: bytes) -> Reply:
    try:
        payload = orjson.loads(body) if body else {}
        if method == "POST" and path == "/_sim/advance":
            if "to" in payload:
                instant = parse_instant(payload["to"])
                if instant is None:
                    return _json(400, {"error": "invalid 'to'"})
                from .util import from_us
                sim.advance_to(from_us(instant))
            else:
                sim.advance(float(payload.get("minutes", 0)),
                            seconds=float(payload.get("seconds", 0)))
            return _json(200, {"now": _iso(sim)})
        if method == "POST" and path == "/_sim/faults":
            return _json(200, sim.set_faults(**payload).model_dump())
        if method == "POST" and path == "/_sim/latency":
            latency, jitter = sim.set_latency(payload.get("latency_ms"), payload.get("jitter_ms"))
            return _json(200, {"latency_ms": latency, "jitter_ms": jitter})
        if method == "POST" and path == "/_sim/policy-null":
            return _json(200, {"policy_null": sim.set_policy_null(payload["rate"])})
        if method == "GET" and path == "/_sim/stats":
            return _json(200, sim.stats_summary())
        if method == "GET" and path == "/_sim/now":
            return _json(200, {"now": _iso(sim)})
        if method == "GET" and path.startswith("/_sim/truth/"):
            resource = path.rsplit("/", 1)[1]
            if resource not in RESOURCES:
                return _json(404, {"error": f"unknown resource {resource}"})
            rows = sim.ground_truth(resource)
            return Reply(200, b"".join(orjson.dumps(r) + b"\n" for r in rows),
                         "application/x-ndjson")
    except (ValidationError, ValueError, TypeError, KeyError, orjson.JSONDecodeError) as exc:
        return _json(400, {"error": str(exc)})
    return _json(404, {"error": "not found"})


def _iso(sim: Simulator) -> str:
    return sim.now.isoformat().replace("+00:00", "Z")
