"""Command-line entry points: `sippet-sync simulate` and `python -m pipelines.simulator`."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from datetime import datetime

from .config import RATE_NAMES, FaultConfig, SimulatorConfig
from .server import SimulatorServer


def parse_fault(text: str) -> tuple[str, float]:
    """`rate_limit=0.1` -> ("rate_limit", 0.1); a bare name means rate 1.0."""
    kind, _, rate = text.partition("=")
    kind = kind.strip().replace("-", "_")
    if kind not in FaultConfig.model_fields:
        raise ValueError(f"unknown fault {kind!r}; known: {', '.join(RATE_NAMES)}")
    return kind, float(rate) if rate else 1.0


def _rate(text: str) -> float:
    value = float(text)
    if not 0 <= value <= 1:
        raise argparse.ArgumentTypeError(f"{text} is not within 0..1")
    return value


def run_forever(config: SimulatorConfig, host: str = "127.0.0.1", port: int = 8765) -> None:
    """Serve until Ctrl-C, after printing where and with which key."""
    server = SimulatorServer(config, host=host, port=port)
    server.start()
    sim = server.simulator
    print(f"Sippet simulator listening on {server.url}", flush=True)
    print(f"  api key: {server.api_key}", flush=True)
    print(f"  base url for the sync: SIPPET_BASE_URL={server.url}", flush=True)
    print(f"  seed={config.seed} scale={config.scale} days={config.days} live={config.live} "
          f"now={sim.now.isoformat()} records={sim.counts()}", flush=True)
    if sim.faults.active():
        print(f"  faults: {sim.faults.active()}", flush=True)
    if config.latency_ms or config.jitter_ms:
        print(f"  latency: {config.latency_ms:g} ms + up to {config.jitter_ms:g} ms jitter",
              flush=True)
    if config.policy_null:
        print(f"  policy nulls: {config.policy_null:g} of every non-id field", flush=True)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        print("stopping", file=sys.stderr)
    finally:
        server.stop()


def main_simulate(port: int = 8765, seed: int = 7, scale: int | str = "small",
                  faults: dict[str, float] | None = None, live: bool = True, days: int = 30,
                  host: str = "127.0.0.1", **options: object) -> None:
    """What `sippet-sync simulate` calls. `options` are further SimulatorConfig fields."""
    config = SimulatorConfig(seed=seed, scale=scale, days=days, live=live,
                             faults=FaultConfig(**(faults or {})), **options)
    run_forever(config, host, port)


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m pipelines.simulator",
                                     description="Serve a simulated Sippet RPC API.")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8765)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--scale", default="small", help="tiny|small|demo|bench or an int")
    parser.add_argument("--days", type=int, default=30)
    parser.add_argument("--fault", action="append", default=[], metavar="KIND=RATE")
    parser.add_argument("--fixed-clock", action="store_true",
                        help="explicit clock (moved with POST /_sim/advance) instead of live")
    parser.add_argument("--start", type=datetime.fromisoformat, default=None)
    parser.add_argument("--default-page-type", choices=("offset", "keyset"), default="offset")
    parser.add_argument("--shifting-rows", type=float, default=0.0)
    parser.add_argument("--api-key", default="sk_sim_demo_key")
    parser.add_argument("--policy-null", type=_rate, default=0.0, metavar="RATE",
                        help="share (0..1) of every non-id field's values hidden by policy "
                             "(served as null, cursor fields included)")
    parser.add_argument("--latency-ms", type=_ms, default=0.0, metavar="MS",
                        help="answer every RPC request after this many milliseconds")
    parser.add_argument("--jitter-ms", type=_ms, default=0.0, metavar="MS",
                        help="plus a uniform random 0..MS per request (seeded)")
    return parser


def _ms(text: str) -> float:
    value = float(text)
    if value < 0:
        raise argparse.ArgumentTypeError(f"{text} is negative")
    return value


def build_config(argv: Sequence[str] | None = None) -> tuple[SimulatorConfig, str, int]:
    """(config, host, port) from the command line of `python -m pipelines.simulator`."""
    parser = _parser()
    args = parser.parse_args(argv)
    try:
        faults = dict(parse_fault(f) for f in args.fault)
    except ValueError as exc:
        parser.error(str(exc))
    config = SimulatorConfig(
        seed=args.seed, scale=args.scale, days=args.days, live=not args.fixed_clock,
        faults=FaultConfig(**faults), start=args.start,
        default_page_type=args.default_page_type, shifting_rows=args.shifting_rows,
        api_key=args.api_key, policy_null=args.policy_null, latency_ms=args.latency_ms,
        jitter_ms=args.jitter_ms)
    return config, args.host, args.port


def main(argv: Sequence[str] | None = None) -> None:
    run_forever(*build_config(argv))
