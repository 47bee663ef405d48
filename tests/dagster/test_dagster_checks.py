"""Each asset check passes on a good warehouse and fails on one broken on purpose."""

from datetime import UTC, datetime, timedelta
from pathlib import Path

import dagster as dg
import duckdb
import pytest

from pipelines.settings import SippetSettings
from pipelines.verify import ReconcileResult, format_report, reconcile
from tests.dagster.conftest import copy_warehouse, dagster_defs


def run_check(
    server, target: str, asset: str, check: str, schema: str = "sippet"
) -> dg.AssetCheckEvaluation:
    """Execute one check through Dagster, in-process, and return its evaluation."""
    key = dg.AssetCheckKey(dg.AssetKey([schema, asset]), check)
    job = (
        dagster_defs(server, target)
        .resolve_implicit_global_asset_job_def()
        .get_subset(asset_selection=set(), asset_check_selection={key})
    )
    # a failed blocking check also fails its step: read the evaluation, not the run status
    result = job.execute_in_process(instance=dg.DagsterInstance.ephemeral(), raise_on_error=False)
    (evaluation,) = result.get_asset_check_evaluations()
    return evaluation


def yesterday() -> tuple[datetime, datetime]:
    midnight = datetime.now(UTC).replace(hour=0, minute=0, second=0, microsecond=0)
    return midnight - timedelta(days=1), midnight


BREAKERS = {
    # (asset, check): SQL that breaks what the check guards
    ("call_transcripts", "primary_key_unique"): [
        "insert into sippet.call_transcripts select * from sippet.call_transcripts limit 1"
    ],
    ("call_ai_audit_events", "primary_key_unique"): [
        "insert into sippet.call_ai_audit_events select * from sippet.call_ai_audit_events limit 1"
    ],
    ("calls", "quarantine_empty"): [
        "insert into sippet._quarantine values ('calls', 'c-1', 'startedAt', "
        "'timestamp without timezone', '{}', now(), now())"
    ],
    ("operator_statuses", "synced_recently"): [
        "update sippet._sync_runs set ended_at = now() - interval 2 hour, "
        "started_at = now() - interval 2 hour where stream = 'operator_statuses'"
    ],
    ("call_ai_audit_events", "matches_source"): [
        "delete from sippet.call_ai_audit_events where occurred_at >= ? and occurred_at < ?"
    ],
    ("call_transcripts", "matches_source"): [
        "delete from sippet.call_transcripts where occurred_at >= ? and occurred_at < ?"
    ],
}


ANALYTICS_BREAKERS = {
    ("call_facts", "grain_unique"): "insert into analytics.call_facts "
    "select * from analytics.call_facts limit 1",
    ("token_usage_daily", "grain_unique"): "insert into analytics.token_usage_daily "
    "select * from analytics.token_usage_daily limit 1",
    ("token_usage_daily", "tokens_match_raw"): "update analytics.token_usage_daily "
    "set total_tokens = total_tokens + 1",
    ("ai_response_costs", "tokens_match_raw"): "delete from analytics.ai_response_costs "
    "where total_tokens > 0 and event_id = (select min(event_id) from analytics.ai_response_costs "
    "where total_tokens > 0)",
    ("token_usage_daily", "unpriced_models_reported"): "update analytics.token_usage_daily "
    "set is_priced = false, cost_usd = null "
    "where model = (select min(model) from analytics.token_usage_daily)",
}


@pytest.fixture
def api_key_env(sim_now, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SIPPET_API_KEY", sim_now.api_key)


@pytest.mark.parametrize(("asset", "check"), list(BREAKERS))
def test_check_passes_on_good_data_and_fails_on_broken(
    golden, sim_now, api_key_env, tmp_path: Path, asset: str, check: str
) -> None:
    target = copy_warehouse(golden["target"], tmp_path)
    assert run_check(sim_now, target, asset, check).passed

    con = duckdb.connect(target)
    for sql in BREAKERS[(asset, check)]:
        con.execute(sql, list(yesterday()) if "?" in sql else None)
    con.close()
    failed = run_check(sim_now, target, asset, check)
    assert not failed.passed
    assert failed.metadata


def test_completed_call_without_transcript_fails_reconciliation(
    golden, sim_now, tmp_path: Path
) -> None:
    """Only the transcript lines of one completed call go missing: the daily counts would catch
    it too, so look at the dedicated result."""
    target = copy_warehouse(golden["target"], tmp_path)
    settings = SippetSettings(base_url=sim_now.url, api_key=sim_now.api_key)
    assert all(r.ok for r in reconcile(settings, target, days=3))

    con = duckdb.connect(target)
    (call_id,) = con.execute(
        "select c.id from sippet.calls c join sippet.call_transcripts t on t.call_id = c.id "
        "where c.status = 'completed' and c.ended_at >= ? and c.ended_at < now() - interval 2 hour "
        "limit 1",
        [yesterday()[0] - timedelta(days=1)],
    ).fetchone()
    con.execute("delete from sippet.call_transcripts where call_id = ?", [call_id])
    con.close()

    results = reconcile(settings, target, days=3)
    missing = [r for r in results if r.check == "calls_without_transcripts"]
    assert [(r.ok, r.sample_ids) for r in missing] == [(False, [call_id])]
    report = format_report(results)
    assert call_id in report and "MISMATCH" in report


def test_format_report() -> None:
    day = datetime(2026, 11, 24, tzinfo=UTC).date()
    report = format_report(
        [
            ReconcileResult("daily_count", "call_transcripts", day, 10, 10),
            ReconcileResult("daily_count", "call_ai_audit_events", day, 7, 5),
            ReconcileResult("daily_count", "call_ai_audit_events", day, None, 5, "no count"),
        ]
    )
    lines = report.splitlines()
    assert lines[1].endswith("ok") and "2026-11-24" in lines[1]
    assert "MISMATCH" in lines[2] and " 7 " in lines[2]
    assert "no count" in lines[3]
    assert lines[-1] == "1 of 3 checks passed"


def test_failing_key_check_stops_the_marts_of_that_run(
    golden, sim_now, api_key_env, tmp_path: Path
) -> None:
    """A duplicate key planted in a raw table: the raw asset syncs, its blocking check fails,
    and the analytics assets downstream are not built in that run."""
    target = copy_warehouse(golden["target"], tmp_path)
    con = duckdb.connect(target)
    con.execute("insert into sippet.call_transcripts select * from sippet.call_transcripts limit 1")
    con.close()
    raw = dg.AssetKey(["sippet", "call_transcripts"])
    marts = {dg.AssetKey(["analytics", "call_facts"]), dg.AssetKey(["analytics", "calls_daily"])}
    defs = dagster_defs(sim_now, target)
    job = defs.resolve_implicit_global_asset_job_def().get_subset(
        asset_selection={raw, *marts},
        asset_check_selection={dg.AssetCheckKey(raw, "primary_key_unique")},
    )
    result = job.execute_in_process(instance=dg.DagsterInstance.ephemeral(), raise_on_error=False)

    assert [m.asset_key for m in result.get_asset_materialization_events()] == [raw]
    (evaluation,) = result.get_asset_check_evaluations()
    assert (evaluation.asset_check_key, evaluation.passed) == (
        dg.AssetCheckKey(raw, "primary_key_unique"),
        False,
    )
    assert evaluation.metadata["duplicate_rows"].value == 1
    assert not result.success
    started = {e.step_key for e in result.all_events if e.event_type_value == "STEP_START"}
    assert started == {"sippet__call_transcripts", "raw_primary_keys_unique"}


@pytest.mark.parametrize(("asset", "check"), list(ANALYTICS_BREAKERS))
def test_analytics_check_passes_on_good_data_and_fails_on_broken(
    golden, sim_now, tmp_path: Path, asset: str, check: str
) -> None:
    target = copy_warehouse(golden["target"], tmp_path)
    assert run_check(sim_now, target, asset, check, schema="analytics").passed
    con = duckdb.connect(target)
    con.execute(ANALYTICS_BREAKERS[(asset, check)])
    con.close()
    failed = run_check(sim_now, target, asset, check, schema="analytics")
    assert not failed.passed
    assert failed.metadata


MARTS = ("call_facts", "calls_daily", "token_usage_daily", "tool_reliability")


def _requested(evaluation) -> set[str]:
    return {
        f"analytics/{name}"
        for name in MARTS
        if evaluation.get_num_requested(dg.AssetKey(["analytics", name]))
    }


def test_automation_holds_the_marts_behind_a_failed_blocking_check(
    sim_now, api_key_env, tmp_path: Path
) -> None:
    """After a run whose key check failed, the next automation ticks do not build the marts
    downstream either, until the check passes again."""
    target = str(tmp_path / "w.duckdb")
    defs = dagster_defs(sim_now, target)
    implicit = defs.resolve_implicit_global_asset_job_def()
    raw = dg.AssetKey(["sippet", "call_transcripts"])
    key_check = dg.AssetCheckKey(raw, "primary_key_unique")
    # the blocking checks are judged against the asset's latest materialization: run both
    blocking = {key_check, dg.AssetCheckKey(raw, "quarantine_empty")}
    with dg.DagsterInstance.ephemeral() as instance:
        everything = implicit.get_subset(asset_selection=set(defs.resolve_asset_graph()
                                                             .get_all_asset_keys()))
        assert everything.execute_in_process(instance=instance).success
        first = dg.evaluate_automation_conditions(defs=defs, instance=instance)

        con = duckdb.connect(target)
        con.execute("insert into sippet.call_transcripts "
                    "select * from sippet.call_transcripts limit 1")
        con.close()
        broken = implicit.get_subset(asset_selection={raw}, asset_check_selection=blocking)
        assert not broken.execute_in_process(instance=instance, raise_on_error=False).success
        held = dg.evaluate_automation_conditions(defs=defs, instance=instance,
                                                 cursor=first.cursor)
        assert _requested(held) == set()

        con = duckdb.connect(target)
        con.execute("delete from sippet.call_transcripts where rowid = "
                    "(select max(rowid) from sippet.call_transcripts)")
        con.close()
        check_only = implicit.get_subset(asset_selection=set(), asset_check_selection={key_check})
        assert check_only.execute_in_process(instance=instance).success
        released = dg.evaluate_automation_conditions(defs=defs, instance=instance,
                                                     cursor=held.cursor)
        assert _requested(released) == {"analytics/call_facts", "analytics/calls_daily"}
