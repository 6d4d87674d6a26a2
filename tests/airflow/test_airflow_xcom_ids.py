"""Tasks hand over explicit ids through XCom: overlapping runs of ``model_training`` and of
``prediction``.

Two real DAG runs of the real ``model_training`` DAG (local mode: each task runs
``hoopcast-trainer`` in a subprocess) are stepped task by task, interleaved: run A's
``prepare_dataset``, then run B's, then A's ``train_model``, B's ... With "the latest training
run" A's fit would pick B's dataset; with ids from XCom every step works on its own run. Then
two ``prediction`` runs the same way: A's ``generate_preds``, B's, A's ``store_preds``, B's;
each store publishes its own run's batch.
The runs are stepped the way ``dag.test()`` steps one (``DagRun.update_state`` for the ready
task instances, then the task run in-process), which ``dag.test()`` cannot do for two at once.
"""

from __future__ import annotations

import datetime as dt
import subprocess
import sys
from pathlib import Path
from typing import Any

import duckdb
import pytest
from conftest import REPLAY_AS_OF, ROOT

WINDOW = {"train_until": "2024-12-31", "validate_from": "2025-01-01"}


def load_run(dag_id: str, run_id: str, session: Any) -> Any:
    from airflow.models.dagrun import DagRun
    from sqlalchemy import select

    return session.scalar(select(DagRun).where(DagRun.dag_id == dag_id, DagRun.run_id == run_id))


def step(dag: Any, run_id: str, task_id: str) -> None:
    """Run the task instance ``task_id`` of DAG run ``run_id`` now (it must be ready)."""
    from airflow.sdk.definitions.dag import _run_task
    from airflow.serialization.serialized_objects import DagSerialization
    from airflow.utils.state import TaskInstanceState

    from airflow import settings

    session = settings.Session()
    session.expire_all()
    run = load_run(dag.dag_id, run_id, session)
    run.dag = DagSerialization.deserialize_dag(DagSerialization.serialize_dag(dag))
    ready, _ = run.update_state(session=session)
    [ti] = [t for t in ready if t.task_id == task_id] or [None]
    assert ti is not None, f"{task_id} is not ready in {run.run_id}"
    ti.try_number += 1
    ti.state = TaskInstanceState.SCHEDULED
    session.commit()
    _run_task(ti=ti, task=dag.task_dict[task_id])
    session = settings.Session()
    session.expire_all()
    state = load_run(dag.dag_id, run_id, session).get_task_instance(task_id, session=session).state
    assert state == TaskInstanceState.SUCCESS, (run_id, task_id, state)


def new_run(dag: Any, run_id: str, logical: dt.datetime) -> str:
    """A queued manual DAG run of the (already synced) ``dag`` with the training window."""
    from airflow.models.dagrun import get_or_create_dagrun
    from airflow.serialization.serialized_objects import DagSerialization
    from airflow.utils.state import DagRunState
    from airflow.utils.types import DagRunTriggeredByType

    from airflow import settings

    session = settings.Session()
    scheduler_dag = DagSerialization.deserialize_dag(DagSerialization.serialize_dag(dag))
    run = get_or_create_dagrun(
        dag=scheduler_dag,
        run_id=run_id,
        logical_date=logical,
        data_interval=(logical, logical),
        run_after=logical,
        conf=dict(WINDOW),
        triggered_by=DagRunTriggeredByType.TEST,
        triggering_user_name="test",
        start_date=logical,
        session=session,
    )
    run.state = DagRunState.RUNNING
    session.commit()
    return run_id


def xcom(dag_id: str, run_id: str, task_id: str) -> dict[str, Any]:
    from airflow.models.xcom import XComModel

    from airflow import settings

    session = settings.Session()
    value = session.scalars(
        XComModel.get_many(run_id=run_id, dag_ids=dag_id, task_ids=task_id, key="return_value")
    ).first()
    assert value is not None, (run_id, task_id)
    return dict(XComModel.deserialize_value(value))


def interleaved_runs(
    dag: Any, prefix: str, logical: dt.datetime, task_ids: tuple[str, ...]
) -> dict[str, str]:
    """Runs ``a`` and ``b`` of ``dag`` (run ids ``{prefix}_a``/``_b``, logical dates ``logical``
    and an hour later), stepped task by task, interleaved: a's first task, b's, a's second ...

    A ``dag.test()`` a week before ``logical`` (its tasks only marked successful) first syncs the
    DAG to the metadata DB. Returns name → run id.
    """
    dag.test(logical_date=logical - dt.timedelta(days=7), mark_success_pattern=".*")
    runs = {
        name: new_run(dag, f"{prefix}_{name}", logical + dt.timedelta(hours=i))
        for i, name in enumerate("ab")
    }
    for task_id in task_ids:
        for name in "ab":
            step(dag, runs[name], task_id)
    return runs


def run_cli(name: str, *args: str, timeout: float) -> None:
    """Run the console script ``name`` of this environment in the project root; it must succeed."""
    done = subprocess.run(
        [str(Path(sys.executable).parent / name), *args],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=timeout,
    )
    assert done.returncode == 0, done.stderr[-2000:]


@pytest.fixture
def featured_warehouse(
    warehouse_db: Path, local_replay_env: Path, monkeypatch: pytest.MonkeyPatch
) -> Path:
    """The ingested warehouse with features built by the real features CLI, as HOOPCAST_DB."""
    monkeypatch.setenv("HOOPCAST_DB", str(warehouse_db))
    run_cli("hoopcast-features", "build", "--as-of", REPLAY_AS_OF, timeout=600)
    return warehouse_db


@pytest.mark.slow
def test_overlapping_runs_each_use_their_own_ids(  # type: ignore[no-untyped-def]
    dagbag, airflow_db: Path, featured_warehouse: Path
) -> None:
    dag = dagbag.dags["model_training"]
    logical = dt.datetime(2025, 1, 20, 10, tzinfo=dt.UTC)
    tasks = ("check_features", "prepare_dataset", "train_model", "evaluate_model", "register_model")
    runs = interleaved_runs(dag, "overlap", logical, tasks)

    conn = duckdb.connect(str(featured_warehouse), read_only=True)
    try:
        steps = dict(
            conn.execute("SELECT run_id, step FROM ml.training_runs").fetchall()  # type: ignore[arg-type]
        )
    finally:
        conn.close()
    training_run: dict[str, str] = {}
    for name, run in runs.items():
        ids = {
            t: xcom(dag.dag_id, run, t)["training_run_id"]
            for t in ("prepare_dataset", "train_model", "evaluate_model", "register_model")
        }
        assert len(set(ids.values())) == 1, (name, ids)  # every step on the run's own dataset
        training_run[name] = ids["prepare_dataset"]
    assert training_run["a"] != training_run["b"]
    assert steps[training_run["a"]] == steps[training_run["b"]] == "register"

    # the registered model of run a serves (a two-month model may stay a candidate at the gate)
    version = xcom(dag.dag_id, runs["a"], "register_model")["model_version"]
    run_cli("hoopcast-trainer", "promote", str(version), timeout=300)
    prediction = dagbag.dags["prediction"]
    tasks = ("check_model", "check_upcoming", "generate_preds", "store_preds")
    predict_runs = interleaved_runs(prediction, "overlap_predict", logical, tasks)
    batches = set()
    for run in predict_runs.values():
        staged = xcom(prediction.dag_id, run, "generate_preds")
        stored = xcom(prediction.dag_id, run, "store_preds")
        assert stored["batch_id"] == staged["batch_id"] == staged["run_id"]  # its own batch
        assert stored["counts"]["predictions_stored"] == staged["counts"]["predictions_staged"] > 0
        batches.add(stored["batch_id"])
    assert len(batches) == 2
