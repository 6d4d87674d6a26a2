"""The four stage CLIs in a row — ingestion → features → trainer → predictor — on a fresh
warehouse of the ``--warehouse`` kind (a DuckDB file by default; ``--warehouse=ducklake``: a
DuckLake on a real PostgreSQL and a real S3 server), on the replay data of a short slice."""

from __future__ import annotations

import datetime as dt

import pytest
from hoopcast_common import forecasts
from hoopcast_common.games import game_day_start
from hoopcast_common.snapshot import open_snapshot
from hoopcast_common.warehouse import Warehouse
from ml_testing import AS_OF, SPLIT, run_cli, stage_env


@pytest.mark.warehouse
def test_ingestion_to_predictions_on_the_warehouse(
    warehouse: tuple[Warehouse, dict[str, str]], replay_server: str
) -> None:
    target, wh_env = warehouse
    env = stage_env(target.path, TRAINER_NUM_BOOST_ROUND="20", **wh_env)
    collect = run_cli(
        "hoopcast-ingestion",
        ["collect", "--from", "2024-11-04", "--to", "2025-01-27", "--as-of", AS_OF],
        {**env, "HOOPCAST_ENV": "replay", "ESPN_BASE_URL": replay_server},
    )
    assert collect.code == 0, collect.stderr[-3000:]
    built = run_cli("hoopcast-features", ["build", "--as-of", AS_OF], env)
    assert built.code == 0, built.stderr[-3000:]
    trained = run_cli(
        "hoopcast-trainer",
        ["train", "--as-of", AS_OF, *SPLIT],
        {**env, "TRAINER_MIN_GATE_GAMES": "0"},
    )
    assert trained.code == 0, trained.stderr[-3000:]
    promoted = run_cli("hoopcast-trainer", ["promote", "v1"], env)  # whatever the gate said
    assert promoted.code == 0, promoted.stderr[-3000:]
    predicted = run_cli("hoopcast-predictor", ["predict", "--as-of", AS_OF, "--days", "7"], env)
    assert predicted.code == 0, predicted.stderr[-3000:]

    reader = open_snapshot(target)  # the published snapshot, or the lake itself
    try:
        scheduled = {
            str(r[0])
            for r in reader.execute(
                "SELECT event_id FROM core.games WHERE NOT completed"
                " AND game_date BETWEEN DATE '2025-01-21' AND DATE '2025-01-27'"
            ).fetchall()
        }
        keys = reader.execute(
            "SELECT event_id, model_version FROM predictions.predictions"
        ).fetchall()
        duplicates = reader.execute(
            "SELECT count(*) FROM (SELECT event_id FROM core.games GROUP BY ALL"
            " HAVING count(*) > 1)"
        ).fetchall()
        runs = reader.execute(
            "SELECT stage, status FROM ops.stage_runs ORDER BY started_at"
        ).fetchall()
        changes = reader.execute(
            "SELECT change_id, to_stage FROM ml.stage_changes ORDER BY change_id"
        ).fetchall()
        day = dt.date.fromisoformat(AS_OF)
        upcoming = forecasts.upcoming(reader, day, game_day_start(day))
    finally:
        reader.close()
    assert len(scheduled) > 50
    assert predicted.summary["counts"]["games"] == len(scheduled)
    assert len(keys) == len(set(keys)) == len(scheduled)  # one forecast per game, no duplicate
    assert {str(k[0]) for k in keys} == scheduled
    assert duplicates == [(0,)]  # ingestion's upserts kept one row per ESPN event
    assert [r[0] for r in runs] == ["ingestion", "features", "trainer", "trainer", "predictor"]
    assert [c[0] for c in changes] == list(range(1, len(changes) + 1))  # ids given in order
    assert changes[-1][1] == "production"
    assert {r[1] for r in runs} == {"success"}
    assert upcoming  # the read path (Forecasts page, show) sees the lake's forecasts
    assert {row.event_id for row in upcoming} <= scheduled
