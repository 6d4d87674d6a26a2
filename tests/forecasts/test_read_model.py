"""hoopcast_common.forecasts on a copy of the pipeline-made warehouse, with hand-made betting
lines and ESPN predictor rows for one upcoming game (the replay of the test warehouse has none
before tip-off): which line and which predictor Upcoming shows, and the edge."""

from __future__ import annotations

import datetime as dt
import shutil
from pathlib import Path

from forecasts_testing import GAME_DAY
from hoopcast_common import forecasts
from hoopcast_common.db import connect
from hoopcast_common.games import game_day_start

LINES_DDL = """CREATE TABLE IF NOT EXISTS core.betting_lines (event_id VARCHAR NOT NULL,
    provider_id VARCHAR NOT NULL, source VARCHAR NOT NULL, fetched_at TIMESTAMPTZ NOT NULL,
    provider_name VARCHAR, home_spread DOUBLE, total DOUBLE, home_moneyline INTEGER,
    away_moneyline INTEGER, details VARCHAR, response_id BIGINT NOT NULL)"""
ESPN_DDL = """CREATE TABLE IF NOT EXISTS core.espn_predictions (event_id VARCHAR NOT NULL,
    fetched_at TIMESTAMPTZ NOT NULL, home_team_id VARCHAR, home_win_prob DOUBLE NOT NULL,
    away_win_prob DOUBLE, response_id BIGINT NOT NULL)"""


def test_line_espn_and_edge(forecast_warehouse: Path, tmp_path: Path) -> None:
    db = tmp_path / "hoopcast.duckdb"
    shutil.copyfile(forecast_warehouse, db)
    day = dt.date.fromisoformat(GAME_DAY)
    now = game_day_start(day) + dt.timedelta(hours=12)  # 12:00 ET on the game day
    conn = connect(db)
    try:
        conn.execute(LINES_DDL)
        conn.execute(ESPN_DDL)
        event, home, away = conn.execute(
            "SELECT event_id, home_team_id, away_team_id FROM core.games"
            " WHERE game_date = DATE '2025-01-25' AND NOT completed ORDER BY event_id LIMIT 1"
        ).fetchall()[0]
        hour = dt.timedelta(hours=1)
        conn.executemany(
            "INSERT INTO core.betting_lines (event_id, provider_id, source, fetched_at,"
            " provider_name, home_spread, response_id) VALUES (?, ?, ?, ?, ?, ?, 1)",
            [
                (event, "58", "pickcenter", now - 3 * hour, "ESPN BET", -3.0),
                # latest before now: the scoreboard's and pickcenter's at the same moment
                (event, "1004", "scoreboard_odds", now - hour, "consensus", -4.0),
                (event, "1004", "pickcenter", now - hour, "consensus", -5.5),
                (event, "40", "pickcenter", now - hour, None, -6.0),
                (event, "58", "pickcenter", now + hour, "ESPN BET", -9.0),  # after now
            ],
        )
        # ESPN's predictor fetched with the teams the other way round: 0.30 for ESPN's home
        # team (our away team) is 0.70 for ours
        conn.executemany(
            "INSERT INTO core.espn_predictions (event_id, fetched_at, home_team_id,"
            " home_win_prob, response_id) VALUES (?, ?, ?, ?, 1)",
            [(event, now - 2 * hour, home, 0.55), (event, now - hour, away, 0.30)],
        )
        rows = [r for r in forecasts.upcoming(conn, day, now) if r.event_id == event]
    finally:
        conn.close()
    assert len(rows) == 1
    row = rows[0]
    # ties at the latest moment: pickcenter before scoreboard odds, then provider id ("1004"
    # sorts before "40" as text)
    assert (row.line_provider, row.line_spread) == ("consensus", -5.5)
    assert row.espn_home_win_prob is not None and abs(row.espn_home_win_prob - 0.70) < 1e-12
    assert row.predicted_margin is not None and row.edge_points is not None
    assert abs(row.edge_points - (row.predicted_margin - 5.5)) < 1e-12
