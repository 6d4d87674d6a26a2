"""Data sensors against a real warehouse filled by the ingestion CLI (``warehouse_db``).

Sensors read the snapshot a stage publishes after its commit; where a test writes the
warehouse itself it publishes the snapshot as a stage would (:func:`write`)."""

from __future__ import annotations

import datetime as dt
import subprocess
import sys
import time
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
from hoopcast_common.snapshot import publish_snapshot


def write(db: Path, sql: str = "SELECT 1") -> None:
    """Run ``sql`` on the warehouse, then publish its snapshot (what a stage run does)."""
    conn = connect(db)
    try:
        conn.execute(sql)
        publish_snapshot(conn, db)
    finally:
        conn.close()


@pytest.fixture
def warehouse(warehouse_db: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """The ingested warehouse, migrated to the current schema and published, as HOOPCAST_DB."""
    write(warehouse_db)  # apply features/ml/predictions migrations, publish the snapshot
    monkeypatch.setenv("HOOPCAST_ENV", "replay")
    monkeypatch.setenv("HOOPCAST_DB", str(warehouse_db))
    monkeypatch.setenv("HOOPCAST_AS_OF", REPLAY_AS_OF)
    return warehouse_db


#: Finished games of the fixture warehouse (2024-11-04..2025-01-20; all 3,646 STATUS_FINAL).
FINISHED_GAMES = 3646


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
    # the fixture's finished games, 2024-11-04..2025-01-20 (counted once by hand from the file)
    assert first.is_done and first.xcom_value == FINISHED_GAMES
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
    write(
        warehouse,
        "INSERT INTO ops.quality_checks (run_id, stage, checked_at, target, check_name,"
        " severity, passed, failing_rows) VALUES ('later-run', 'features',"
        " now() + INTERVAL 1 HOUR, 'features.game_features', 'labels_present', 'blocking',"
        " FALSE, 3)",
    )
    with pytest.raises(AirflowFailException, match="labels_present"):
        sensor.poke(context())


def test_production_model_sensor(warehouse: Path) -> None:
    sensor = ProductionModelSensor(task_id="check_model")
    assert not done(sensor.poke(context()))
    write(
        warehouse,
        "INSERT INTO ml.model_registry (model_name, version, version_number, stage, artefact_path,"
        " train_until, validate_from, validate_to, feature_list, data_hash, metrics) VALUES"
        " ('hoopcast_lgbm', 'v1', 1, 'candidate', 'hoopcast_lgbm/v1', DATE '2024-12-31',"
        " DATE '2025-01-01', DATE '2025-01-19', '[]', 'abc', '{}')",
    )
    assert not done(sensor.poke(context()))  # a candidate is not enough
    write(warehouse, "UPDATE ml.model_registry SET stage = 'production'")
    production = sensor.poke(context())
    assert production.is_done
    assert production.xcom_value == {"model_name": "hoopcast_lgbm", "model_version": "v1"}


def test_upcoming_games_within_the_window(warehouse: Path) -> None:
    # game day pinned to 2025-01-20 (the replay fixture's clock): the clock is the end of that
    # day, so its 29 games are past; 2025-01-21/22/23 hold 35 + 42 + 61 scheduled games
    sensor = UpcomingGamesSensor(task_id="check_upcoming", days=3)
    found = sensor.poke(context())
    assert found.is_done and found.xcom_value == 35 + 42 + 61
    later = sensor.poke(context(as_of="2025-03-01"))  # the warehouse ends 2025-01-31
    assert not later.is_done and later.xcom_value == 0


def test_upcoming_games_from_the_runs_clock(
    warehouse: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("HOOPCAST_AS_OF")
    # local profile: no pinned game day; logical time 2025-01-21 23:30 UTC (18:30 US Eastern).
    # Of that day's 35 games 4 tipped off at 23:00 and 1 at 23:30 (started: not upcoming).
    sensor = UpcomingGamesSensor(task_id="check_upcoming", days=0)
    found = sensor.poke(
        {
            "params": {"profile": "local"},
            "logical_date": dt.datetime(2025, 1, 21, 23, 30, tzinfo=dt.UTC),
        }
    )
    assert found.is_done and found.xcom_value == 30


def test_sensors_read_the_snapshot_not_the_locked_warehouse(warehouse: Path) -> None:
    holder = duckdb.connect(str(warehouse))  # a stage run holds the write lock ...
    try:
        started = time.monotonic()
        found = UpcomingGamesSensor(task_id="check_upcoming", days=3).poke(context())
        assert time.monotonic() - started < 5  # ... the sensor neither waits nor fails
    finally:
        holder.close()
    assert found.is_done and found.xcom_value == 138


def test_no_snapshot_yet_is_not_ready(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    db = tmp_path / "hoopcast.duckdb"
    monkeypatch.setenv("HOOPCAST_DB", str(db))
    assert NewFinishedGamesSensor(task_id="s").poke(context()) is False
    connect(db).close()  # a warehouse, but no stage has published its snapshot yet
    assert NewFinishedGamesSensor(task_id="s").poke(context()) is False
