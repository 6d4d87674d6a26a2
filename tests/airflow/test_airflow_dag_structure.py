"""DAG ids, schedules (via the timetables), limits and exact upstream lists."""

from __future__ import annotations

import datetime as dt

import pytest
from airflow.sdk import CronTriggerTimetable

CHAINS = {
    "data_collection": [
        "collect_teams",
        "collect_games",
        "collect_players",
        "collect_stats",
        "data_quality",
    ],
    "feature_engineering": [
        "check_new_data",
        "team_features",
        "player_features",
        "game_features",
        "feature_quality",
    ],
    "model_training": [
        "check_features",
        "prepare_dataset",
        "train_model",
        "evaluate_model",
        "register_model",
    ],
    "prediction": [
        "check_model",
        "check_upcoming",
        "generate_preds",
        "store_preds",
        "evaluate_preds",
        "backtest_model",
        "report_preds",
    ],
}
LIMITS = {  # max_active_tasks, execution timeout, retries
    "data_collection": (4, dt.timedelta(hours=2), 3),
    "feature_engineering": (2, dt.timedelta(hours=1), 2),
    "model_training": (1, dt.timedelta(hours=4), 1),
    "prediction": (1, dt.timedelta(minutes=30), 3),
}
SENSORS = {"check_new_data", "check_features", "check_model", "check_upcoming"}


def upstream_map(dag) -> dict[str, list[str]]:  # type: ignore[no-untyped-def]
    return {t.task_id: sorted(t.upstream_task_ids) for t in dag.tasks}


@pytest.mark.parametrize("dag_id", sorted(CHAINS))
def test_stage_dag_exact_upstream_lists(dagbag, dag_id: str) -> None:  # type: ignore[no-untyped-def]
    chain = CHAINS[dag_id]
    expected = {t: ([chain[i - 1]] if i else []) for i, t in enumerate(chain)}
    assert upstream_map(dagbag.dags[dag_id]) == expected


@pytest.mark.parametrize("dag_id", sorted(CHAINS))
def test_stage_dag_limits(dagbag, dag_id: str) -> None:  # type: ignore[no-untyped-def]
    dag = dagbag.dags[dag_id]
    concurrency, timeout, retries = LIMITS[dag_id]
    assert dag.catchup is False
    assert dag.max_active_runs == 1
    assert dag.max_active_tasks == concurrency
    assert set(dag.params.keys()) == {
        "profile",
        "as_of",
        "date_from",
        "date_to",
        "train_from",
        "train_until",
        "validate_from",
        "validate_to",
    }
    for task in dag.tasks:
        assert task.retries == retries, task.task_id
        assert task.retry_exponential_backoff == 2.0
        assert task.max_retry_delay == dt.timedelta(minutes=30)
        assert task.on_failure_callback, task.task_id
        if task.task_id in SENSORS:
            assert task.mode == "reschedule"
            assert task.timeout == timeout.total_seconds()
            assert task.pool != "hoopcast_duckdb"  # sensors only read
        else:
            assert task.execution_timeout == timeout
            assert task.pool == "hoopcast_duckdb"


def test_schedules(dagbag) -> None:  # type: ignore[no-untyped-def]
    dags = dagbag.dags
    # collection at 10:00 UTC = 05:00 EST: the night's games (last ones end ~1:30 am ET) are final
    for dag_id, cron in (("data_collection", "0 10 * * *"), ("model_training", "0 11 * * 0")):
        timetable = dags[dag_id].timetable
        assert isinstance(timetable, CronTriggerTimetable)
        assert timetable.expression == cron
    for dag_id in ("feature_engineering", "prediction"):  # no cron: asset events only
        assert type(dags[dag_id].timetable).__name__ == "AssetTriggeredTimetable"
    assert dags["hoopcast_pipeline"].schedule is None
    assert type(dags["hoopcast_pipeline"].timetable).__name__ == "NullTimetable"


def test_stage_tasks_run_the_catalog_commands(dagbag) -> None:  # type: ignore[no-untyped-def]
    dags = dagbag.dags
    assert dags["data_collection"].get_task("collect_games").stage.command == ("games",)
    assert dags["data_collection"].get_task("collect_games").stage.date_range
    assert dags["feature_engineering"].get_task("team_features").stage.command == (
        "build",
        "--layer",
        "team",
    )
    assert dags["model_training"].get_task("train_model").stage.command == ("fit",)
    assert dags["prediction"].get_task("store_preds").stage.command == ("store",)
    for task_id in ("evaluate_preds", "backtest_model", "report_preds"):
        assert dags["prediction"].get_task(task_id).trigger_rule == "none_failed", task_id
    assert dags["prediction"].get_task("backtest_model").stage.command == (
        "backtest",
        "--days",
        "28",
    )
    assert dags["prediction"].get_task("report_preds").stage.command == ("report",)


def test_pipeline_chains_the_four_stages_then_summarises(dagbag) -> None:  # type: ignore[no-untyped-def]
    dag = dagbag.dags["hoopcast_pipeline"]
    ups = upstream_map(dag)
    groups = list(CHAINS)
    expected: dict[str, list[str]] = {}
    previous: str | None = None
    for group in groups:
        for task_id in CHAINS[group]:
            full = f"{group}.{task_id}"
            expected[full] = [previous] if previous else []
            previous = full
    expected["pipeline_summary"] = [str(previous)]
    assert ups == expected
    assert dag.max_active_runs == 1 and dag.catchup is False
    assert dag.get_task("pipeline_summary").trigger_rule == "none_failed"
    # a stage with nothing new (skipped) does not block the later stages
    for entry in (
        "feature_engineering.check_new_data",
        "model_training.check_features",
        "prediction.check_model",
    ):
        assert dag.get_task(entry).trigger_rule == "none_failed"
        assert dag.get_task(entry).mode == "poke" and dag.get_task(entry).timeout == 60
    # ids through XCom from the same task group (the pipeline's task ids are prefixed)
    assert (
        "task_ids='prediction.generate_preds'"
        in (dag.get_task("prediction.store_preds").xcom_values["--batch-id"])
    )
    assert dag.get_task("data_collection.collect_teams").trigger_rule == "all_success"
    assert dag.get_task("model_training.train_model").trigger_rule == "all_success"
