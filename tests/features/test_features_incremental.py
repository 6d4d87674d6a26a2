"""Incremental builds day by day give exactly the tables a full refresh gives."""

from __future__ import annotations

import shutil
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
RESULTS = ROOT / "data/results/grdavis_cbb_games_20101101_20260214.csv"
CROSSWALK = ROOT / "data/results/grdavis_name_to_espn_team_id.csv"
TABLES = (
    "features.game_features",
    "features.team_game_features",
    "features.player_game_features",
    "features.elo_game",
    "features.elo_ratings",
)


def _add_previous_season(db: Path, query) -> None:
    """Real 2023-24 games (Feb-Mar 2024, both teams mapped to ESPN ids) as season 2024."""
    query(
        db,
        f"""INSERT INTO core.games (event_id, season, season_type, game_date, start_time_utc,
                status, status_state, completed, neutral_site, home_team_id, away_team_id,
                home_score, away_score)
            SELECT 'prev-' || row_number() OVER (), 2024, 2, d, d::TIMESTAMP + INTERVAL 24 HOUR,
                   'STATUS_FINAL', 'post', true, r.column0 = 1, h.espn_team_id::VARCHAR,
                   a.espn_team_id::VARCHAR, r.column4, r.column2
            FROM (SELECT *, strptime(column5::VARCHAR, '%Y%m%d')::DATE AS d
                  FROM read_csv('{RESULTS}', header = false)) r
            JOIN read_csv('{CROSSWALK}') h ON h.grdavis_name = r.column3
            JOIN read_csv('{CROSSWALK}') a ON a.grdavis_name = r.column1
            WHERE d BETWEEN DATE '2024-02-01' AND DATE '2024-03-10'
              AND h.espn_team_id::VARCHAR IN (SELECT team_id FROM core.teams)
              AND a.espn_team_id::VARCHAR IN (SELECT team_id FROM core.teams)
              AND r.column2 <> r.column4""",
    )


def _add_old_games(db: Path, query) -> str:
    """Three finals in season 2021 for a team with no 2024 game: its 2025 rows must still see
    them through the cross-season windows (last five games), which reach back any number of
    seasons — past the two seasons an incremental build reads for priors. Returns the team."""
    team = query(
        db,
        """SELECT team_id FROM (SELECT home_team_id AS team_id, season FROM core.games
                                UNION ALL SELECT away_team_id, season FROM core.games)
           GROUP BY team_id HAVING bool_and(season = 2025) AND count(*) >= 5
           ORDER BY team_id LIMIT 1""",
    )[0][0]
    query(
        db,
        f"""INSERT INTO core.games (event_id, season, season_type, game_date, start_time_utc,
                status, status_state, completed, neutral_site, home_team_id, away_team_id,
                home_score, away_score)
            SELECT 'old-' || i, 2021, 2, DATE '2021-02-01' + i::INTEGER,
                   (DATE '2021-02-01' + i::INTEGER)::TIMESTAMP + INTERVAL 24 HOUR,
                   'STATUS_FINAL', 'post', true, false, '{team}', '99999991', 70 + i, 60
            FROM range(3) t(i)""",
    )
    return str(team)


def _unfinish_from(db: Path, day: str, query) -> None:
    query(db, "CREATE TABLE main.final_games AS SELECT * FROM core.games")
    query(db, "CREATE TABLE main.final_box AS SELECT * FROM core.team_game_stats")
    query(
        db,
        f"""DELETE FROM core.team_game_stats WHERE event_id IN
            (SELECT event_id FROM core.games WHERE game_date >= DATE '{day}')""",
    )
    query(
        db,
        f"""UPDATE core.games SET status = 'STATUS_SCHEDULED', status_state = 'pre',
                completed = false, home_score = NULL, away_score = NULL
            WHERE game_date >= DATE '{day}' AND completed""",
    )


def _finish_until(db: Path, day: str, query) -> None:
    """Put back the real final rows (scores, box scores) of games up to ``day``."""
    query(
        db,
        f"""UPDATE core.games g SET status = f.status, status_state = f.status_state,
                completed = f.completed, home_score = f.home_score, away_score = f.away_score
            FROM main.final_games f
            WHERE f.event_id = g.event_id AND f.completed AND NOT g.completed
              AND f.game_date <= DATE '{day}'""",
    )
    query(
        db,
        f"""INSERT INTO core.team_game_stats SELECT b.* FROM main.final_box b
            JOIN main.final_games f USING (event_id)
            WHERE f.game_date <= DATE '{day}'
              AND (b.event_id, b.team_id) NOT IN
                  (SELECT (event_id, team_id) FROM core.team_game_stats)""",
    )


def test_incremental_days_equal_full_refresh(
    warehouse_db: Path, tmp_path: Path, features_cli, query
) -> None:
    _add_previous_season(warehouse_db, query)
    assert query(warehouse_db, "SELECT count(*) FROM core.games WHERE season = 2024")[0][0] > 1000
    old_team = _add_old_games(warehouse_db, query)
    _unfinish_from(warehouse_db, "2025-01-15", query)
    code, summary, err = features_cli(warehouse_db, "build", "--as-of", "2025-01-14")
    assert code == 0, err
    assert summary["layers"]["team"]["full"] is True
    for day in ("2025-01-15", "2025-01-16", "2025-01-20"):
        _finish_until(warehouse_db, day, query)
        code, summary, err = features_cli(warehouse_db, "build", "--as-of", day)
        assert code == 0, err
        team = summary["layers"]["team"]
        assert team["full"] is False and team["from_season"] == 2025  # 2024 rows kept
        assert team["changed_games"] > 0
        assert summary["counts"]["elo_games"] < summary["counts"]["game_rows_staged"]
        # least-squares ratings resumed too: only the days from the first changed game solved
        assert 0 < summary["counts"]["ls_rating_games"] < summary["counts"]["game_rows_staged"]

    full = tmp_path / "full.duckdb"
    shutil.copyfile(warehouse_db, full)
    code, summary, err = features_cli(full, "build", "--full-refresh", "--as-of", "2025-01-20")
    assert code == 0, err
    assert summary["layers"]["game"]["full"] is True

    # the old team's first 2025 game: its last-five mean is the 2021 games' (10, 11, 12 points)
    first = query(
        warehouse_db,
        f"""SELECT f_margin_last5 FROM features.team_game_features
            WHERE team_id = '{old_team}' AND season = 2025 ORDER BY start_epoch LIMIT 1""",
    )
    assert first == [(11.0,)]

    query(warehouse_db, f"ATTACH '{full}' AS full_db (READ_ONLY)")
    for table in TABLES:
        rows = query(warehouse_db, f"SELECT count(*) FROM {table}")[0][0]
        assert rows > 0
        diff = query(
            warehouse_db,
            f"""ATTACH IF NOT EXISTS '{full}' AS full_db (READ_ONLY);
                SELECT (SELECT count(*) FROM (SELECT * FROM {table}
                                              EXCEPT ALL SELECT * FROM full_db.{table})),
                       (SELECT count(*) FROM (SELECT * FROM full_db.{table}
                                              EXCEPT ALL SELECT * FROM {table}))""",
        )
        assert diff == [(0, 0)], table
