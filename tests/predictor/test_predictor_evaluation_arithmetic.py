"""Evaluation arithmetic on a hand-made case: accuracy, log-loss, Brier score and margin MAE
computed by hand and compared with what ``evaluate`` stores (real DuckDB file)."""

from __future__ import annotations

import datetime as dt
import math
from pathlib import Path

import pytest
from hoopcast_common.db import connect
from hoopcast_predictor.evaluation import evaluate

# (event, game date, home score, away score, predicted home-win prob, predicted margin)
GAMES = [
    ("e1", dt.date(2025, 1, 6), 80, 70, 0.8, 6.0),  # Monday, week 1: correct
    ("e2", dt.date(2025, 1, 7), 60, 65, 0.6, 2.0),  # week 1: wrong
    ("e3", dt.date(2025, 1, 13), 55, 70, 0.3, -4.0),  # Monday, week 2: correct (away)
    ("e4", dt.date(2025, 1, 19), 71, 70, 0.5, 0.0),  # Sunday, week 2: 0.5 counts as home
]


@pytest.fixture
def db(tmp_path: Path) -> Path:
    path = tmp_path / "eval.duckdb"
    conn = connect(path)
    try:
        for event, day, home, away, prob, margin in GAMES:
            conn.execute(
                "INSERT INTO core.games (event_id, season, game_date, status, completed, "
                "home_team_id, away_team_id, home_score, away_score) "
                "VALUES (?, 2025, ?, 'STATUS_FINAL', TRUE, 'h', 'a', ?, ?)",
                [event, day, home, away],
            )
            for as_of, p, m in (
                (day - dt.timedelta(days=1), prob, margin),  # the freshest forecast: scored
                (day - dt.timedelta(days=3), 1 - prob, -margin),  # older: ignored
                (day + dt.timedelta(days=1), 0.99, 30.0),  # made after the game: ignored
            ):
                conn.execute(  # made at 09:00 US Eastern (14:00 UTC) of as_of
                    "INSERT INTO predictions.predictions (event_id, model_name, model_version, "
                    "model_role, forecast_at, predicted_at, as_of, run_kind, game_date, "
                    "home_win_prob, predicted_margin) VALUES (?, 'm', 'v1', 'production', "
                    "CAST(? AS TIMESTAMP) + INTERVAL 14 HOUR, now(), ?, 'daily', ?, ?, ?)",
                    [event, as_of, as_of, day, p, m],
                )
        # an unfinished game and its prediction are not evaluated
        conn.execute(
            "INSERT INTO core.games (event_id, season, game_date, status, completed, "
            "home_team_id, away_team_id) VALUES ('e5', 2025, '2025-01-25', 'STATUS_SCHEDULED', "
            "FALSE, 'h', 'a')"
        )
        conn.execute(
            "INSERT INTO predictions.predictions (event_id, model_name, model_version, "
            "model_role, forecast_at, predicted_at, as_of, run_kind, home_win_prob, "
            "predicted_margin) VALUES ('e5', 'm', 'v1', 'production', now(), now(), "
            "'2025-01-20', 'daily', 0.9, 5)"
        )
    finally:
        conn.close()
    return path


def test_metrics_match_hand_arithmetic_and_rerun_is_idempotent(db: Path) -> None:
    conn = connect(db)
    try:
        evaluate(conn, dt.datetime(2025, 1, 21, tzinfo=dt.UTC))
        evaluate(conn, dt.datetime(2025, 1, 22, tzinfo=dt.UTC))
        rows = conn.execute(
            "SELECT period, period_start, period_end, n_games, accuracy, log_loss, brier, "
            "margin_mae FROM predictions.prediction_evaluations ORDER BY period, period_start"
        ).fetchall()
    finally:
        conn.close()
    assert [r[0] for r in rows] == ["all", "week", "week"]  # no duplicates after the re-run

    overall = rows[0]
    assert (overall[1], overall[2], overall[3]) == (dt.date(2025, 1, 6), dt.date(2025, 1, 19), 4)
    assert overall[4] == pytest.approx(3 / 4)
    by_hand_log_loss = -(math.log(0.8) + math.log(0.4) + math.log(0.7) + math.log(0.5)) / 4
    assert overall[5] == pytest.approx(by_hand_log_loss)
    assert overall[6] == pytest.approx((0.2**2 + 0.6**2 + 0.3**2 + 0.5**2) / 4)  # 0.185
    # |10 - 6| + |-5 - 2| + |-15 - -4| + |1 - 0| = 4 + 7 + 11 + 1
    assert overall[7] == pytest.approx(23 / 4)

    week1, week2 = rows[1], rows[2]
    assert (week1[1], week1[2], week1[3]) == (dt.date(2025, 1, 6), dt.date(2025, 1, 12), 2)
    assert week1[4] == pytest.approx(0.5)
    assert week1[5] == pytest.approx(-(math.log(0.8) + math.log(0.4)) / 2)
    assert week1[6] == pytest.approx((0.04 + 0.36) / 2)
    assert (week2[1], week2[2], week2[3]) == (dt.date(2025, 1, 13), dt.date(2025, 1, 19), 2)
    assert week2[4] == pytest.approx(1.0)
    assert week2[7] == pytest.approx((11 + 1) / 2)
