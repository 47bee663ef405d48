"""A first read's time range is cut over the span that holds data, against the simulator."""

from __future__ import annotations

import itertools
from datetime import timedelta

from pipelines.client import SippetClient
from pipelines.slices import probed_slices
from pipelines.timestamps import format_instant
from tests.conftest import settings_for

ACTION, FIELD = "list_call_transcripts", "occurredAt"


def _count(client: SippetClient, low, high) -> int:
    data = client.run(ACTION, fields=["id"], page={"limit": 1, "offset": 0, "count": True},
                      filter={FIELD: {"greaterThanOrEqual": format_instant(low),
                                      "lessThan": format_instant(high)}})
    return data["count"]


def test_a_range_reaching_far_past_the_newest_record_is_cut_where_the_records_are(
        sim, tmp_path):
    """The sync's `end` lies 60 days after the simulator's newest record and its `start` a
    year before the oldest: equal slices of the whole range would leave the data in one of
    them. Cut over [oldest, newest], every slice holds a fair share, and the slices still
    cover the whole range without gap or overlap."""
    now = sim.simulator.now
    start, end = now - timedelta(days=365), now + timedelta(days=60)
    with SippetClient(settings_for(sim, str(tmp_path / "w.duckdb"))) as client:
        slices = probed_slices(client, ACTION, FIELD, start, end, 4)
        counts = [_count(client, low, high) for low, high in slices]
        total = _count(client, start, end)
        requests = client.stats.requests

    assert len(slices) == 4
    assert slices[0][0] == start and slices[-1][1] == end
    assert all(a[1] == b[0] for a, b in itertools.pairwise(slices))
    assert sum(counts) == total > 1000
    assert min(counts) > total // 8, counts  # equal time slices of the data's span
    assert requests == 2 + 4 + 1  # the probes: one oldest, one newest record
