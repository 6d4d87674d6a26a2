"""Feature quality checks: row counts, duplicates, value ranges, labels, null rates, freshness.

Each check is one SQL query returning ``(observed, passed, detail)``; results are stored per run
in ``features.quality_checks``. Blocking checks stop a build from publishing (exit 2);
warnings are recorded only. ``build`` runs them on the staged result before the swap, ``check``
on the published tables.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass

import duckdb
from hoopcast_common.db import transaction

ELO_RANGE = (700.0, 2400.0)
"""Plausible Elo ratings (D1 spans about 1100-2000; non-D1 start at 1100)."""
RATING_RANGE = (50.0, 160.0)
"""Plausible pre-game points per 100 possessions (offensive and defensive, raw and adjusted)
of a D1 team with at least 5 games played this season (non-D1 teams, who mostly play D1
opponents, can be far outside it)."""
SCORE_RANGE = (0, 200)
"""Plausible final scores in core.games (a value outside is an ingestion error)."""
MAX_NULL_RATE = 0.02
"""Highest share of NULL ``f_diff_adj_net`` among D1 games of teams with ≥ 5 games played."""
MAX_STALENESS_DAYS = 10
"""Warn when the newest final game is more than this many days before ``as_of``."""


@dataclass(frozen=True)
class CheckResult:
    """One check's outcome: ``observed`` value, ``passed``, and whether failure is blocking."""

    name: str
    target: str
    blocking: bool
    passed: bool
    observed: float | None
    threshold: str
    detail: str


def _checks(layer: str, rel: str, as_of: dt.date) -> list[tuple[str, bool, str, str]]:
    """(name, blocking, threshold, SQL → (observed, passed, detail)) for one layer's relation."""
    lo_e, hi_e = ELO_RANGE
    lo_r, hi_r = RATING_RANGE
    lo_s, hi_s = SCORE_RANGE
    if layer == "team":
        ratings = " OR ".join(
            f"{c} NOT BETWEEN {lo_r} AND {hi_r}"
            for c in ("f_off_rtg", "f_def_rtg", "f_adj_off", "f_adj_def")
        )
        return [
            (
                "core_final_scores_plausible",
                True,
                f"scores in [{lo_s}, {hi_s}]",
                f"""SELECT count(*), count(*) = 0, 'final games with implausible scores: '
                    || coalesce(string_agg(event_id, ', ' ORDER BY event_id), 'none')
                FROM core.games WHERE completed AND status = 'STATUS_FINAL'
                    AND (home_score NOT BETWEEN {lo_s} AND {hi_s}
                         OR away_score NOT BETWEEN {lo_s} AND {hi_s})""",
            ),
            (
                "team_rows_match_core_games",
                True,
                "2 per core.games event",
                f"""SELECT (SELECT count(*) FROM {rel}),
                    (SELECT count(*) FROM {rel}) = 2 * (SELECT count(*) FROM core.games),
                    'rows ' || (SELECT count(*) FROM {rel}) || ' vs 2 x '
                    || (SELECT count(*) FROM core.games) || ' events'""",
            ),
            (
                "team_no_duplicates",
                True,
                "0",
                f"""SELECT count(*) - count(DISTINCT (event_id, team_id)),
                    count(*) = count(DISTINCT (event_id, team_id)),
                    'duplicate (event_id, team_id) rows' FROM {rel}""",
            ),
            (
                "team_elo_range",
                True,
                f"[{lo_e}, {hi_e}]",
                f"""SELECT count(*), count(*) = 0,
                    'Elo ratings outside range or NULL (min ' || (SELECT min(f_elo) FROM {rel})
                    || ', max ' || (SELECT max(f_elo) FROM {rel}) || ')'
                FROM {rel} WHERE f_elo IS NULL OR f_elo NOT BETWEEN {lo_e} AND {hi_e}""",
            ),
            (
                "team_rating_range",
                True,
                f"[{lo_r}, {hi_r}]",
                f"""SELECT count(*), count(*) = 0,
                    'D1 team-games (>= 5 games played) with an efficiency rating outside the range'
                FROM {rel} r JOIN core.teams t ON t.team_id = r.team_id AND t.is_d1
                WHERE r.f_games_played >= 5 AND ({ratings})""",
            ),
        ]
    if layer == "player":
        return [
            (
                "player_rows_match_team_rows",
                True,
                "2 per core.games event",
                f"""SELECT (SELECT count(*) FROM {rel}),
                    (SELECT count(*) FROM {rel}) = 2 * (SELECT count(*) FROM core.games),
                    'rows ' || (SELECT count(*) FROM {rel})""",
            ),
            (
                "player_values_in_range",
                True,
                "[0, 1]",
                f"""SELECT count(*), count(*) = 0, 'continuity or availability outside [0, 1]'
                FROM {rel} WHERE f_minutes_continuity NOT BETWEEN 0 AND 1
                    OR f_top_scorer_played NOT BETWEEN 0 AND 1""",
            ),
        ]
    return [
        (
            "game_rows_match_core_games",
            True,
            "1 per core.games event",
            f"""SELECT (SELECT count(*) FROM {rel}),
                (SELECT count(*) FROM {rel}) = (SELECT count(*) FROM core.games),
                'rows ' || (SELECT count(*) FROM {rel}) || ' vs '
                || (SELECT count(*) FROM core.games) || ' events'""",
        ),
        (
            "game_no_duplicates",
            True,
            "0",
            f"""SELECT count(*) - count(DISTINCT event_id), count(*) = count(DISTINCT event_id),
                'duplicate event_id rows' FROM {rel}""",
        ),
        (
            "game_elo_prob_range",
            True,
            "[0, 1], not NULL",
            f"""SELECT count(*), count(*) = 0, 'elo_home_prob NULL or outside [0, 1]'
            FROM {rel} WHERE elo_home_prob IS NULL OR elo_home_prob NOT BETWEEN 0 AND 1
                OR f_elo_prob NOT BETWEEN 0 AND 1""",
        ),
        (
            "game_labels_only_when_final",
            True,
            "0",
            f"""SELECT count(*), count(*) = 0,
                'games whose labels disagree with their status (final ⇔ labels)'
            FROM {rel} WHERE (home_win IS NULL) = (completed AND status = 'STATUS_FINAL')
                OR (home_win IS NULL) <> (home_margin IS NULL)""",
        ),
        (
            "game_null_rate_adj_net",
            False,
            f"<= {MAX_NULL_RATE}",
            f"""SELECT coalesce(avg(CASE WHEN f_diff_adj_net IS NULL THEN 1.0 ELSE 0.0 END), 0),
                coalesce(avg(CASE WHEN f_diff_adj_net IS NULL THEN 1.0 ELSE 0.0 END), 0)
                    <= {MAX_NULL_RATE},
                'NULL share of f_diff_adj_net, D1 games with both teams >= 5 games played'
            FROM {rel} WHERE is_d1_game AND f_home_games_played >= 5
                AND f_away_games_played >= 5""",
        ),
        (
            "game_freshness",
            False,
            f"<= {MAX_STALENESS_DAYS} days",
            f"""SELECT date_diff('day', max(game_date), DATE '{as_of.isoformat()}'),
                coalesce(date_diff('day', max(game_date), DATE '{as_of.isoformat()}'), 999)
                    <= {MAX_STALENESS_DAYS},
                'days from the newest final game (' || coalesce(max(game_date)::VARCHAR, 'none')
                || ') to as-of'
            FROM {rel} WHERE home_win IS NOT NULL AND game_date <= DATE '{as_of.isoformat()}'""",
        ),
    ]


def run_checks(
    conn: duckdb.DuckDBPyConnection,
    *,
    run_id: str,
    as_of: dt.date,
    layers: tuple[str, ...],
    relations: Mapping[str, str],
    target_prefix: str = "",
) -> list[CheckResult]:
    """Run the checks of ``layers`` on ``relations`` (layer → table or view) and store them.

    Results are inserted into ``features.quality_checks`` (``target`` = prefix + relation) in
    their own transaction, also when a check fails, so failed builds leave their evidence.
    """
    results: list[CheckResult] = []
    for layer in layers:
        rel = relations[layer]
        for name, blocking, threshold, query in _checks(layer, rel, as_of):
            row = conn.execute(query).fetchone()
            observed = None if row is None or row[0] is None else float(row[0])
            passed = bool(row[1]) if row is not None and row[1] is not None else False
            detail = str(row[2]) if row is not None and row[2] is not None else ""
            results.append(
                CheckResult(
                    name, target_prefix + rel, blocking, passed, observed, threshold, detail
                )
            )
    with transaction(conn):
        for r in results:
            conn.execute(
                "INSERT OR REPLACE INTO features.quality_checks (run_id, as_of, target,"
                " check_name, severity, passed, observed, threshold, detail)"
                " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                [
                    run_id,
                    as_of,
                    r.target,
                    r.name,
                    "blocking" if r.blocking else "warning",
                    r.passed,
                    r.observed,
                    r.threshold,
                    r.detail,
                ],
            )
    return results
