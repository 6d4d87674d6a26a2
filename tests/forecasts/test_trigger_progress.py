"""The start-up trigger's task-by-task progress (docker/airflow/trigger_pipeline.py) read from
the real REST API of the in-process Airflow app, after a real run of a small DAG by
``airflow dags test`` (a subprocess on the same metadata database): one task succeeded, one
failed, one upstream_failed."""

from __future__ import annotations

import importlib.util
import os
import subprocess
import sys
from pathlib import Path
from types import ModuleType
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
DAG_ID = "forecasts_trigger_progress"
DAG_FILE = f'''
import datetime as dt
from airflow.providers.standard.operators.python import PythonOperator
from airflow.sdk import DAG

def fail():
    raise RuntimeError("this task fails on purpose")

with DAG("{DAG_ID}", schedule=None, start_date=dt.datetime(2025, 1, 1)):
    ok = PythonOperator(task_id="fine", python_callable=lambda: None)
    bad = PythonOperator(task_id="broken", python_callable=fail)
    after = PythonOperator(task_id="after_broken", python_callable=lambda: None)
    ok >> bad >> after
'''


def _trigger_module() -> ModuleType:
    path = ROOT / "docker" / "airflow" / "trigger_pipeline.py"
    spec = importlib.util.spec_from_file_location("trigger_pipeline", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_task_progress_of_a_real_run(airflow_api: Any, token: str, tmp_path: Path) -> None:
    dags = tmp_path / "dags"
    dags.mkdir()
    (dags / "progress_dag.py").write_text(DAG_FILE)
    env = {**os.environ, "AIRFLOW__CORE__DAGS_FOLDER": str(dags)}
    airflow = Path(sys.executable).with_name("airflow")
    subprocess.run(
        [str(airflow), "dags", "test", DAG_ID, "2025-01-20"],
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )  # fmt: skip  (exit code 1: the run failed, as meant)
    airflow_api.cookies.clear()
    airflow_api.headers["Authorization"] = f"Bearer {token}"
    try:
        runs = airflow_api.get(f"/api/v2/dags/{DAG_ID}/dagRuns").json()["dag_runs"]
        assert len(runs) == 1, runs
        progress = _trigger_module().task_progress(airflow_api, DAG_ID, runs[0]["dag_run_id"])
    finally:
        del airflow_api.headers["Authorization"]
    states = {task: state for task, (state, _duration) in progress.items()}
    assert states == {"fine": "success", "broken": "failed", "after_broken": "upstream_failed"}
    assert progress["fine"][1].endswith(" s")
