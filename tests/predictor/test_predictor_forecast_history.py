"""Same-day forecasts on the pipeline's clock, forecast history, the forecast of record, the
batch ids between `predict --stage-only` and `store`, and the batch check after each write —
through the real predictor CLI on a real DuckDB file."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pytest
from hoopcast_common.db import connect
from hoopcast_common.errors import BadInputError
from hoopcast_predictor import predict
from ml_testing import run_cli, stage_env, train_version
from support.queries import query

UTC = dt.UTC


def _predict(db: Path, as_of: str, now: str, *extra: str) -> dict[str, object]:
    result = run_cli(
        "hoopcast-predictor",
        ["predict", "--as-of", as_of, "--now", now, "--days", "7", *extra],
        stage_env(db),
    )
    assert result.code == 0, result.stderr[-3000:]
    return result.summary


def test_tonights_games_are_forecast_until_they_tip_off(featured_db: Path) -> None:
    train_version(featured_db, rounds=10)
    # 2025-01-21 games tip off between 23:00 and 04:00 UTC; at 09:00 Eastern all are ahead
    morning = _predict(featured_db, "2025-01-21", "2025-01-21T09:00-05:00")
    tonight = {
        str(r[0])
        for r in query(
            featured_db,
            "SELECT event_id FROM core.games WHERE game_date = '2025-01-21' AND NOT completed",
        )
    }
    assert len(tonight) == 35
    morning_rows = query(
        featured_db,
        "SELECT event_id FROM predictions.predictions WHERE forecast_at = ?",
        [dt.datetime(2025, 1, 21, 14, 0, tzinfo=UTC)],
    )
    assert tonight <= {str(r[0]) for r in morning_rows}
    assert morning["now"] == "2025-01-21T14:00:00+00:00" and morning["now_source"] == "--now"
    assert morning["window"] == "2025-01-21..2025-01-28"
    # at 23:30 UTC the 23:00 UTC games have tipped off: no forecast for them any more
    late = _predict(featured_db, "2025-01-21", "2025-01-21T23:30:00Z")
    started = {
        str(r[0])
        for r in query(
            featured_db,
            "SELECT event_id FROM core.games WHERE game_date = '2025-01-21' "
            "AND start_time_utc <= TIMESTAMPTZ '2025-01-21 23:30:00+00'",
        )
    }
    assert started and started < tonight
    late_rows = {
        str(r[0])
        for r in query(
            featured_db,
            "SELECT event_id FROM predictions.predictions WHERE forecast_at = ?",
            [dt.datetime(2025, 1, 21, 23, 30, tzinfo=UTC)],
        )
    }
    assert late_rows.isdisjoint(started) and (tonight - started) <= late_rows
    assert late["counts"]["games"] == len(late_rows)  # type: ignore[index]
    # both forecasts are kept (history), one row per moment
    assert (
        query(featured_db, "SELECT count(DISTINCT forecast_at) FROM predictions.predictions")[0][0]
        == 2
    )

    zone_less = run_cli(
        "hoopcast-predictor",
        ["predict", "--as-of", "2025-01-21", "--now", "2025-01-21T09:00"],
        stage_env(featured_db),
    )
    assert zone_less.code == 2 and "--now" in zone_less.summary["error"]


def test_forecast_of_record_is_the_last_production_forecast_before_tip_off(
    featured_db: Path,
) -> None:
    train_version(featured_db, rounds=20, stage="production")  # v1
    train_version(featured_db, rounds=2, stage="challenger")  # v2
    env = stage_env(featured_db)
    _predict(featured_db, "2025-01-20", "2025-01-20T09:00-05:00")
    _predict(featured_db, "2025-01-21", "2025-01-21T09:00-05:00")
    assert run_cli("hoopcast-trainer", ["promote", "v2"], env).code == 0
    _predict(featured_db, "2025-01-22", "2025-01-22T09:00-05:00")

    game_21 = str(
        query(
            featured_db,
            "SELECT min(event_id) FROM core.games WHERE game_date = '2025-01-21'",
        )[0][0]
    )
    game_22, tip_22 = query(
        featured_db,
        "SELECT event_id, start_time_utc FROM core.games WHERE game_date = '2025-01-22' "
        "ORDER BY event_id LIMIT 1",
    )[0]
    # a production-role forecast made after tip-off (e.g. a late backfill) never counts
    conn = connect(featured_db)
    try:
        conn.execute(
            "INSERT INTO predictions.predictions SELECT event_id, model_name, 'v1', "
            "'production', ? + INTERVAL 1 HOUR, predicted_at, as_of, run_kind, game_date, "
            "home_team_id, away_team_id, 0.01, -30, 'late' FROM predictions.predictions "
            "WHERE event_id = ? AND model_version = 'v2' AND forecast_at = ?",
            [tip_22, game_22, dt.datetime(2025, 1, 22, 14, 0, tzinfo=UTC)],
        )
    finally:
        conn.close()
    history = query(
        featured_db,
        "SELECT model_version, model_role, forecast_at FROM predictions.predictions "
        "WHERE event_id = ? ORDER BY forecast_at, model_version",
        [game_22],
    )
    day = lambda d: dt.datetime(2025, 1, d, 14, 0, tzinfo=UTC)  # noqa: E731  09:00 Eastern
    assert [(str(v), str(r), t) for v, r, t in history] == [
        ("v1", "production", day(20)),
        ("v2", "challenger", day(20)),
        ("v1", "production", day(21)),
        ("v2", "challenger", day(21)),
        ("v2", "production", day(22)),
        ("v1", "production", tip_22 + dt.timedelta(hours=1)),  # type: ignore[operator]
    ]
    records = dict(
        ((str(r[0]), (str(r[1]), r[2])))
        for r in query(
            featured_db,
            "SELECT event_id, model_version, forecast_at FROM predictions.forecasts_of_record "
            "WHERE event_id IN (?, ?)",
            [game_21, game_22],
        )
    )
    # game of the 22nd: v2's forecast of 09:00 that day (v2 was production by then);
    # game of the 21st: v1's forecast of 09:00 on the 21st (not the challenger v2's)
    assert records == {game_22: ("v2", day(22)), game_21: ("v1", day(21))}
    per_game = query(
        featured_db,
        "SELECT count(*), count(DISTINCT event_id) FROM predictions.forecasts_of_record",
    )[0]
    assert per_game[0] == per_game[1]


def test_store_publishes_exactly_the_named_batch(featured_db: Path) -> None:
    train_version(featured_db, rounds=5)
    env = stage_env(featured_db)
    first = _predict(featured_db, "2025-01-21", "2025-01-21T09:00-05:00", "--stage-only")
    second = _predict(featured_db, "2025-01-22", "2025-01-22T09:00-05:00", "--stage-only")
    assert first["batch_id"] != second["batch_id"]
    ambiguous = run_cli("hoopcast-predictor", ["store"], env)
    assert ambiguous.code == 2 and "--batch-id" in ambiguous.summary["error"]
    assert query(featured_db, "SELECT count(*) FROM predictions.predictions") == [(0,)]

    stored = run_cli("hoopcast-predictor", ["store", "--batch-id", str(first["batch_id"])], env)
    assert stored.code == 0, stored.stderr[-2000:]
    rows = query(featured_db, "SELECT DISTINCT batch_id, forecast_at FROM predictions.predictions")
    assert rows == [(first["batch_id"], dt.datetime(2025, 1, 21, 14, 0, tzinfo=UTC))]
    assert stored.summary["counts"]["predictions_stored"] == first["counts"]["predictions_staged"]  # type: ignore[index]
    # only one batch waits now: store without the id is unambiguous
    rest = run_cli("hoopcast-predictor", ["store"], env)
    assert rest.code == 0 and rest.summary["batch_id"] == second["batch_id"]
    assert run_cli("hoopcast-predictor", ["store"], env).code == 99
    unknown = run_cli("hoopcast-predictor", ["store", "--batch-id", "nope"], env)
    assert unknown.code == 2 and "nope" in unknown.summary["error"]


def test_flagged_feature_rows_are_withheld(featured_db: Path) -> None:
    train_version(featured_db, rounds=5)
    flagged = str(
        query(
            featured_db,
            "SELECT min(event_id) FROM core.games WHERE game_date = '2025-01-22'",
        )[0][0]
    )
    conn = connect(featured_db)
    try:
        conn.execute(
            "ALTER TABLE features.game_features ADD COLUMN IF NOT EXISTS quality_flags VARCHAR"
        )
        conn.execute(
            "UPDATE features.game_features SET quality_flags = 'f_home_rating out of range' "
            "WHERE event_id = ?",
            [flagged],
        )
    finally:
        conn.close()
    summary = _predict(featured_db, "2025-01-21", "2025-01-21T09:00-05:00")
    assert summary["withheld"] == {flagged: "f_home_rating out of range"}
    assert summary["counts"]["games_withheld"] == 1  # type: ignore[index]
    assert query(
        featured_db, "SELECT count(*) FROM predictions.predictions WHERE event_id = ?", [flagged]
    ) == [(0,)]
    batch = query(featured_db, "SELECT event_ids, withheld FROM predictions.forecast_batches")
    assert flagged not in json.loads(str(batch[0][0]))
    assert json.loads(str(batch[0][1])) == {flagged: "f_home_rating out of range"}


def _row(event: str, version: str, moment: dt.datetime, batch: str) -> dict[str, object]:
    return {
        "event_id": event,
        "model_name": "m",
        "model_version": version,
        "model_role": "production",
        "forecast_at": moment,
        "predicted_at": moment,
        "as_of": moment.date(),
        "run_kind": "daily",
        "game_date": moment.date(),
        "home_team_id": "1",
        "away_team_id": "2",
        "home_win_prob": 0.6,
        "predicted_margin": 3.0,
        "batch_id": batch,
    }


def test_batch_check_fails_on_a_missing_forecast_a_duplicate_or_a_changed_row(
    tmp_path: Path,
) -> None:
    import pandas as pd

    db = tmp_path / "wh.duckdb"
    t1 = dt.datetime(2025, 1, 21, 14, 0, tzinfo=UTC)
    t2 = dt.datetime(2025, 1, 22, 14, 0, tzinfo=UTC)
    conn = connect(db)
    try:
        old = pd.DataFrame([_row("e1", "v1", t1, "b1"), _row("e2", "v1", t1, "b1")])
        assert predict.write_verified(conn, old, "b1", ["e1", "e2"], [("m", "v1")]) == 2
        # the batch promised e3 too, but has no forecast for it: refused, nothing kept
        new = pd.DataFrame([_row("e1", "v1", t2, "b2"), _row("e2", "v1", t2, "b2")])
        conn.execute("BEGIN TRANSACTION")
        with pytest.raises(BadInputError, match=r"e3 m v1: 0 row"):
            predict.write_verified(conn, new, "b2", ["e1", "e2", "e3"], [("m", "v1")])
        conn.execute("ROLLBACK")
        # two forecasts of one game by one model version in one batch: refused
        twice = pd.DataFrame([_row("e1", "v1", t2, "b3"), _row("e1", "v1", t1, "b3")])
        conn.execute("BEGIN TRANSACTION")
        with pytest.raises(BadInputError, match=r"e1 m v1: 2 row"):
            predict.write_verified(conn, twice, "b3", ["e1"], [("m", "v1")])
        conn.execute("ROLLBACK")
        assert conn.execute("SELECT count(*) FROM predictions.predictions").fetchall() == [(2,)]
        # a row outside the batch changed while the batch was written: refused
        before = predict.fingerprint_outside(conn, new)
        conn.execute("UPDATE predictions.predictions SET home_win_prob = 0.7 WHERE event_id = 'e2'")
        after = predict.fingerprint_outside(conn, new)
        with pytest.raises(BadInputError, match="outside the batch changed"):
            predict.verify_batch(conn, "b2", [], [("m", "v1")], before, after)
    finally:
        conn.close()
