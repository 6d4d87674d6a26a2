"""The least-squares rating's constants, chosen: a coordinate search on the validation seasons.

Runs the features stage's own least-squares rating
(:func:`hoopcast_features.ls_rating.run_ls_rating`, the code behind ``f_ls_rating``) over the
bench warehouse with its module constants set to each candidate value, and scores the rating
the way a model would use it alone: a two-input logistic regression (scikit-learn, inputs: the
pre-game rating difference home − away and the home-floor flag) fitted on the D1-vs-D1 final
games of the four seasons before a validation season, log-loss (natural log) on that season's
D1-vs-D1 final games (``features.game_features.is_d1_game``). The objective is the mean over
the validation seasons 2022-23 and 2023-24.

Search: start from the shipped constants (``hoopcast_features.ls_rating``), then for each
constant in turn try every value of its grid with the others fixed and keep the best (a tie
keeps the current value); repeat until a sweep changes nothing: the shipped constants are a
coordinate-wise optimum of the grid when the first sweep keeps them all. Grids: home court 2–3.5
points, margin cap 15–100, ridge 1.5–12 games, carry-over 0.55–1, new-D1 prior −5/−10, and a
recency half-life of 30–240 days (``none`` = every game of the season weighs the same, the
shipped rating). Recency weights ``0.5 ** (age in days / half-life)``, age counted from the day
being rated, are an experiment of this script only (a weighted copy of the rating's per-day
solve, applied to the end-of-season rating too); everything else is the shipped code.

Prints each sweep, the values found next to the shipped ones, and a table of the found and
shipped constants: log-loss per validation season, their mean, and the test season 2024-25
(log-loss, accuracy; reported, never searched on). First it checks that the shipped constants
reproduce the warehouse's ``f_diff_ls_rating``.

Usage: ``uv run python bench/trainer/tune_ls_rating.py [--db PATH]``
(the warehouse as in ``bench/trainer/quality.py``).
"""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np
import numpy.typing as npt
from hoopcast_common.db import connect
from hoopcast_features import ls_rating, sql
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import log_loss

sys.path.insert(0, str(Path(__file__).resolve().parent))
from quality import ROOT, ensure_warehouse

VALIDATION = (2023, 2024)
"""Validation seasons (ESPN ``season`` = ending year): 2022-23 and 2023-24."""
TEST = 2025
"""The test season 2024-25: reported, never searched on."""
TRAIN_SEASONS = 4
"""The logistic regression of a validation season is fitted on this many seasons before it."""
FIRST_RATED = min(VALIDATION) - TRAIN_SEASONS
"""First season rated (the season before it only provides priors)."""

HALF_LIFE = "HALF_LIFE_DAYS"
"""Name of the recency half-life in the search (0 = no recency weights, as shipped)."""

GRID: dict[str, tuple[float, ...]] = {
    "HOME_COURT": (2.0, 2.5, 3.0, 3.5),
    "MARGIN_CAP": (15, 20, 25, 30, 40, 100),
    "PRIOR_GAMES": (1.5, 3, 5, 8, 12),
    "PRIOR_CARRY": (0.55, 0.7, 0.85, 1.0),
    "NEW_D1_PRIOR": (-10, -5),
    HALF_LIFE: (0, 30, 60, 120, 240),
}
"""Candidate values per constant (module attribute names of ``hoopcast_features.ls_rating``)."""

SHIPPED = {name: float(getattr(ls_rating, name)) for name in GRID if name != HALF_LIFE}
SHIPPED[HALF_LIFE] = 0.0

FloatArray = npt.NDArray[np.float64]


def weighted_solve_upto(half_life: float) -> Callable[..., FloatArray]:
    """``ls_rating._solve_upto`` with recency weights of half-life ``half_life`` days."""

    def solve_upto(games: ls_rating.SeasonGames, upto: int, prior: FloatArray) -> FloatArray:
        sel = np.flatnonzero(games.final[:upto])
        if len(sel) == 0:
            return prior.copy()
        today = int(games.day[upto]) if upto < len(games.day) else int(games.day[-1]) + 1
        weight = 0.5 ** ((today - games.day[sel]) / half_life)
        target = np.clip(
            games.margin[sel], -ls_rating.MARGIN_CAP, ls_rating.MARGIN_CAP
        ) - ls_rating.HOME_COURT * (~games.neutral[sel]).astype(np.float64)
        teams, inverse = np.unique(np.r_[games.home[sel], games.away[sel]], return_inverse=True)
        home, away = inverse[: len(sel)], inverse[len(sel) :]
        out = prior.copy()
        out[teams] = ls_rating.solve(
            home, away, target, weight, prior[teams], ls_rating.PRIOR_GAMES
        )
        return out

    return solve_upto


class Games:
    """The games of seasons ``FIRST_RATED - 1`` … ``TEST``, the rating's inputs, sorted like
    the features stage sorts them, with the scoring columns: ``d1_final`` (D1-vs-D1 final
    game), ``home_win``, ``home_floor`` (1.0 unless neutral) and the stored
    ``f_diff_ls_rating``."""

    def __init__(self, db: Path) -> None:
        conn = connect(db, read_only=True)
        day = "date_diff('day', DATE '1970-01-01', g.game_date)"
        rows = conn.execute(
            f"""
            SELECT g.season, {day} AS day, g.home_team_id, g.away_team_id,
                   {sql.IS_FINAL} AS final,
                   coalesce(g.home_score - g.away_score, 0)::DOUBLE AS margin,
                   coalesce(g.neutral_site, false) AS neutral,
                   coalesce(f.is_d1_game AND f.home_win IS NOT NULL, false) AS d1_final,
                   f.f_diff_ls_rating
            FROM core.games g LEFT JOIN features.game_features f USING (event_id)
            WHERE g.season BETWEEN ? AND ?
            ORDER BY g.season, day, {sql.START_EPOCH}, g.event_id
            """,
            [FIRST_RATED - 1, TEST],
        ).fetchnumpy()
        self.is_d1 = {
            str(t): bool(d)
            for t, d in conn.execute("SELECT team_id, is_d1 FROM core.teams").fetchall()
        }
        conn.close()
        self.home = [str(x) for x in rows["home_team_id"]]
        self.away = [str(x) for x in rows["away_team_id"]]
        self.season = np.asarray(rows["season"], dtype=np.int64)
        self.day = np.asarray(rows["day"], dtype=np.int64)
        self.final = np.asarray(rows["final"], dtype=np.bool_)
        self.margin = np.asarray(rows["margin"], dtype=np.float64)
        self.neutral = np.asarray(rows["neutral"], dtype=np.bool_)
        self.d1_final = np.asarray(rows["d1_final"], dtype=np.bool_)
        self.home_win = (self.margin > 0).astype(np.float64)
        self.home_floor = (~self.neutral).astype(np.float64)
        self.stored = np.asarray(np.ma.filled(rows["f_diff_ls_rating"], np.nan), dtype=np.float64)

    def rating_diff(self, constants: dict[str, float]) -> FloatArray:
        """Pre-game rating difference home − away per game (NaN before ``FIRST_RATED``), with
        ``constants`` set on :mod:`hoopcast_features.ls_rating` (restored afterwards)."""
        names = [n for n in constants if n != HALF_LIFE]
        saved = {n: getattr(ls_rating, n) for n in (*names, "_solve_upto")}
        try:
            for n in names:
                setattr(ls_rating, n, float(constants[n]))
            if constants.get(HALF_LIFE, 0.0) > 0:
                ls_rating._solve_upto = weighted_solve_upto(constants[HALF_LIFE])
            home, away, _ = ls_rating.run_ls_rating(
                self.season,
                self.day,
                self.home,
                self.away,
                self.final,
                self.margin,
                self.neutral,
                self.is_d1,
                rate_from=FIRST_RATED,
            )
        finally:
            for n, value in saved.items():
                setattr(ls_rating, n, value)
        return np.asarray(home - away, dtype=np.float64)

    def score(self, diff: FloatArray, season: int) -> tuple[float, float, int]:
        """(log-loss, accuracy, games) on ``season`` of the logistic regression fitted on the
        ``TRAIN_SEASONS`` seasons before it."""
        x = np.c_[diff, self.home_floor]
        fit = self.d1_final & (self.season >= season - TRAIN_SEASONS) & (self.season < season)
        test = self.d1_final & (self.season == season)
        model = LogisticRegression(C=1e6).fit(x[fit], self.home_win[fit])
        p = model.predict_proba(x[test])[:, 1]
        y = self.home_win[test]
        return (
            float(log_loss(y, p, labels=[0.0, 1.0])),
            float(((p >= 0.5) == (y == 1.0)).mean()),
            int(test.sum()),
        )


def search(games: Games, start: dict[str, float]) -> dict[str, float]:
    """Coordinate search from ``start`` over :data:`GRID`; prints every sweep."""
    current = dict(start)
    cache: dict[tuple[float, ...], float] = {}

    def objective(constants: dict[str, float]) -> float:
        key = tuple(constants[n] for n in GRID)
        if key not in cache:
            diff = games.rating_diff(constants)
            cache[key] = float(np.mean([games.score(diff, s)[0] for s in VALIDATION]))
        return cache[key]

    sweep = 0
    while True:
        sweep += 1
        changed = False
        print(f"\nsweep {sweep} (mean log-loss, validation 2022-23 and 2023-24)")
        for name, values in GRID.items():
            losses = {v: objective({**current, name: float(v)}) for v in values}
            here = objective(current)
            best = min(losses, key=losses.__getitem__)
            if losses[best] < here and best != current[name]:
                current[name] = float(best)
                changed = True
            cells = "  ".join(
                f"{'none' if name == HALF_LIFE and v == 0 else f'{v:g}'}:{loss:.5f}"
                f"{'*' if v == current[name] else ''}"
                for v, loss in losses.items()
            )
            print(f"  {name:<15} {cells}", flush=True)
        if not changed:
            return current


def main() -> None:
    """Check the replay of the stored rating, search, print the tables."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", type=Path, default=ROOT / "var/bench/trainer/warehouse16.duckdb")
    args = parser.parse_args()
    db: Path = args.db.resolve()
    ensure_warehouse(db)
    t0 = time.perf_counter()
    games = Games(db)
    shipped = games.rating_diff(SHIPPED)
    both = ~np.isnan(shipped) & ~np.isnan(games.stored)
    gap = float(np.max(np.abs(shipped[both] - games.stored[both])))
    print(
        f"{len(games.home)} games of {FIRST_RATED - 2}-{(FIRST_RATED - 1) % 100:02d} … "
        f"{TEST - 1}-{TEST % 100:02d}; shipped constants vs the warehouse's f_diff_ls_rating: "
        f"max |difference| {gap:.1e} over {int(both.sum())} games"
    )
    found = search(games, dict(SHIPPED))
    print("\nconstant            found   shipped   (HALF_LIFE_DAYS 0 = none)")
    for name in GRID:
        print(f"  {name:<15} {found[name]:>7g} {SHIPPED[name]:>9g}")
    header = "  ".join(f"{s - 1}-{s % 100:02d}" for s in VALIDATION)
    print(f"\nlog-loss: {'constants':<10} {header}     mean  | test 2024-25 log-loss, accuracy")
    for label, constants in (("found", found), ("shipped", SHIPPED)):
        diff = games.rating_diff(constants)
        val = [games.score(diff, s) for s in VALIDATION]
        test_ll, test_acc, _ = games.score(diff, TEST)
        cells = "  ".join(f"{ll:.4f}" for ll, _, _ in val)
        print(
            f"          {label:<10} {cells}  {np.mean([v[0] for v in val]):.4f} | "
            f"{test_ll:.4f}, {test_acc:.1%}"
        )
    counts = ", ".join(
        f"{s - 1}-{s % 100:02d} {games.score(shipped, s)[2]}" for s in (*VALIDATION, TEST)
    )
    print(f"\nD1-vs-D1 final games scored: {counts}; {time.perf_counter() - t0:.0f} s")


if __name__ == "__main__":
    main()
