"""Make the 16-season core warehouse the features bench runs on (cached under var/bench/).

The bench needs ``core.teams``, ``core.games`` and ``core.team_game_stats`` for every season of
the shipped history (2010-11 … 2025-26). Running the real ingestion against the replay server for
16 seasons takes long, so this script loads the same real data the replay server serves straight
into the core tables, the way ingestion shapes it:

* ``data/results/grdavis_cbb_games_20101101_20260214.csv`` → ``core.games`` (one row per game;
  the 2-2 "tie" data error is dropped; event ids are made up and deterministic, since the file
  has none; ``start_time_utc`` = the US Eastern date at 19:00 EST, i.e. 00:00 UTC the next day);
* ``data/results/grdavis_name_to_espn_team_id.csv`` → ESPN team ids; unmapped (non-D1) names get
  the id ``nd-<name>`` and ``is_d1 = false``;
* ``data/boxscores/*.parquet`` → ``core.team_game_stats`` joined on (ESPN team ids, date ±1 day).

Usage: ``uv run python bench/features/make_core_db.py [OUT.duckdb] [--until YYYY-MM-DD]
[--from YYYY-MM-DD] [--box-from YYYY-MM-DD]`` (default ``var/bench/core16.duckdb``). Games after
``--until`` are loaded as STATUS_SCHEDULED without scores, like the replay server's clock does.
``--from`` drops the games before a date (a shorter history, like ``hoopcast-ingestion collect
--from``); ``--box-from`` loads box scores only of games from a date on (ingestion fetches them
from ``HOOPCAST_INGEST_SUMMARIES_FROM``, 2024-11-01 in the replay profile).
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

from hoopcast_common.db import connect

ROOT = Path(__file__).resolve().parents[2]
RESULTS = ROOT / "data/results/grdavis_cbb_games_20101101_20260214.csv"
CROSSWALK = ROOT / "data/results/grdavis_name_to_espn_team_id.csv"
BOX_GLOB = str(ROOT / "data/boxscores/ncaa_mbb_team_box_*.parquet")


def build(out: Path, until: str, since: str = "1900-01-01", box_from: str = "1900-01-01") -> None:
    """Create ``out`` (replacing it) and fill the core tables from the shipped data: games from
    ``since``, final through ``until``, box scores of games from ``box_from`` (ISO dates)."""
    if out.exists():
        out.unlink()
    conn = connect(out)
    conn.execute(
        f"""
        CREATE TEMP TABLE res AS
        SELECT row_number() OVER () AS rn, neutral::INTEGER AS neutral, away,
               ascore::INTEGER AS ascore, home, hscore::INTEGER AS hscore,
               strptime(date::VARCHAR, '%Y%m%d')::DATE AS game_date
        FROM read_csv('{RESULTS}', header=false,
             columns={{'neutral':'VARCHAR','away':'VARCHAR','ascore':'VARCHAR','home':'VARCHAR',
                       'hscore':'VARCHAR','date':'VARCHAR','aspread':'VARCHAR'}})
        WHERE NOT (ascore = hscore)
            AND strptime(date::VARCHAR, '%Y%m%d')::DATE >= DATE '{since}';
        CREATE TEMP TABLE xw AS
        SELECT grdavis_name, espn_team_id::VARCHAR AS team_id, espn_display_name
        FROM read_csv('{CROSSWALK}', header=true);
        CREATE TEMP TABLE named AS
        SELECT r.*, coalesce(h.team_id, 'nd-' || r.home) AS home_id,
               coalesce(a.team_id, 'nd-' || r.away) AS away_id,
               h.team_id IS NOT NULL AS home_d1, a.team_id IS NOT NULL AS away_d1
        FROM res r LEFT JOIN xw h ON h.grdavis_name = r.home
        LEFT JOIN xw a ON a.grdavis_name = r.away;
        INSERT INTO core.teams (team_id, display_name, location, is_active, is_d1)
        SELECT team_id, any_value(name), any_value(name), true, bool_or(d1) FROM (
            SELECT home_id AS team_id, coalesce(x.espn_display_name, home) AS name, home_d1 AS d1
            FROM named LEFT JOIN xw x ON x.team_id = home_id
            UNION ALL
            SELECT away_id, coalesce(x.espn_display_name, away), away_d1
            FROM named LEFT JOIN xw x ON x.team_id = away_id)
        GROUP BY team_id;
        INSERT INTO core.games (event_id, season, season_type, game_date, start_time_utc, status,
            status_state, completed, neutral_site, home_team_id, away_team_id, home_score,
            away_score, periods)
        SELECT (900000000 + rn)::VARCHAR, CASE WHEN month(game_date) >= 7 THEN year(game_date) + 1
                ELSE year(game_date) END, 2, game_date,
               make_timestamptz(year(game_date), month(game_date), day(game_date), 0, 0, 0, 'UTC')
                   + INTERVAL 1 DAY,
               CASE WHEN game_date <= DATE '{until}' THEN 'STATUS_FINAL'
                    ELSE 'STATUS_SCHEDULED' END,
               CASE WHEN game_date <= DATE '{until}' THEN 'post' ELSE 'pre' END,
               game_date <= DATE '{until}', neutral = 1, home_id, away_id,
               CASE WHEN game_date <= DATE '{until}' THEN hscore END,
               CASE WHEN game_date <= DATE '{until}' THEN ascore END,
               CASE WHEN game_date <= DATE '{until}' THEN 2 END
        FROM (SELECT * FROM named QUALIFY row_number() OVER
              (PARTITION BY home_id, away_id, game_date ORDER BY rn) = 1);
        CREATE TEMP TABLE box AS
        SELECT * FROM read_parquet('{BOX_GLOB}', union_by_name=true)
        WHERE team_espn_team_id IS NOT NULL AND pts > 0
            AND game_date >= DATE '{box_from}' - INTERVAL 1 DAY;
        INSERT INTO core.team_game_stats (event_id, team_id, home_away, points, fgm, fga, tpm,
            tpa, ftm, fta, orb, drb, trb, ast, stl, blk, tov, fouls)
        SELECT event_id, team_id, home_away, pts, fgm, fga, tpm, tpa, ftm, fta, orb, drb,
               orb + drb, ast, NULL, blk, "to", NULL
        FROM (
            SELECT g.event_id, b.team_espn_team_id AS team_id,
                   CASE WHEN b.team_espn_team_id = g.home_team_id THEN 'home' ELSE 'away' END
                       AS home_away, b.*
            FROM core.games g JOIN box b
              ON b.team_espn_team_id IN (g.home_team_id, g.away_team_id)
             AND abs(date_diff('day', b.game_date, g.game_date)) <= 1
             AND coalesce(b.home_espn_team_id, '?') IN (g.home_team_id, g.away_team_id, '?')
             AND coalesce(b.away_espn_team_id, '?') IN (g.home_team_id, g.away_team_id, '?')
            WHERE g.completed AND g.game_date >= DATE '{box_from}'
            QUALIFY row_number() OVER (PARTITION BY g.event_id, b.team_espn_team_id
                                       ORDER BY abs(date_diff('day', b.game_date, g.game_date))) = 1
        );
        """
    )
    for table in ("core.teams", "core.games", "core.team_game_stats"):
        row = conn.execute(f"SELECT count(*) FROM {table}").fetchone()
        print(f"{table}: {row[0] if row else 0} rows", file=sys.stderr)
    conn.close()


def main() -> None:
    """Parse arguments and build the bench core DB, printing the seconds it took."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("out", nargs="?", default=str(ROOT / "var/bench/core16.duckdb"))
    parser.add_argument("--until", default="2026-02-14", help="last date with final scores")
    parser.add_argument("--from", dest="since", default="1900-01-01", help="first game date")
    parser.add_argument("--box-from", default="1900-01-01", help="first date with box scores")
    args = parser.parse_args()
    t0 = time.perf_counter()
    build(Path(args.out), args.until, args.since, args.box_from)
    print(f"made {args.out} in {time.perf_counter() - t0:.1f} s")


if __name__ == "__main__":
    main()
