"""``hoopcast_pipeline`` end to end with ``dag.test()`` in local mode on the replay data.

Starts from the ingested warehouse (``warehouse_db``: finished games 2024-11-04..2025-01-20,
scheduled games to 2025-01-31), so collection is incremental; the real stage CLIs then build
the features and train a model on 2024-11/12, validated on 2025-01-01..20.

On two months of data the trainer's promotion gate keeps that model a candidate (it does not
beat the Elo baseline's log-loss), so the pipeline's prediction stage skips at check_model
and the run still succeeds. Promoting the candidate by hand (the real ``hoopcast-trainer
promote``) and running the ``prediction`` DAG then produces the predictions of the week after
2025-01-20.
"""

from __future__ import annotations

import datetime as dt
import subprocess
import sys
from pathlib import Path

import duckdb
import pytest
from conftest import REPLAY_AS_OF, ROOT


@pytest.mark.slow
def test_pipeline_trains_then_prediction_dag_predicts(  # type: ignore[no-untyped-def]
    dagbag,
    airflow_db: Path,
    local_replay_env: Path,
    warehouse_db: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("HOOPCAST_DB", str(warehouse_db))
    logical = dt.datetime(2025, 1, 20, tzinfo=dt.UTC)
    run = dagbag.dags["hoopcast_pipeline"].test(
        logical_date=logical,
        run_conf={"train_until": "2024-12-31", "validate_from": "2025-01-01"},
    )
    states = {ti.task_id: ti.state for ti in run.get_task_instances()}
    assert run.state == "success", states
    for task_id in (
        "data_collection.data_quality",
        "feature_engineering.feature_quality",
        "model_training.register_model",
        "pipeline_summary",
    ):
        assert states[task_id] == "success", (task_id, states)

    conn = duckdb.connect(str(warehouse_db), read_only=True)
    try:
        registry = conn.execute("SELECT version, stage FROM ml.model_registry").fetchall()
        stages = conn.execute(
            "SELECT DISTINCT stage FROM ops.stage_runs WHERE status = 'success'"
        ).fetchall()
        features = conn.execute("SELECT count(*) FROM features.game_features").fetchone()
    finally:
        conn.close()
    assert {s for (s,) in stages} >= {"ingestion", "features", "trainer"}
    assert features is not None and features[0] > 1000
    assert len(registry) == 1
    version, stage = registry[0]
    if stage != "production":  # the gate kept it: prediction stage skipped, not failed
        assert states["prediction.check_model"] == "skipped"
        assert states["prediction.store_preds"] == "skipped"
        promoted = subprocess.run(
            [str(Path(sys.executable).parent / "hoopcast-trainer"), "promote", version],
            cwd=ROOT,
            capture_output=True,
            text=True,
        )
        assert promoted.returncode == 0, promoted.stderr[-2000:]

    predict_run = dagbag.dags["prediction"].test(logical_date=logical)
    predict_states = {ti.task_id: ti.state for ti in predict_run.get_task_instances()}
    assert predict_run.state == "success", predict_states
    assert predict_states["store_preds"] == "success"

    conn = duckdb.connect(str(warehouse_db), read_only=True)
    try:
        predictions = conn.execute(
            "SELECT p.home_win_prob, g.game_date, g.status"
            " FROM predictions.predictions p JOIN core.games g USING (event_id)"
            " WHERE p.as_of = ?",
            [dt.date.fromisoformat(REPLAY_AS_OF)],
        ).fetchall()
        per_game = conn.execute(
            "SELECT max(n) FROM (SELECT count(*) AS n FROM predictions.predictions"
            " GROUP BY event_id, model_name, model_version, as_of)"
        ).fetchone()
    finally:
        conn.close()
    assert len(predictions) > 20
    assert all(0.0 < p < 1.0 for p, _, _ in predictions)
    assert all(status == "STATUS_SCHEDULED" for _, _, status in predictions)
    assert all(dt.date(2025, 1, 20) < day <= dt.date(2025, 1, 27) for _, day, _ in predictions)
    assert per_game == (1,)  # idempotent store: one row per game per model
