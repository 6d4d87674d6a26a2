"""Core data-quality checks (``hoopcast-ingestion check``), stored in ``ops.quality_checks``.

Each check is one SQL query returning the keys of failing rows. ``blocking`` checks make the
command exit 2 (the DAG stops before features are built on broken data); ``warning`` checks
are recorded only.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import duckdb
from hoopcast_common.db import transaction


@dataclass(frozen=True)
class Check:
    """A check: ``name``, ``severity`` (blocking | warning), ``description`` and ``sql``
    selecting one text key per failing row."""

    name: str
    severity: str
    description: str
    sql: str


@dataclass(frozen=True)
class CheckResult:
    """Outcome of one check: failing row count and up to five example keys."""

    check: Check
    failing_rows: int
    examples: tuple[str, ...]

    @property
    def passed(self) -> bool:
        """True when no row fails."""
        return self.failing_rows == 0


CHECKS: tuple[Check, ...] = (
    Check(
        "games_without_teams",
        "blocking",
        "games whose home or away team id is not in core.teams",
        "SELECT g.event_id FROM core.games g WHERE NOT EXISTS (SELECT 1 FROM core.teams t"
        " WHERE t.team_id = g.home_team_id) OR NOT EXISTS (SELECT 1 FROM core.teams t"
        " WHERE t.team_id = g.away_team_id)",
    ),
    Check(
        "team_plays_itself",
        "blocking",
        "games whose home and away team are the same",
        "SELECT event_id FROM core.games WHERE home_team_id = away_team_id",
    ),
    Check(
        "final_games_without_scores",
        "blocking",
        "completed STATUS_FINAL games with a NULL score",
        "SELECT event_id FROM core.games WHERE completed AND status = 'STATUS_FINAL'"
        " AND (home_score IS NULL OR away_score IS NULL)",
    ),
    Check(
        "final_games_tied",
        "blocking",
        "final games with equal scores (basketball has no ties)",
        "SELECT event_id FROM core.games WHERE completed AND status = 'STATUS_FINAL'"
        " AND home_score = away_score",
    ),
    Check(
        "scheduled_games_with_scores",
        "warning",
        "games not started that carry a score",
        "SELECT event_id FROM core.games WHERE status_state = 'pre'"
        " AND (home_score IS NOT NULL OR away_score IS NOT NULL)",
    ),
    Check(
        "duplicate_matchups",
        "blocking",
        "two events with the same home team, away team and game date (duplicate rows)",
        "SELECT string_agg(event_id, ',') FROM core.games"
        " WHERE status NOT IN ('STATUS_POSTPONED', 'STATUS_CANCELED')"
        " GROUP BY home_team_id, away_team_id, game_date HAVING count(*) > 1",
    ),
    Check(
        "team_stats_contradict_game",
        "blocking",
        "team box-score rows whose team or home/away side contradicts core.games",
        "SELECT s.event_id || ':' || s.team_id FROM core.team_game_stats s"
        " JOIN core.games g USING (event_id) WHERE NOT ("
        " (s.home_away = 'home' AND s.team_id = g.home_team_id) OR"
        " (s.home_away = 'away' AND s.team_id = g.away_team_id))",
    ),
    Check(
        "box_score_points_differ_from_score",
        "blocking",
        "team box-score points that differ from the game's final score",
        "SELECT s.event_id || ':' || s.team_id FROM core.team_game_stats s"
        " JOIN core.games g USING (event_id) WHERE g.completed AND s.points IS NOT NULL"
        " AND s.points IS DISTINCT FROM"
        " CASE s.home_away WHEN 'home' THEN g.home_score ELSE g.away_score END",
    ),
    Check(
        "player_points_differ_from_team_points",
        "warning",
        "games where the players' points do not add up to the team's points",
        "SELECT p.event_id || ':' || p.team_id FROM (SELECT event_id, team_id,"
        " sum(points) AS pts FROM core.player_game_stats GROUP BY ALL) p"
        " JOIN core.team_game_stats s USING (event_id, team_id)"
        " WHERE s.points IS NOT NULL AND p.pts <> s.points",
    ),
    Check(
        "player_stats_without_game",
        "blocking",
        "player box-score rows of events not in core.games",
        "SELECT DISTINCT p.event_id FROM core.player_game_stats p"
        " ANTI JOIN core.games g USING (event_id)",
    ),
    Check(
        "stats_made_over_attempted",
        "blocking",
        "team box scores with more made than attempted shots",
        "SELECT event_id || ':' || team_id FROM core.team_game_stats"
        " WHERE fgm > fga OR tpm > tpa OR ftm > fta OR tpm > fgm",
    ),
)


def run_checks(conn: duckdb.DuckDBPyConnection) -> list[CheckResult]:
    """Run every check of :data:`CHECKS` (read-only)."""
    results = []
    for check in CHECKS:
        rows = conn.execute(f"SELECT k FROM ({check.sql}) AS t(k)").fetchall()
        examples = tuple(str(r[0]) for r in rows[:5])
        results.append(CheckResult(check, len(rows), examples))
    return results


def store_results(conn: duckdb.DuckDBPyConnection, run_id: str, results: list[CheckResult]) -> None:
    """Write ``results`` to ``ops.quality_checks`` under ``run_id`` (idempotent per run)."""
    now = dt.datetime.now(dt.UTC)
    with transaction(conn):
        conn.execute("DELETE FROM ops.quality_checks WHERE run_id = ?", [run_id])
        conn.executemany(
            "INSERT INTO ops.quality_checks (run_id, stage, check_name, severity, passed,"
            " failing_rows, detail, checked_at) VALUES (?, 'ingestion', ?, ?, ?, ?, ?, ?)",
            [
                [
                    run_id,
                    r.check.name,
                    r.check.severity,
                    r.passed,
                    r.failing_rows,
                    r.check.description + (f"; e.g. {', '.join(r.examples)}" if r.examples else ""),
                    now,
                ]
                for r in results
            ],
        )
