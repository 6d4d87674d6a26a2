"""Feature quality checks: row counts, duplicates, value ranges, labels, null rates, freshness.

The checks are :class:`hoopcast_common.quality.Check` queries selecting failing rows, stored
with every other stage's in ``ops.quality_checks`` (stage ``features``). What a failure does
follows its severity (:mod:`hoopcast_common.quality`):

* ``blocking`` — structural: a missing or duplicated row, a label that disagrees with the
  game's status, a missing Elo probability, and an implausible final score in ``core.games``
  (an input error that would spread into every later game of both teams, so flagging the one
  game could not contain it). The build publishes nothing (exit 2).
* ``flag`` — an implausible feature value (Elo, efficiency ratings, player shares) on a few
  rows: those rows' events get the check's name in ``features.game_features.quality_flags``
  and the build publishes; more than :data:`MAX_FLAGGED_SHARE` of the checked rows failing
  is a systematic error and blocks.
* ``warning`` — null rate and freshness: reported only.

``build`` runs them on the staged result before the swap, ``check`` on the published tables.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence

import duckdb
from hoopcast_common import quality
from hoopcast_common.games import is_final_sql
from hoopcast_common.quality import BLOCKING, FLAG, WARNING, Check, CheckResult

STAGE = "features"
ELO_RANGE = (700.0, 2400.0)
"""Plausible Elo ratings (D1 spans about 1100-2000; non-D1 start at 1100)."""
RATING_RANGE = (50.0, 160.0)
"""Plausible pre-game points per 100 possessions (offensive and defensive, raw and adjusted)
of a team that is D1 in the game's season with at least 5 games played this season (non-D1
teams, who mostly play D1 opponents, can be far outside it)."""
SCORE_RANGE = (0, 200)
"""Plausible final scores in core.games (a value outside is an ingestion error)."""
MAX_NULL_RATE = 0.02
"""Highest share of NULL ``f_diff_adj_net`` among D1 games of teams with ≥ 5 games played."""
MAX_STALENESS_DAYS = 10
"""Warn when the newest final game is more than this many days before ``as_of``."""
MAX_FLAGGED_SHARE = 0.01
"""Share of the checked rows a ``flag`` check may flag before it blocks (1 %: a few outliers
are flagged, a broken feature is not published)."""


def _rows_per_event(name: str, rel: str, per_event: int, layer: str) -> Check:
    """Blocking: every core.games event has exactly ``per_event`` rows in ``rel`` and ``rel``
    has no row of another event."""
    return Check(
        name,
        BLOCKING,
        f"events without exactly {per_event} {layer} rows (missing, extra, or not in core.games)",
        f"""SELECT coalesce(g.event_id, r.event_id) FROM core.games g
        FULL OUTER JOIN (SELECT event_id, count(*) AS n FROM {rel} GROUP BY event_id) r
            ON r.event_id = g.event_id
        WHERE g.event_id IS NULL OR coalesce(r.n, 0) <> {per_event}""",
        target=rel,
    )


def checks(layer: str, rel: str, as_of: dt.date, team_seasons: str) -> list[Check]:
    """The checks of one layer (``team`` | ``player`` | ``game``) on relation ``rel``.

    ``team_seasons`` names the relation of D1 membership per (team_id, season)
    (``features.team_seasons`` layout).
    """
    lo_e, hi_e = ELO_RANGE
    lo_r, hi_r = RATING_RANGE
    lo_s, hi_s = SCORE_RANGE
    if layer == "team":
        ratings = " OR ".join(
            f"{c} NOT BETWEEN {lo_r} AND {hi_r}"
            for c in ("f_off_rtg", "f_def_rtg", "f_adj_off", "f_adj_def")
        )
        d1_rows = f"""FROM {rel} r JOIN {team_seasons} s
            ON s.team_id = r.team_id AND s.season = r.season AND s.is_d1
            WHERE r.f_games_played >= 5"""
        return [
            Check(
                "core_final_scores_plausible",
                BLOCKING,
                f"final games with a score outside [{lo_s}, {hi_s}]",
                f"""SELECT g.event_id FROM core.games g WHERE {is_final_sql("g")}
                    AND (g.home_score NOT BETWEEN {lo_s} AND {hi_s}
                         OR g.away_score NOT BETWEEN {lo_s} AND {hi_s})
                    ORDER BY g.event_id""",
                target="core.games",
            ),
            _rows_per_event("team_rows_match_core_games", rel, 2, layer),
            Check(
                "team_no_duplicates",
                BLOCKING,
                "duplicate (event_id, team_id) rows",
                f"""SELECT event_id || ':' || team_id FROM {rel}
                    GROUP BY event_id, team_id HAVING count(*) > 1""",
                target=rel,
            ),
            Check(
                "team_elo_missing",
                BLOCKING,
                "team-games without a pre-game Elo rating",
                f"SELECT event_id || ':' || team_id FROM {rel} WHERE f_elo IS NULL",
                target=rel,
            ),
            Check(
                "team_elo_range",
                FLAG,
                f"team-games with a pre-game Elo rating outside [{lo_e}, {hi_e}]",
                f"""SELECT event_id || ':' || team_id || ' (' || round(f_elo, 1) || ')', event_id
                    FROM {rel} WHERE f_elo NOT BETWEEN {lo_e} AND {hi_e}
                    ORDER BY event_id, team_id""",
                target=rel,
                checked_sql=f"SELECT count(*) FROM {rel}",
                max_share=MAX_FLAGGED_SHARE,
            ),
            Check(
                "team_rating_range",
                FLAG,
                "team-games of a D1 team (in that season, >= 5 games played) with a pre-game "
                f"efficiency rating outside [{lo_r}, {hi_r}]",
                f"""SELECT r.event_id || ':' || r.team_id, r.event_id {d1_rows}
                    AND ({ratings}) ORDER BY r.event_id, r.team_id""",
                target=rel,
                checked_sql=f"SELECT count(*) {d1_rows}",
                max_share=MAX_FLAGGED_SHARE,
            ),
        ]
    if layer == "player":
        return [
            _rows_per_event("player_rows_match_team_rows", rel, 2, layer),
            Check(
                "player_values_in_range",
                FLAG,
                "team-games with minutes continuity or top-scorer availability outside [0, 1]",
                f"""SELECT event_id || ':' || team_id, event_id FROM {rel}
                    WHERE f_minutes_continuity NOT BETWEEN 0 AND 1
                        OR f_top_scorer_played NOT BETWEEN 0 AND 1
                    ORDER BY event_id, team_id""",
                target=rel,
                checked_sql=f"SELECT count(*) FROM {rel}",
                max_share=MAX_FLAGGED_SHARE,
            ),
        ]
    day = f"DATE '{as_of.isoformat()}'"
    population = f"""FROM {rel} WHERE is_d1_game AND f_home_games_played >= 5
        AND f_away_games_played >= 5"""
    return [
        _rows_per_event("game_rows_match_core_games", rel, 1, layer),
        Check(
            "game_no_duplicates",
            BLOCKING,
            "duplicate event_id rows",
            f"SELECT event_id FROM {rel} GROUP BY event_id HAVING count(*) > 1",
            target=rel,
        ),
        Check(
            "game_elo_prob_range",
            BLOCKING,
            "games whose elo_home_prob or f_elo_prob is NULL or outside [0, 1]",
            f"""SELECT event_id FROM {rel} WHERE elo_home_prob IS NULL
                OR elo_home_prob NOT BETWEEN 0 AND 1 OR f_elo_prob NOT BETWEEN 0 AND 1""",
            target=rel,
        ),
        Check(
            "game_labels_only_when_final",
            BLOCKING,
            "games whose labels disagree with their status (final, incl. overtime ⇔ labels)",
            f"""SELECT f.event_id FROM {rel} f JOIN core.games g ON g.event_id = f.event_id
                WHERE (f.home_win IS NULL) = {is_final_sql("g")}
                    OR (f.home_win IS NULL) <> (f.home_margin IS NULL)
                ORDER BY f.event_id""",
            target=rel,
        ),
        Check(
            "game_null_rate_adj_net",
            WARNING,
            "D1 games (both teams >= 5 games played) with a NULL f_diff_adj_net",
            f"SELECT event_id {population} AND f_diff_adj_net IS NULL ORDER BY event_id",
            target=rel,
            checked_sql=f"SELECT count(*) {population}",
            max_share=MAX_NULL_RATE,
        ),
        Check(
            "game_freshness",
            WARNING,
            f"newest final game more than {MAX_STALENESS_DAYS} days before as-of {as_of}",
            f"""SELECT 'newest final game: ' || coalesce(max(game_date)::VARCHAR, 'none')
                FROM {rel} WHERE home_win IS NOT NULL AND game_date <= {day}
                HAVING coalesce(date_diff('day', max(game_date), {day}), 999)
                    > {MAX_STALENESS_DAYS}""",
            target=rel,
        ),
    ]


def run_checks(
    conn: duckdb.DuckDBPyConnection,
    *,
    run_id: str,
    as_of: dt.date,
    layers: Sequence[str],
    relations: Mapping[str, str],
    team_seasons: str,
) -> list[CheckResult]:
    """Run the checks of ``layers`` on ``relations`` (layer → table or view) and store them in
    ``ops.quality_checks`` (stage ``features``, ``target`` = the relation) in their own
    transaction, also when a check fails, so failed builds leave their evidence.

    Raises:
        duckdb.Error: a relation does not exist.
    """
    todo = [c for layer in layers for c in checks(layer, relations[layer], as_of, team_seasons)]
    results = quality.run_checks(conn, todo)
    quality.store_results(conn, run_id=run_id, stage=STAGE, as_of=as_of, results=results)
    return results


def flags(results: Sequence[CheckResult]) -> dict[str, str]:
    """Event id → comma-separated names (sorted) of the ``flag`` checks that flagged one of its
    rows; events without a flag are absent."""
    names: dict[str, set[str]] = {}
    for result in results:
        for event in result.flagged:
            names.setdefault(event, set()).add(result.check.name)
    return {event: ",".join(sorted(n)) for event, n in names.items()}
