"""The benchmark's Markdown table: each figure of a `python -m bench` run next to its
reference or target, with the latency section and the per-stream breakdown after it.
"""

from __future__ import annotations

from typing import Any

from bench import latency, verdict

MB = 1e6


def render(r: dict[str, Any]) -> str:
    """The run's figures, as `bench.run.main` collects them, as one Markdown section."""
    lines = [*_heading(r), "", *_figures(r), *_requests(r), "",
             *(latency.render(r["latency"]) if "latency" in r else []), "",
             *_per_stream(r), "", *_footnotes(r)]
    return "\n".join(lines)


def _heading(r: dict[str, Any]) -> list[str]:
    m = r["machine"]
    env = " ".join(f"{k}={v}" for k, v in r["env"].items())
    return [
        f"## Benchmark results ({r['scale']:,} audit events, {r['days']} days of history)",
        "",
        f"Machine: {m['cores']} cores ({m['cpu']}), {m['memory_gib']:.0f} GiB RAM; "
        f"Python {m['python']}, DuckDB {m['duckdb']}. Run {r['when']}"
        + (f", settings: `{env}`" if env else ", default settings") + ".",
        f"Command: `.venv/bin/python -m bench{' --quick' if r['scale'] == 100_000 else ''}"
        f"{' --memory-4m' if 'memory_big' in r else ''}` "
        f"(bench total {r['bench_seconds'] / 60:.1f} min).",
    ]


def _figures(r: dict[str, Any]) -> list[str]:
    """Throughput against DuckDB, incremental cost, start-up and memory, each with its target."""
    full, ref, inc, noop = r["full"], r["reference"], r["incremental"], r["nothing_new"]
    audit = full["audit"]
    audit_rate = audit["rows_inserted"] / audit["seconds"]
    overall_rate = full["landed"] / full["wall_seconds"]
    ref_rate = ref["rows_per_second"]
    inc_ratio = inc["wall_seconds"] / full["wall_seconds"]
    noop_ratio = noop["wall_seconds"] / full["wall_seconds"]
    rss = full["peak_rss_bytes"]
    return [
        "| figure | value | reference / target | ratio | status |",
        "| --- | ---: | ---: | ---: | --- |",
        f"| full sync: wall time (process, start-up incl.) | {full['wall_seconds']:.1f} s | | | |",
        f"| full sync: records landed, all {len(full['streams'])} streams | {full['landed']:,}"
        " | | | |",
        f"| full sync: all records/s (landed ÷ process wall) | {overall_rate:,.0f}/s | "
        f"DuckDB {ref_rate:,.0f}/s | {overall_rate / ref_rate:.2f} | (mixed record sizes) |",
        f"| **audit events/s** (audit stream, ledger duration: HTTP + validation + load + "
        f"state) | **{audit_rate:,.0f}/s** ({audit['rows_inserted']:,} in "
        f"{audit['seconds']:.1f} s) | DuckDB `read_json` {ref_rate:,.0f}/s "
        f"({ref['rows']:,} in {ref['seconds']:.2f} s) | **{audit_rate / ref_rate:.2f}** | "
        f"target ≥ 0.5: {verdict(audit_rate / ref_rate >= 0.5)} |",
        f"| incremental sync (~{r.get('change_pct', 1)}% new/changed): wall time | "
        f"{inc['wall_seconds']:.2f} s ({inc['landed']:,} landed) | full "
        f"{full['wall_seconds']:.1f} s | {inc_ratio:.1%} | target ≤ 10%: "
        f"{verdict(inc_ratio <= 0.10)} |",
        f"| sync with nothing new: wall time | {noop['wall_seconds']:.2f} s "
        f"({noop['landed']:,} landed) | full {full['wall_seconds']:.1f} s | {noop_ratio:.1%} | "
        f"target ≤ 5%: {verdict(noop_ratio <= 0.05)} |",
        f"| CLI start-up (`sippet-sync --help`) | {r['startup_seconds']:.2f} s | | | |",
        f"| peak RSS, full sync of {r['scale']:,} | {rss / MB:.0f} MB | ≤ 400 MB | | "
        f"{verdict(rss <= 400 * MB)} |",
        _memory_big(r, rss),
    ]


def _memory_big(r: dict[str, Any], rss: int) -> str:
    if "memory_big" not in r:
        return "| peak RSS, full sync of 4,000,000 | not run (`--memory-4m`) | | | |"
    big = r["memory_big"]
    growth = big["peak_rss_bytes"] / rss
    return (f"| peak RSS, full sync of {big['scale']:,} | {big['peak_rss_bytes'] / MB:.0f} MB "
            f"({big['wall_seconds'] / 60:.1f} min, {big['landed']:,} landed) | "
            f"{r['scale']:,}: {rss / MB:.0f} MB | {growth:.2f}x | target ≤ 1.15x and ≤ 400 MB:"
            f" {verdict(growth <= 1.15 and big['peak_rss_bytes'] <= 400 * MB)} |")


def _requests(r: dict[str, Any]) -> list[str]:
    lines = []
    for label, s in (("full", r["full"]), ("incremental", r["incremental"]),
                     ("nothing new", r["nothing_new"])):
        landed = s["landed"]
        per = (f"per record landed: {s['requests'] / landed:.4f} pages, "
               f"{s['bytes_served'] / landed:,.0f} bytes, {s['rows_served'] / landed:.2f} rows "
               "served" if landed else "nothing landed (pure re-read of the lookback window)")
        lines.append(
            f"| requests: {label} sync | {s['requests']:,} pages, {s['bytes_served'] / MB:,.1f}"
            f" MB, {s['rows_served']:,} rows served | {per} | | |")
    return lines


def _per_stream(r: dict[str, Any]) -> list[str]:
    lines = [
        "Full sync per stream (from `sippet._sync_runs`):",
        "",
        "| stream | pages | fetched | inserted | updated | seconds | rows/s |",
        "| --- | ---: | ---: | ---: | ---: | ---: | ---: |",
    ]
    for s in r["full"]["streams"]:
        secs = float(s["seconds"] or 0)
        lines.append(f"| {s['stream']} | {s['pages']:,} | {s['rows_fetched']:,} | "
                     f"{s['rows_inserted']:,} | {s['rows_updated']:,} | {secs:.2f} | "
                     f"{s['rows_fetched'] / secs if secs else 0:,.0f} |")
    return lines


def _footnotes(r: dict[str, Any]) -> list[str]:
    ref = r["reference"]
    return [
        f"Incremental sync: clock advanced to {r['advanced_to']}; per stream "
        "fetched/inserted/updated: " + "; ".join(
            f"{s['stream']} {s['rows_fetched']:,}/{s['rows_inserted']:,}/{s['rows_updated']:,}"
            for s in r["incremental"]["streams"]) + ".",
        f"Reference: {ref['ndjson_bytes'] / MB:,.0f} MB NDJSON, CREATE TABLE AS read_json "
        f"{ref['load_seconds']:.2f} s + CHECKPOINT {ref['checkpoint_seconds']:.2f} s, "
        f"DuckDB peak RSS {ref['peak_rss_bytes'] / MB:,.0f} MB. Peak RSS is the kernel's "
        "ru_maxrss of the sync process (wait4).",
    ]
