"""Data sensors against a real warehouse filled by the ingestion CLI (``warehouse_db``)."""

from __future__ import annotations

import datetime as dt
import subprocess
import sys
from pathlib import Path
from typing import Any

import duckdb
import pytest
from airflow.sdk.exceptions import AirflowFailException
from conftest import REPLAY_AS_OF, ROOT
from hoopcast_airflow.hooks import HoopcastDuckDBHook
from hoopcast_airflow.sensors import (
    FeaturesReadySensor,
    NewFinishedGamesSensor,
    ProductionModelSensor,
    UpcomingGamesSensor,
)
from hoopcast_common.db import connect


@pytest.fixture
def warehouse(warehouse_db: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """The ingested warehouse, migrated to the current schema, as HOOPCAST_DB."""
    connect(warehouse_db).close()  # apply features/ml/predictions migrations
    monkeypatch.setenv("HOOPCAST_ENV", "replay")
    monkeypatch.setenv("HOOPCAST_DB", str(warehouse_db))
    monkeypatch.setenv("HOOPCAST_AS_OF", REPLAY_AS_OF)
    return warehouse_db


def context(**params: Any) -> dict[str, Any]:
    return {
        "params": {"profile": "replay", **params},
        "logical_date": dt.datetime(2025, 1, 20, tzinfo=dt.UTC),
    }


def done(result: Any) -> bool:
    """A poke result as a bool (False = not yet; PokeReturnValue carries is_done)."""
    return bool(getattr(result, "is_done", result))


def build_features(db: Path) -> None:
    """Run the real features CLI on ``db`` (all layers + quality checks)."""
    script = Path(sys.executable).parent / "hoopcast-features"
    if not script.exists():
        pytest.skip("hoopcast-features is not installed yet")
    result = subprocess.run(
        [str(script), "build", "--as-of", REPLAY_AS_OF],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert result.returncode == 0, result.stderr[-2000:]


def test_new_finished_games_until_features_are_built(warehouse: Path) -> None:
    sensor = NewFinishedGamesSensor(task_id="check_new_data")
    first = sensor.poke(context())
    assert first.is_done and first.xcom_value > 100
    finished = (
        duckdb.connect(str(warehouse), read_only=True)
        .execute("SELECT count(*) FROM core.games WHERE completed")
        .fetchone()
    )
    assert first.xcom_value == finished[0]  # type: ignore[index]
    build_features(warehouse)
    after = sensor.poke(context())
    assert not after.is_done and after.xcom_value == 0


def test_features_ready_reads_stored_quality_results(warehouse: Path) -> None:
    sensor = FeaturesReadySensor(task_id="check_features")
    assert not done(sensor.poke(context()))  # the features table does not exist yet
    build_features(warehouse)
    ready = sensor.poke(context())
    assert ready.is_done and ready.xcom_value["labelled_games"] > 0
    hook = HoopcastDuckDBHook(warehouse)
    assert hook.latest_quality_results("features")
    conn = connect(warehouse)
    conn.execute(
        "INSERT INTO ops.quality_checks (run_id, stage, checked_at, target, check_name,"
        " severity, passed, failing_rows) VALUES ('later-run', 'features',"
        " now() + INTERVAL 1 HOUR, 'features.game_features', 'labels_present', 'blocking',"
        " FALSE, 3)"
    )
    conn.close()
    with pytest.raises(AirflowFailException, match="labels_present"):
        sensor.poke(context())


def test_production_model_sensor(warehouse: Path) -> None:
    sensor = ProductionModelSensor(task_id="check_model")
    assert not done(sensor.poke(context()))
    conn = connect(warehouse)
    conn.execute(
        "INSERT INTO ml.model_registry (model_name, version, version_number, stage, artefact_path,"
        " train_until, validate_from, validate_to, feature_list, data_hash, metrics) VALUES"
        " ('hoopcast_lgbm', 'v1', 1, 'candidate', 'hoopcast_lgbm/v1', DATE '2024-12-31',"
        " DATE '2025-01-01', DATE '2025-01-19', '[]', 'abc', '{}')"
    )
    conn.close()
    assert not done(sensor.poke(context()))  # a candidate is not enough
    conn = connect(warehouse)
    conn.execute("UPDATE ml.model_registry SET stage = 'production'")
    conn.close()
    production = sensor.poke(context())
    assert production.is_done
    assert production.xcom_value == {"model_name": "hoopcast_lgbm", "model_version": "v1"}


def test_upcoming_games_within_the_window(warehouse: Path) -> None:
    sensor = UpcomingGamesSensor(task_id="upcoming", days=3)
    found = sensor.poke(context())
    expected = (
        duckdb.connect(str(warehouse), read_only=True)
        .execute(
            "SELECT count(*) FROM core.games WHERE status = 'STATUS_SCHEDULED'"
            " AND game_date BETWEEN DATE '2025-01-20' AND DATE '2025-01-23'"
        )
        .fetchone()
    )
    assert found.is_done and found.xcom_value == expected[0] > 0  # type: ignore[index]
    later = sensor.poke(context(as_of="2025-03-01"))  # the warehouse ends 2025-01-31
    assert not later.is_done and later.xcom_value == 0


def test_missing_warehouse_is_not_ready(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HOOPCAST_DB", str(tmp_path / "absent.duckdb"))
    assert NewFinishedGamesSensor(task_id="s").poke(context()) is False
