"""Core data-quality checks (``hoopcast-ingestion check``), stored in ``ops.quality_checks``.

The checks are :class:`hoopcast_common.quality.Check` queries returning the keys of failing
rows. ``blocking`` checks make the command exit 2 (the DAG stops before features are built on
broken data); ``warning`` checks are recorded only.
"""

from __future__ import annotations

import datetime as dt

import duckdb
from hoopcast_common import quality
from hoopcast_common.games import FINAL_STATUSES
from hoopcast_common.quality import BLOCKING, WARNING, Check, CheckResult

STAGE = "ingestion"
_FINAL = "status IN (" + ", ".join(f"'{s}'" for s in FINAL_STATUSES) + ")"


CHECKS: tuple[Check, ...] = (
    Check(
        "games_without_teams",
        BLOCKING,
        "games whose home or away team id is not in core.teams",
        "SELECT g.event_id FROM core.games g WHERE NOT EXISTS (SELECT 1 FROM core.teams t"
        " WHERE t.team_id = g.home_team_id) OR NOT EXISTS (SELECT 1 FROM core.teams t"
        " WHERE t.team_id = g.away_team_id)",
        target="core.games",
    ),
    Check(
        "team_plays_itself",
        BLOCKING,
        "games whose home and away team are the same",
        "SELECT event_id FROM core.games WHERE home_team_id = away_team_id",
        target="core.games",
    ),
    Check(
        "final_games_without_scores",
        BLOCKING,
        "completed games with a final status (regulation or overtime) and a NULL score",
        f"SELECT event_id FROM core.games WHERE completed AND {_FINAL}"
        " AND (home_score IS NULL OR away_score IS NULL)",
        target="core.games",
    ),
    Check(
        "final_games_tied",
        BLOCKING,
        "final games with equal scores (basketball has no ties)",
        f"SELECT event_id FROM core.games WHERE completed AND {_FINAL} AND home_score = away_score",
        target="core.games",
    ),
    Check(
        "scheduled_games_with_scores",
        WARNING,
        "games not started that carry a score",
        "SELECT event_id FROM core.games WHERE status_state = 'pre'"
        " AND (home_score IS NOT NULL OR away_score IS NOT NULL)",
        target="core.games",
    ),
    Check(
        "duplicate_matchups",
        BLOCKING,
        "two events with the same home team, away team and game date (duplicate rows)",
        "SELECT string_agg(event_id, ',') FROM core.games"
        " WHERE status NOT IN ('STATUS_POSTPONED', 'STATUS_CANCELED')"
        " GROUP BY home_team_id, away_team_id, game_date HAVING count(*) > 1",
        target="core.games",
    ),
    Check(
        "team_stats_contradict_game",
        BLOCKING,
        "team box-score rows whose team or home/away side contradicts core.games",
        "SELECT s.event_id || ':' || s.team_id FROM core.team_game_stats s"
        " JOIN core.games g USING (event_id) WHERE NOT ("
        " (s.home_away = 'home' AND s.team_id = g.home_team_id) OR"
        " (s.home_away = 'away' AND s.team_id = g.away_team_id))",
        target="core.team_game_stats",
    ),
    Check(
        "box_score_points_differ_from_score",
        BLOCKING,
        "team box-score points that differ from the game's final score",
        "SELECT s.event_id || ':' || s.team_id FROM core.team_game_stats s"
        " JOIN core.games g USING (event_id) WHERE g.completed AND s.points IS NOT NULL"
        " AND s.points IS DISTINCT FROM"
        " CASE s.home_away WHEN 'home' THEN g.home_score ELSE g.away_score END",
        target="core.team_game_stats",
    ),
    Check(
        "player_points_differ_from_team_points",
        WARNING,
        "games where the players' points do not add up to the team's points",
        "SELECT p.event_id || ':' || p.team_id FROM (SELECT event_id, team_id,"
        " sum(points) AS pts FROM core.player_game_stats GROUP BY ALL) p"
        " JOIN core.team_game_stats s USING (event_id, team_id)"
        " WHERE s.points IS NOT NULL AND p.pts <> s.points",
        target="core.player_game_stats",
    ),
    Check(
        "player_stats_without_game",
        BLOCKING,
        "player box-score rows of events not in core.games",
        "SELECT DISTINCT p.event_id FROM core.player_game_stats p"
        " ANTI JOIN core.games g USING (event_id)",
        target="core.player_game_stats",
    ),
    Check(
        "stats_made_over_attempted",
        BLOCKING,
        "team box scores with more made than attempted shots",
        "SELECT event_id || ':' || team_id FROM core.team_game_stats"
        " WHERE fgm > fga OR tpm > tpa OR ftm > fta OR tpm > fgm",
        target="core.team_game_stats",
    ),
)


def run_checks(conn: duckdb.DuckDBPyConnection) -> list[CheckResult]:
    """Run every check of :data:`CHECKS` (read-only)."""
    return quality.run_checks(conn, CHECKS)


def store_results(
    conn: duckdb.DuckDBPyConnection,
    run_id: str,
    results: list[CheckResult],
    as_of: dt.date | None = None,
) -> None:
    """Write ``results`` to ``ops.quality_checks`` under ``run_id`` (stage ``ingestion``;
    idempotent per run)."""
    quality.store_results(conn, run_id=run_id, stage=STAGE, as_of=as_of, results=results)
