"""The scorecard through the real predictor CLI: forecasts of record of final games against
Elo, the betting line (the last line before tip-off, as Φ(-spread/σ)) and ESPN's predictor, on
the same games, with hand-checked figures."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from hoopcast_common.db import connect
from ml_testing import run_cli, stage_env
from support.queries import query

# The ingestion stage's tables of the betting line and ESPN's predictor (same columns).
YARDSTICK_TABLES = """
CREATE TABLE IF NOT EXISTS core.betting_lines (
    event_id VARCHAR NOT NULL, provider_id VARCHAR NOT NULL, source VARCHAR NOT NULL,
    fetched_at TIMESTAMPTZ NOT NULL, provider_name VARCHAR, home_spread DOUBLE, total DOUBLE,
    home_moneyline INTEGER, away_moneyline INTEGER, details VARCHAR,
    response_id BIGINT NOT NULL, updated_at TIMESTAMPTZ NOT NULL DEFAULT current_timestamp,
    PRIMARY KEY (event_id, provider_id, source, fetched_at));
CREATE TABLE IF NOT EXISTS core.espn_predictions (
    event_id VARCHAR NOT NULL, fetched_at TIMESTAMPTZ NOT NULL, home_team_id VARCHAR,
    home_win_prob DOUBLE NOT NULL, away_win_prob DOUBLE, response_id BIGINT NOT NULL,
    updated_at TIMESTAMPTZ NOT NULL DEFAULT current_timestamp,
    PRIMARY KEY (event_id, fetched_at));
"""
HOUR = dt.timedelta(hours=1)


def _setup(db: Path) -> list[tuple[str, dt.datetime, bool]]:
    """Four final games of ISO week 2025-W03 (two home wins, two home losses) with forecasts,
    lines and ESPN's predictor for one win and one loss. Returns (event, tip-off, home_win)."""
    picked: list[tuple[str, dt.datetime, bool]] = []
    for won in (True, False):
        rows = query(
            db,
            "SELECT g.event_id, g.start_time_utc FROM core.games g JOIN features.game_features f "
            "USING (event_id) WHERE g.game_date BETWEEN '2025-01-13' AND '2025-01-19' "
            "AND g.completed AND g.start_time_utc IS NOT NULL AND f.elo_home_prob IS NOT NULL "
            f"AND (g.home_score > g.away_score) = {won} ORDER BY g.event_id LIMIT 2",
        )
        picked += [(str(e), t, won) for e, t in rows]  # type: ignore[misc]
    conn = connect(db)
    try:
        conn.execute(YARDSTICK_TABLES)
        for i, (event, tip, won) in enumerate(picked):
            forecast = (
                "INSERT INTO predictions.predictions (event_id, model_name, model_version, "
                "model_role, forecast_at, predicted_at, as_of, run_kind, home_win_prob, "
                "predicted_margin, batch_id) VALUES (?, 'game_lgbm', ?, ?, ?, ?, ?, 'daily', ?, "
                "?, 'b')"
            )
            made = tip - 5 * HOUR
            conn.execute(forecast, [event, "v1", "production", made, made, made.date(), 0.8, 5])
            # a challenger's later forecast and a production forecast after tip-off: not of record
            conn.execute(forecast, [event, "v2", "challenger", tip - HOUR, tip, tip.date(), 0.1, 0])
            conn.execute(forecast, [event, "v1", "production", tip + HOUR, tip, tip.date(), 0.1, 0])
            spread = -3.0 if won else 3.0
            line = (
                "INSERT INTO core.betting_lines (event_id, provider_id, source, fetched_at, "
                "provider_name, home_spread, response_id) VALUES (?, '1004', 'pickcenter', ?, "
                "'consensus', ?, ?)"
            )
            conn.execute(line, [event, tip - 30 * HOUR, -spread, 10 * i + 1])  # earlier line
            conn.execute(line, [event, tip - HOUR, spread, 10 * i + 2])  # last before tip-off
            conn.execute(line, [event, tip + HOUR, 10 * spread, 10 * i + 3])  # in-game
            if i in (0, 2):  # ESPN's predictor for one home win and one home loss
                conn.execute(
                    "INSERT INTO core.espn_predictions (event_id, fetched_at, home_win_prob, "
                    "response_id) VALUES (?, ?, ?, ?)",
                    [event, tip - 2 * HOUR, 0.7 if won else 0.4, 10 * i + 4],
                )
    finally:
        conn.close()
    return picked


def _scores(db: Path) -> dict[tuple[str, str], tuple[object, ...]]:
    rows = query(
        db,
        "SELECT period, forecaster, games, accuracy, log_loss, brier, margin_mae "
        "FROM predictions.scorecard",
    )
    return {(str(r[0]), str(r[1])): r[2:] for r in rows}


def test_scorecard_on_the_same_games(featured_db: Path, tmp_path: Path) -> None:
    picked = _setup(featured_db)
    env = stage_env(featured_db)
    result = run_cli("hoopcast-predictor", ["scorecard"], env)
    assert result.code == 0, result.stderr[-3000:]
    assert result.summary["line_sigma"]["value"] == 10.46  # too little history: the default
    games = query(
        featured_db,
        "SELECT event_id, model_version, home_win_prob, home_win, line_provider, line_spread, "
        "line_home_win_prob, espn_home_win_prob FROM predictions.scorecard_games "
        "ORDER BY event_id",
    )
    assert len(games) == 4
    for event, _tip, won in picked:
        row = next(g for g in games if g[0] == event)
        assert row[1:6] == ("v1", 0.8, won, "consensus", -3.0 if won else 3.0)
        # Φ(3 / 10.46) = Φ(0.2868) = 0.6129 (normal table: 0.6103 at 0.28, 0.6141 at 0.29)
        assert row[6] == pytest.approx(0.6129 if won else 1 - 0.6129, abs=1e-4)
    assert sum(g[7] is not None for g in games) == 2

    scores = _scores(featured_db)
    # ESPN covers 2 of 4 games (< 80 %): left out, the others judged on all 4 games
    assert {f for p, f in scores if p == "overall"} == {"model", "elo", "line"}
    assert {s[0] for s in scores.values()} == {4}
    # model: p = 0.8 on two wins and two losses: log-loss (2·0.2231 + 2·1.6094)/4 = 0.9163
    _, accuracy, log_loss, brier, mae = scores[("overall", "model")]
    assert (accuracy, brier) == (0.5, pytest.approx(0.34))
    assert log_loss == pytest.approx(0.9163, abs=1e-4) and mae is not None
    # line: 0.6129 for each winner: log-loss −ln 0.6129 = 0.4896, Brier 0.3871² = 0.1499
    _, accuracy, log_loss, brier, mae = scores[("overall", "line")]
    assert accuracy == 1.0 and log_loss == pytest.approx(0.4896, abs=1e-4)
    assert brier == pytest.approx(0.1499, abs=1e-4) and mae is not None
    assert scores[("overall", "elo")][4] is None  # Elo has no margin
    assert {p for p, _ in scores} == {"overall", "2025-W03"}
    assert scores[("2025-W03", "line")] == scores[("overall", "line")]

    # with a 50 % coverage threshold ESPN is present, and every forecaster is judged on the
    # same two games: ESPN 0.7 (win) and 0.4 (loss): log-loss (0.3567 + 0.5108)/2 = 0.4338
    wide = stage_env(featured_db, PREDICTOR_SCORECARD_MIN_COVERAGE="0.5")
    assert run_cli("hoopcast-predictor", ["evaluate"], wide).code == 0
    scores = _scores(featured_db)
    assert {f for p, f in scores if p == "overall"} == {"model", "elo", "line", "espn"}
    assert {s[0] for s in scores.values()} == {2}
    _, accuracy, log_loss, brier, mae = scores[("overall", "espn")]
    assert (accuracy, mae) == (1.0, None)
    assert log_loss == pytest.approx(0.4338, abs=1e-4) and brier == pytest.approx(0.125)
    assert scores[("overall", "model")][2] == pytest.approx(0.9163, abs=1e-4)

    out = tmp_path / "report"
    report = run_cli("hoopcast-predictor", ["report", "--out", str(out)], env)
    assert report.code == 0, report.stderr[-2000:]
    assert (out / "scorecard.png").read_bytes()[:4] == b"\x89PNG"
    text = (out / "summary.txt").read_text()
    assert "2025-W03" in text and "espn" in text
