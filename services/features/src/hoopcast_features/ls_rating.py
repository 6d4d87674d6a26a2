"""Least-squares margin ratings: the second feature computed in Python instead of SQL (after Elo).

A point-in-time Massey / "simple rating system" rating, re-solved for every game day. For a
season and a day ``d`` the ratings ``r`` (points better than an average D1 team on a neutral
floor) minimise

    sum over final games g of the season before day d:  (y_g − (r_home − r_away + H·v_g))²
      + λ · sum over teams t:  (r_t − prior_t)²

* ``y_g`` = home margin capped at ±``MARGIN_CAP`` points (blowouts say little more);
* ``v_g`` = 1 at the home team's floor, 0 at neutral sites; ``H`` = ``HOME_COURT`` points;
* every game of the season weighs the same (recency weights with half-lives of 30–240 days
  validated worse than none);
* the ridge term (``λ`` = ``PRIOR_GAMES``, in games) pulls each team toward its prior,
  ``PRIOR_CARRY`` × its end-of-previous-season rating; a team without one (a new D1 team)
  starts at ``NEW_D1_PRIOR``. Every non-D1 opponent is pooled into one pseudo-team (they play
  one or two D1 games a season each, too few to rate), with prior ``NON_D1_PRIOR``;
* the end-of-season rating is the same problem over all the season's final games, with the
  ridge toward 0 instead of a prior: so a season needs only its own and the previous season's
  games, like the SQL features (no chain back to 2011).
* only teams with a final game before day ``d`` enter day ``d``'s system; any other team's
  rating is its prior (so an unrelated new scheduled game changes no solved value).

Why not SQL: each day needs a solve of a linear system coupling every team (≈ 366 unknowns).
It is solved by SciPy's conjugate gradients (``scipy.sparse.linalg.cg``) preconditioned with
the diagonal (Jacobi), the normal matrix applied game by game through ``numpy.bincount`` (no
dense matrix, no BLAS threads: the same inputs give the same floating-point result, so an
incremental build equals a full refresh).
Each day is solved from scratch (start: the priors), never warm-started from the day before,
so a build can resume at any day: :func:`season_ratings` recomputes only the days from
``resume_day`` on.

Constants were chosen on validation seasons 2022-23 and 2023-24 (docs/guides/features.md).
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass

import duckdb
import numpy as np
import numpy.typing as npt
from hoopcast_common.games import is_final_sql
from scipy.sparse.linalg import LinearOperator, cg

from hoopcast_features import team_seasons
from hoopcast_features.sql import START_EPOCH

HOME_COURT = 2.0
"""Home-court advantage ``H`` in points of margin (0 at neutral sites)."""
MARGIN_CAP = 30.0
"""Margins are capped at ± this many points before fitting."""
PRIOR_GAMES = 5.0
"""Ridge weight ``λ`` of the prior, in games."""
PRIOR_CARRY = 0.85
"""Share of the end-of-previous-season rating kept as this season's prior."""
NEW_D1_PRIOR = -5.0
"""Prior (points) of a D1 team without a previous-season rating."""
NON_D1_PRIOR = -20.0
"""Prior (points) of the pooled non-D1 pseudo-team when it has no previous-season rating."""
CG_TOLERANCE = 1e-9
"""Conjugate-gradient stop: residual norm relative to the right-hand side's."""
CG_MAX_ITER = 200
"""Conjugate-gradient iteration cap (never reached in practice: ≈ 20–40 iterations)."""

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]


@dataclass(frozen=True)
class SeasonGames:
    """One season's games, sorted by day, teams as indices ``0 .. n_teams - 1``.

    ``day`` (int, days since 1970-01-01 of the scoreboard date), ``home``/``away`` (team index),
    ``final`` (only final games enter the fit), ``margin`` (home − away points; ignored unless
    final), ``neutral`` (neutral-site flag). All arrays have one entry per game.
    """

    day: IntArray
    home: IntArray
    away: IntArray
    final: npt.NDArray[np.bool_]
    margin: FloatArray
    neutral: npt.NDArray[np.bool_]
    n_teams: int


def solve(
    home: IntArray,
    away: IntArray,
    target: FloatArray,
    weight: FloatArray,
    prior: FloatArray,
    ridge: float,
) -> FloatArray:
    """Ratings minimising ``Σ w·(target − (r_home − r_away))² + ridge·Σ (r − prior)²``.

    ``target`` is the capped margin minus the home-court term. Solves the normal equations
    ``(L + ridge·I) r = b`` (``L`` the weighted graph Laplacian of the games) by SciPy's
    conjugate gradients (``scipy.sparse.linalg.cg``) preconditioned with the inverse diagonal
    (Jacobi), starting from ``prior``, to a residual norm of ``CG_TOLERANCE`` × ‖b‖. The matrix
    is a ``LinearOperator`` applied game by game through ``numpy.bincount`` (as fast as the
    hand-written loop it replaced; an assembled sparse matrix cost 45–65 % more per build,
    ``bench/features/bench_build.py`` phase ``ls_rating``). Returns one rating per team
    (length ``len(prior)``, points).

    Raises:
        ValueError: ``ridge`` is not positive (the system would be singular).
        ArithmeticError: conjugate gradients did not converge in ``CG_MAX_ITER`` iterations.
    """
    if ridge <= 0:
        raise ValueError(f"ridge must be positive, got {ridge}")
    n = len(prior)
    wt = weight * target
    b = ridge * prior + np.bincount(home, wt, n) - np.bincount(away, wt, n)
    diag = ridge + np.bincount(home, weight, n) + np.bincount(away, weight, n)

    def apply(r: FloatArray) -> FloatArray:
        r = r.ravel()
        d = weight * (r[home] - r[away])
        out: FloatArray = ridge * r + np.bincount(home, d, n) - np.bincount(away, d, n)
        return out

    def jacobi(r: FloatArray) -> FloatArray:
        out: FloatArray = r.ravel() / diag
        return out

    normal = LinearOperator((n, n), matvec=apply, dtype=np.float64)
    x, info = cg(
        normal,
        b,
        x0=prior.copy(),
        rtol=CG_TOLERANCE,
        atol=0.0,
        maxiter=CG_MAX_ITER,
        M=LinearOperator((n, n), matvec=jacobi, dtype=np.float64),
    )
    if info != 0:
        raise ArithmeticError(f"conjugate gradients did not converge (scipy cg info {info})")
    solved: FloatArray = np.asarray(x, dtype=np.float64)
    return solved


def _solve_upto(games: SeasonGames, upto: int, prior: FloatArray) -> FloatArray:
    """Ratings (one per team index) from the final games among the first ``upto`` games.

    Only teams with such a game enter the system; the others keep ``prior``.
    """
    sel = np.flatnonzero(games.final[:upto])
    if len(sel) == 0:
        return prior.copy()
    target = np.clip(games.margin[sel], -MARGIN_CAP, MARGIN_CAP) - HOME_COURT * (
        ~games.neutral[sel]
    ).astype(np.float64)
    teams, inverse = np.unique(np.r_[games.home[sel], games.away[sel]], return_inverse=True)
    home, away = inverse[: len(sel)], inverse[len(sel) :]
    out = prior.copy()
    out[teams] = solve(home, away, target, np.ones(len(sel)), prior[teams], PRIOR_GAMES)
    return out


def season_ratings(
    games: SeasonGames,
    prior: FloatArray,
    resume_day: int | None = None,
) -> tuple[FloatArray, FloatArray, npt.NDArray[np.bool_]]:
    """Pre-game ratings of both teams for every game of a season (games sorted by day).

    A game on day ``d`` gets the ratings solved from the final games of days ``< d``.
    With ``resume_day`` only games on days ``>= resume_day`` are computed (the caller has the
    others stored); ``computed`` marks them. Returns ``(home_pre, away_pre, computed)``,
    ratings in points (NaN where not computed).
    """
    n = len(games.day)
    home_pre = np.full(n, np.nan)
    away_pre = np.full(n, np.nan)
    computed = np.zeros(n, dtype=np.bool_)
    if n == 0:
        return home_pre, away_pre, computed
    starts = np.flatnonzero(np.r_[True, games.day[1:] != games.day[:-1]])
    ends = np.r_[starts[1:], n]
    finals_before = np.r_[0, np.cumsum(games.final)]
    last_count, r = -1, prior
    for start, end in zip(starts.tolist(), ends.tolist(), strict=True):
        if resume_day is not None and int(games.day[start]) < resume_day:
            continue
        # the same final games as the previous computed day: the same system, the same answer
        if int(finals_before[start]) != last_count:
            r = _solve_upto(games, start, prior)
            last_count = int(finals_before[start])
        home_pre[start:end] = r[games.home[start:end]]
        away_pre[start:end] = r[games.away[start:end]]
        computed[start:end] = True
    return home_pre, away_pre, computed


def end_of_season(games: SeasonGames) -> FloatArray | None:
    """End-of-season ratings (points, one per team index) with the ridge toward 0.

    None when the season has no final game.
    """
    if not bool(games.final.any()):
        return None
    return _solve_upto(games, len(games.day), np.zeros(games.n_teams))


NON_D1_POOL = "__non_d1__"
"""Team key of the pooled non-D1 pseudo-team."""


def priors(teams: list[str], previous: dict[str, float]) -> FloatArray:
    """Prior per team key: ``PRIOR_CARRY`` × previous end-of-season rating, else
    ``NEW_D1_PRIOR``; the non-D1 pool keeps its previous rating unshrunk (it is not an
    average D1 team), else ``NON_D1_PRIOR``."""
    out = np.empty(len(teams))
    for i, team in enumerate(teams):
        last = previous.get(team)
        if team == NON_D1_POOL:
            out[i] = NON_D1_PRIOR if last is None else last
        else:
            out[i] = NEW_D1_PRIOR if last is None else PRIOR_CARRY * last
    return out


def run_ls_rating(
    season: IntArray,
    day: IntArray,
    home: list[str],
    away: list[str],
    final: npt.NDArray[np.bool_],
    margin: FloatArray,
    neutral: npt.NDArray[np.bool_],
    home_d1: npt.NDArray[np.bool_],
    away_d1: npt.NDArray[np.bool_],
    rate_from: int,
    resume: dict[int, int] | None = None,
) -> tuple[FloatArray, FloatArray, npt.NDArray[np.bool_]]:
    """Pre-game least-squares ratings of both teams for games sorted by (season, day).

    Seasons before ``rate_from`` only provide the priors of the next season (their games are
    not rated, ``computed`` False): pass the season before the first one to rate. A season
    directly after a gap (or the first season) starts from the default priors. ``resume`` maps a
    season to the first day (days since 1970) to compute in it (the rest is stored). A team
    not D1 in the game's season (``home_d1``/``away_d1`` False) is pooled as the non-D1 team.
    Returns ``(home_pre, away_pre, computed)`` per game (points; NaN where not computed).

    Raises:
        ValueError: the games are not sorted by (season, day).
    """
    n = len(day)
    key = season.astype(np.int64) * 100_000 + day.astype(np.int64)
    if n and bool(np.any(key[1:] < key[:-1])):
        raise ValueError("games must be sorted by (season, day)")
    home_pre = np.full(n, np.nan)
    away_pre = np.full(n, np.nan)
    computed = np.zeros(n, dtype=np.bool_)
    hk = [t if d else NON_D1_POOL for t, d in zip(home, home_d1.tolist(), strict=True)]
    ak = [t if d else NON_D1_POOL for t, d in zip(away, away_d1.tolist(), strict=True)]
    previous: dict[str, float] = {}
    bounds: list[int] = (
        np.flatnonzero(np.r_[True, season[1:] != season[:-1], True]).tolist() if n else []
    )
    last_season = None
    for lo, hi in itertools.pairwise(bounds):
        this = int(season[lo])
        if last_season is None or this != last_season + 1:
            previous = {}
        last_season = this
        teams = sorted(set(hk[lo:hi]) | set(ak[lo:hi]))
        index = {t: i for i, t in enumerate(teams)}
        games = SeasonGames(
            day=day[lo:hi].astype(np.int64),
            home=np.array([index[t] for t in hk[lo:hi]], dtype=np.int64),
            away=np.array([index[t] for t in ak[lo:hi]], dtype=np.int64),
            final=final[lo:hi],
            margin=margin[lo:hi].astype(np.float64),
            neutral=neutral[lo:hi],
            n_teams=len(teams),
        )
        if this >= rate_from:
            start = (resume or {}).get(this)
            h, a, c = season_ratings(games, priors(teams, previous), start)
            home_pre[lo:hi], away_pre[lo:hi], computed[lo:hi] = h, a, c
        end = end_of_season(games)
        previous = {} if end is None else dict(zip(teams, end.tolist(), strict=True))
    return home_pre, away_pre, computed


LS_RELATION = "ls_rating_game"
"""Temp table :func:`stage_ls_rating` writes: (event_id, team_id, ls_rating) for seasons >= lo."""
_DAY = "date_diff('day', DATE '1970-01-01', g.game_date)"


def stage_ls_rating(conn: duckdb.DuckDBPyConnection, lo: int, t0: float, full: bool) -> int:
    """Pre-game least-squares ratings of every team-game of seasons ``>= lo`` into the temp
    table ``ls_rating_game`` (event_id, team_id, ls_rating in points).

    Reads ``core.games`` and the D1 membership (temp table ``cur_team_seasons``) from season
    ``lo − 1`` (its end-of-season rating is
    season ``lo``'s prior). Incremental (``full`` False, the build starting at ``t0`` seconds
    since 1970): the days of season ``lo`` before the first game starting at or after ``t0``
    (and before the UTC day preceding ``t0``) keep the ratings published in
    ``features.team_game_features`` (their inputs did not change); only later days are solved.
    Returns the number of game days solved or reused (computed games' days).
    """
    resume: dict[int, int] = {}
    published = conn.execute(
        "SELECT count(*) FROM duckdb_columns() WHERE schema_name = 'features' "
        "AND table_name = 'team_game_features' AND column_name = 'f_ls_rating'"
    ).fetchone()
    if not full and published and published[0]:
        row = conn.execute(
            f"SELECT min({_DAY}) FROM core.games g WHERE g.season = ? AND {START_EPOCH} >= ?",
            [lo, t0],
        ).fetchone()
        first = int(t0 // 86400) - 1
        if row and row[0] is not None:
            first = min(first, int(row[0]))
        resume[lo] = first
    games = conn.execute(
        f"""
        SELECT g.event_id, g.season, {_DAY} AS day, g.home_team_id, g.away_team_id,
               {is_final_sql("g")} AS final,
               coalesce(g.home_score - g.away_score, 0)::DOUBLE AS margin,
               coalesce(g.neutral_site, false) AS neutral,
               coalesce(th.is_d1, false) AS home_d1, coalesce(ta.is_d1, false) AS away_d1
        FROM core.games g
        LEFT JOIN {team_seasons.CURRENT} th ON th.team_id = g.home_team_id AND th.season = g.season
        LEFT JOIN {team_seasons.CURRENT} ta ON ta.team_id = g.away_team_id AND ta.season = g.season
        WHERE g.season >= ?
        ORDER BY g.season, day, {START_EPOCH}, g.event_id
        """,
        [lo - 1],
    ).fetchnumpy()
    event = [str(x) for x in games["event_id"]]
    home = [str(x) for x in games["home_team_id"]]
    away = [str(x) for x in games["away_team_id"]]
    home_pre, away_pre, computed = run_ls_rating(
        np.asarray(games["season"], dtype=np.int64),
        np.asarray(games["day"], dtype=np.int64),
        home,
        away,
        np.asarray(games["final"], dtype=np.bool_),
        np.asarray(games["margin"], dtype=np.float64),
        np.asarray(games["neutral"], dtype=np.bool_),
        np.asarray(games["home_d1"], dtype=np.bool_),
        np.asarray(games["away_d1"], dtype=np.bool_),
        rate_from=lo,
        resume=resume,
    )
    keep = np.flatnonzero(computed).tolist()
    conn.execute(
        f"""
        CREATE OR REPLACE TEMP TABLE {LS_RELATION} AS
        SELECT unnest($1)::VARCHAR AS event_id, unnest($2)::VARCHAR AS team_id,
               unnest($3)::DOUBLE AS ls_rating
        """,
        [
            [event[i] for i in keep] * 2,
            [home[i] for i in keep] + [away[i] for i in keep],
            home_pre[keep].tolist() + away_pre[keep].tolist(),
        ],
    )
    if resume:
        conn.execute(
            f"""
            INSERT INTO {LS_RELATION}
            SELECT t.event_id, t.team_id, t.f_ls_rating FROM features.team_game_features t
            JOIN core.games g ON g.event_id = t.event_id
            WHERE t.season = ? AND {_DAY} < ?
            """,
            [lo, resume[lo]],
        )
    return len(keep)
