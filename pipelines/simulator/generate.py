"""Deterministic generation of one "day chunk" of data into compact columns.

Chunk k holds the calls that start in [origin + k days, origin + k+1 days) together with all
their transcript lines and audit events (which may run into later days), and the operators'
status events of that day. A chunk depends only on (seed, k, origin, scale), so lazily
generating chunks as the clock moves gives the same data as generating them up front.
"""

from __future__ import annotations

import math
import random
from array import array
from dataclasses import dataclass, field

from . import vocab
from .util import US, stable_hash, uuid4_ints

DAY_US = 86_400 * US
HOUR_US = 3_600 * US
# business-hours weighted profile of call starts (UTC hour -> relative weight)
HOUR_WEIGHTS = [0.15] * 7 + [0.6, 1.0, 1.0, 1.0, 0.9, 0.8, 0.9, 1.0, 1.0, 0.9, 0.7, 0.5] + [0.3] * 5

CALL_COLS = {
    "hi": "Q", "lo": "Q", "uuid_hi": "Q", "uuid_lo": "Q", "conv_hi": "Q", "conv_lo": "Q",
    "started": "q", "answered": "q", "ended": "q", "final": "b", "direction": "b",
    "source": "b", "operator": "b", "agent": "b", "model": "b", "customer": "q", "org_number": "b",
}
LINE_COLS = {
    "hi": "Q", "lo": "Q", "call": "l", "occ": "q", "commit": "q", "speaker": "b",
    "phrase": "h", "item": "Q", "content_index": "h",
}
EVENT_COLS = {
    "hi": "Q", "lo": "Q", "call": "l", "occ": "q", "commit": "q", "etype": "b", "tool": "b",
    "success": "b", "err": "b", "model": "b", "state": "b", "total_steps": "b", "tcid": "Q",
    "args": "l", "in_text": "l", "in_audio": "l", "in_image": "l", "c_text": "l", "c_audio": "l",
    "c_image": "l", "out_text": "l", "out_audio": "l", "out_image": "l",
}
OPEV_COLS = {"hi": "Q", "lo": "Q", "operator": "b", "occ": "q", "status": "b", "source": "b",
             "changed_by": "b"}


def _columns(spec: dict[str, str]) -> dict[str, array]:
    return {name: array(code) for name, code in spec.items()}


@dataclass
class Chunk:
    calls: dict[str, array] = field(default_factory=lambda: _columns(CALL_COLS))
    lines: dict[str, array] = field(default_factory=lambda: _columns(LINE_COLS))
    events: dict[str, array] = field(default_factory=lambda: _columns(EVENT_COLS))
    opev: dict[str, array] = field(default_factory=lambda: _columns(OPEV_COLS))


def _pick(rng: random.Random, weights: list[float]) -> int:
    return rng.choices(range(len(weights)), weights=weights)[0]


def _talk_seconds(rng: random.Random) -> int:
    if rng.random() < 0.015:  # the rare very long call (hours on hold, a forgotten line)
        return rng.randint(3 * 3600, 7 * 3600)
    return int(min(3600, max(8, rng.lognormvariate(math.log(150), 0.8))))


def _delay_us(rng: random.Random) -> int:
    """Commit delay after occurredAt: mostly seconds, ~5% late by up to 30 minutes."""
    if rng.random() < 0.05:
        return rng.randint(30 * US, 30 * 60 * US)
    return rng.randint(US // 5, 8 * US)


def response_count(talk: int) -> int:
    return max(1, min(150, talk // 25))


def mean_events_per_call() -> float:
    """Average audit events per call (all statuses): calibrates calls per day from `scale`."""
    rng = random.Random(12345)
    total, n = 0.0, 4000
    for _ in range(n):
        if rng.random() < vocab.FINAL_STATUS_WEIGHTS["completed"]:
            r = response_count(_talk_seconds(rng))
            total += r + 5 + 2 * 0.2 * r
    return total / n


_MEAN_EVENTS = mean_events_per_call()


def calls_per_day(scale: int, days: int) -> float:
    return scale / days / _MEAN_EVENTS


def generate_chunk(seed: int, k: int, origin_us: int, per_day: float, call_offset: int,
                   anchors: list[tuple[int, int]] | None = None) -> Chunk:
    """Generate chunk k. `anchors` = extra (start_us, talk_seconds) calls (long ones that are
    in progress at the simulator start)."""
    rng = random.Random(stable_hash(seed, "chunk", k))
    chunk = Chunk()
    day_start = origin_us + k * DAY_US
    weekday = (day_start // DAY_US + 3) % 7  # 1970-01-01 was a Thursday
    mean = per_day * (0.6 if weekday >= 5 else 1.1)
    n = max(0, round(rng.gauss(mean, math.sqrt(mean) + 0.5)))
    starts = []
    while len(starts) < n:
        t = day_start + rng.randrange(DAY_US)
        if rng.random() < HOUR_WEIGHTS[(t // HOUR_US) % 24]:
            starts.append((t, None))
    starts.extend((t, talk) for t, talk in anchors or [])
    calls = [(t, talk, uuid4_ints(rng.getrandbits(128))) for t, talk in starts]
    calls.sort(key=lambda c: (c[0], c[2]))
    for i, (t, talk, ids) in enumerate(calls):
        _add_call(rng, chunk, call_offset + i, t, talk, ids)
    _add_operator_events(rng, chunk, day_start)
    return chunk


def _add_call(rng: random.Random, ch: Chunk, index: int, start: int, talk: int | None,
              ids: tuple[int, int]) -> None:
    c = ch.calls
    final = 0 if talk is not None else _pick(rng, list(vocab.FINAL_STATUS_WEIGHTS.values()))
    inbound = rng.random() < 0.7
    ring = rng.randint(2, 25) * US + rng.randrange(US)
    if final == 0:
        talk = talk if talk is not None else _talk_seconds(rng)
        answered, ended = start + ring, start + ring + talk * US + rng.randrange(US)
    else:
        answered, ended = -1, start + ring
    hi, lo = ids
    for name, value in (("hi", hi), ("lo", lo), ("started", start), ("answered", answered),
                        ("ended", ended), ("final", final), ("direction", 0 if inbound else 1)):
        c[name].append(value)
    for name in ("uuid", "conv"):
        h, low = uuid4_ints(rng.getrandbits(128))
        c[name + "_hi"].append(h)
        c[name + "_lo"].append(0 if (name == "conv" and final != 0 and rng.random() < 0.5) else low)
    c["source"].append(_pick(rng, [6, 2.5, 1.5, 0]) if inbound else _pick(rng, [0, 2, 0, 8]))
    c["operator"].append(rng.randrange(20) if final == 0 and rng.random() < 0.25 else -1)
    c["agent"].append(rng.randrange(len(vocab.AGENT_NAMES)))
    c["model"].append(_pick(rng, [m[1] for m in vocab.MODELS]))
    country = rng.choice((44, 1, 33, 49))
    c["customer"].append(country * 10**10 + rng.randrange(10**9, 10**10))
    c["org_number"].append(rng.randrange(len(vocab.ORG_NUMBERS)))
    if final == 0:
        _add_lines(rng, ch.lines, index, answered, ended)
        _add_events(rng, ch.events, index, answered, ended, c["model"][-1], c["agent"][-1])


def _add_lines(rng: random.Random, cols: dict[str, array], call: int, t0: int, t1: int) -> None:
    n = max(2, min(80, (t1 - t0) // (12 * US))) + rng.randint(0, 3)
    times = sorted(rng.randrange(t0, t1) for _ in range(n))
    speaker, item, index = 1, 0, 0
    for j, t in enumerate(times):
        if j == 0 or rng.random() < 0.8:
            speaker = 1 if j == 0 else 1 - speaker
            item, index = rng.getrandbits(63), 0
        else:
            index += 1
        bank = vocab.AGENT_LINES if speaker else vocab.CALLER_LINES
        hi, lo = uuid4_ints(rng.getrandbits(128))
        for name, value in (("hi", hi), ("lo", lo), ("call", call), ("occ", t),
                            ("commit", t + _delay_us(rng)), ("speaker", speaker),
                            ("phrase", rng.randrange(len(bank))), ("item", item),
                            ("content_index", index)):
            cols[name].append(value)


def _add_events(rng: random.Random, cols: dict[str, array], call: int, t0: int, t1: int,
                model: int, agent: int) -> None:
    span = t1 - t0
    total_steps = 4 + agent % 3
    for step in range(total_steps):
        _event(rng, cols, call, t0 + span * step // total_steps, 3, state=step, total=total_steps)
    for _ in range(response_count(span // US)):
        t = rng.randrange(t0, t1)
        if rng.random() < 0.2:
            tool = _pick(rng, [5, 4, 3, 1.5, 2])
            tcid, args = rng.getrandbits(63), rng.getrandbits(31)
            _event(rng, cols, call, t, 1, model=model, tool=tool, tcid=tcid, args=args)
            ok = rng.random() >= vocab.TOOLS[tool][1]
            err = -1 if ok else rng.randrange(len(vocab.TOOLS[tool][2]))
            t_res = min(t1, t + rng.randint(200_000, 4 * US))
            _event(rng, cols, call, t_res, 2, tool=tool, tcid=tcid, args=args, success=int(ok),
                   err=err)
        _event(rng, cols, call, t, 0, model=model, tokens=_tokens(rng, model))


def _tokens(rng: random.Random, model: int) -> tuple[int, ...]:
    """(in_text, in_audio, in_image, cached_text, cached_audio, cached_image, out_text,
    out_audio, out_image), consistent: cached parts never exceed their input parts."""
    _, _, typical, audio_share = vocab.MODELS[model]
    total_in = max(50, int(typical * rng.lognormvariate(0, 0.45)))
    in_audio = int(total_in * audio_share * rng.uniform(0.8, 1.0))
    in_image = rng.randint(85, 765) if audio_share == 0 and rng.random() < 0.03 else 0
    in_text = max(1, total_in - in_audio - in_image)
    cached = int((in_text + in_audio) * rng.uniform(0.1, 0.8)) if rng.random() < 0.7 else 0
    c_audio = min(in_audio, int(cached * audio_share))
    c_text = min(in_text, cached - c_audio)
    out = rng.randint(20, 450)
    out_audio = int(out * 0.8) if audio_share else 0
    return in_text, in_audio, in_image, c_text, c_audio, 0, out - out_audio, out_audio, 0


_ZERO_TOKENS = (0,) * 9


def _event(rng: random.Random, cols: dict[str, array], call: int, t: int, etype: int, *,
           model: int = -1, tool: int = -1, tcid: int = 0, args: int = 0, success: int = -1,
           err: int = -1, state: int = -1, total: int = -1,
           tokens: tuple[int, ...] | None = None) -> None:
    hi, lo = uuid4_ints(rng.getrandbits(128))
    for name, value in (("hi", hi), ("lo", lo), ("call", call), ("occ", t),
                        ("commit", t + _delay_us(rng)), ("etype", etype), ("tool", tool),
                        ("success", success), ("err", err), ("model", model), ("state", state),
                        ("total_steps", total), ("tcid", tcid), ("args", args)):
        cols[name].append(value)
    # -1 marks "null" for the token columns of non-response events
    values = tokens if tokens is not None else (-1,) * 9
    for name, value in zip(("in_text", "in_audio", "in_image", "c_text", "c_audio", "c_image",
                            "out_text", "out_audio", "out_image"), values, strict=True):
        cols[name].append(value)


def _add_operator_events(rng: random.Random, ch: Chunk, day_start: int) -> None:
    """A shift per working operator: log in, a few breaks, log out (sometimes by the system)."""
    cols = ch.opev
    for op in range(20):
        if rng.random() < 0.15:
            continue
        # shifts start relative to the chunk start so no event predates its chunk
        t = day_start + rng.randint(0, 4 * 3600) * US
        steps = [(0, 0)]
        for _ in range(rng.randint(1, 4)):
            steps += [(1, _pick(rng, [7, 3, 0])), (0, _pick(rng, [7, 3, 0]))]
        steps.append((2, 2 if rng.random() < 0.1 else 0))
        for status, source in steps:
            hi, lo = uuid4_ints(rng.getrandbits(128))
            changed = rng.randrange(3) if source == 1 else (-2 if source == 0 and
                                                             rng.random() < 0.5 else -1)
            for name, value in (("hi", hi), ("lo", lo), ("operator", op), ("occ", t),
                                ("status", status), ("source", source), ("changed_by", changed)):
                cols[name].append(value)
            t += rng.randint(20 * 60, 150 * 60) * US
