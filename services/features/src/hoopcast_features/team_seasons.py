"""D1 membership per team and season, as far as the season's games tell it.

``core.teams.is_d1`` is ESPN's D1 list of today. A team that moved up to D1 recently (e.g.
Queens, D1 from 2022-23) was a non-D1 opponent in earlier seasons, and a team that left D1 is
not on today's list; using today's flag for every season would start such a team's Elo at the
wrong class, pool it wrongly in the least-squares ratings, and put games of non-D1 seasons into
the training set. The results only hold games with at least one D1 team, so a season's D1
teams are the ones with a D1 schedule in it:

* ``d1_games(t, s)``: team ``t``'s games in season ``s`` (any status) against teams on
  today's D1 list;
* ``median(s)``: the median ``d1_games`` of today's D1 teams that play in season ``s``;
* a team on today's D1 list is D1 in ``s`` when
  ``d1_games(t, s) >= min(LISTED_MIN_D1_GAMES, D1_SHARE × median(s))``;
* a team off today's list (one that left D1, or a non-D1 opponent) is D1 in ``s`` when
  ``d1_games(t, s) >= max(MIN_D1_GAMES, D1_SHARE × median(s))``: half a D1 schedule, and
  never a non-D1 opponent early in a season.

Non-D1 opponents play one to three D1 games a season. In the shipped results (2010-11 …
2025-26) the most D1 games a team on today's list played in a season before it moved up is 3
(Queens, 2020-21, D1 from 2022-23), the fewest of a D1 season 5 (Howard in the shortened
2020-21 season): hence 4. Early in the season in progress the median is small, and today's D1
teams count as D1 from their first game.

The relation is rebuilt from ``core.games`` and ``core.teams`` on every build (temp table
:data:`CURRENT`), published to ``features.team_seasons`` with the feature tables, and enters
every event's input fingerprint, so a change of membership recomputes the affected games.
"""

from __future__ import annotations

import duckdb

D1_SHARE = 0.5
"""Share of the season's median D1 schedule that makes a team D1 in that season."""
LISTED_MIN_D1_GAMES = 4
"""Games against today's D1 teams that make a team on today's D1 list D1 in a season."""
MIN_D1_GAMES = 10
"""Games against today's D1 teams a team off today's D1 list needs in a season to be D1."""
CURRENT = "cur_team_seasons"
"""Temp table of this build's membership (``features.team_seasons`` layout)."""
PUBLISHED = "features.team_seasons"
"""The published membership (migration ``0102_team_seasons.sql``)."""


def stage_team_seasons(conn: duckdb.DuckDBPyConnection) -> int:
    """Compute the membership of every (team, season) in ``core.games`` into temp table
    :data:`CURRENT` (team_id, season, games, d1_games, is_d1). Returns its row count."""
    conn.execute(
        f"""
        CREATE OR REPLACE TEMP TABLE {CURRENT} AS
        WITH sides AS (
            SELECT season, home_team_id AS team_id, away_team_id AS opp_id FROM core.games
            UNION ALL
            SELECT season, away_team_id, home_team_id FROM core.games
        ), counts AS (
            SELECT s.team_id, s.season, count(*) AS games,
                   count(*) FILTER (WHERE coalesce(o.is_d1, false)) AS d1_games
            FROM sides s LEFT JOIN core.teams o ON o.team_id = s.opp_id
            GROUP BY s.team_id, s.season
        ), listed AS (
            SELECT c.*, coalesce(t.is_d1, false) AS listed
            FROM counts c LEFT JOIN core.teams t ON t.team_id = c.team_id
        ), med AS (
            SELECT season, median(d1_games) AS m FROM listed WHERE listed GROUP BY season
        )
        SELECT l.team_id, l.season, l.games::INTEGER AS games, l.d1_games::INTEGER AS d1_games,
            coalesce(CASE WHEN l.listed
                THEN l.d1_games >= least({LISTED_MIN_D1_GAMES}, {D1_SHARE} * m.m)
                ELSE l.d1_games >= greatest({MIN_D1_GAMES}, {D1_SHARE} * m.m) END, false)
                AS is_d1
        FROM listed l LEFT JOIN med m ON m.season = l.season
        """
    )
    row = conn.execute(f"SELECT count(*) FROM {CURRENT}").fetchone()
    return int(row[0]) if row else 0


def publish(conn: duckdb.DuckDBPyConnection) -> None:
    """Replace :data:`PUBLISHED` with :data:`CURRENT` (inside the caller's transaction)."""
    conn.execute(f"DELETE FROM {PUBLISHED}")
    conn.execute(
        f"INSERT INTO {PUBLISHED} (team_id, season, games, d1_games, is_d1)"
        f" SELECT team_id, season, games, d1_games, is_d1 FROM {CURRENT}"
    )
