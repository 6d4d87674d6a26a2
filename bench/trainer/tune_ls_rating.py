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

import sys
import time
from collections.abc import Callable
from functools import partial
from pathlib import Path

import numpy as np
import numpy.typing as npt
from hoopcast_features import ls_rating
from sklearn.linear_model import LogisticRegression

sys.path.insert(0, str(Path(__file__).resolve().parent))
import rating_search as rs

TRAIN_SEASONS = 4
"""The logistic regression of a validation season is fitted on this many seasons before it."""
FIRST_RATED = min(rs.VALIDATION) - TRAIN_SEASONS
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


class Games(rs.RatingGames):
    """The games of seasons ``FIRST_RATED - 1`` … ``TEST``, the rating's inputs, sorted like
    the features stage sorts them, with the scoring columns ``d1_final``, ``home_win``,
    ``home_floor`` (1.0 unless neutral) and ``stored``, the warehouse's ``f_diff_ls_rating``."""

    def __init__(self, db: Path) -> None:
        super().__init__(
            db,
            "f_diff_ls_rating",
            order="g.season, day, start_epoch, g.event_id",
            seasons=(FIRST_RATED - 1, rs.TEST),
        )
        self.home_floor = (~self.neutral).astype(np.float64)

    def rating_diff(self, constants: dict[str, float]) -> FloatArray:
        """Pre-game rating difference home − away per game (NaN before ``FIRST_RATED``), with
        ``constants`` set on :mod:`hoopcast_features.ls_rating` (restored afterwards)."""
        values: dict[str, object] = {n: float(v) for n, v in constants.items() if n != HALF_LIFE}
        if constants.get(HALF_LIFE, 0.0) > 0:
            values["_solve_upto"] = weighted_solve_upto(constants[HALF_LIFE])
        with rs.module_constants(ls_rating, values):
            home, away, _ = ls_rating.run_ls_rating(
                self.season,
                self.day,
                self.home,
                self.away,
                self.final,
                self.margin,
                self.neutral,
                self.home_d1,
                self.away_d1,
                rate_from=FIRST_RATED,
            )
        return np.asarray(home - away, dtype=np.float64)

    def score(self, diff: FloatArray, season: int) -> rs.Score:
        """(log-loss, accuracy, games) on ``season`` of the logistic regression fitted on the
        ``TRAIN_SEASONS`` seasons before it."""
        x = np.c_[diff, self.home_floor]
        fit = self.d1_final & (self.season >= season - TRAIN_SEASONS) & (self.season < season)
        test = self.d1_final & (self.season == season)
        model = LogisticRegression(C=1e6).fit(x[fit], self.home_win[fit])
        p = model.predict_proba(x[test])[:, 1]
        return rs.log_loss_accuracy(self.home_win[test], p)

    def season_scores(self, constants: dict[str, float]) -> Callable[[int], rs.Score]:
        """Season → score of the rating difference with ``constants``."""
        return partial(self.score, self.rating_diff(constants))


def value_label(name: str, value: float) -> str:
    """A grid value as the sweep prints it (``none`` for no recency weights)."""
    return "none" if name == HALF_LIFE and value == 0 else f"{value:g}"


def main() -> None:
    """Check the replay of the stored rating, search, print the tables."""
    parser = rs.arguments(__doc__)
    args = parser.parse_args()
    games, t0 = rs.open_games(Games, args.db)
    shipped = games.rating_diff(SHIPPED)
    both = ~np.isnan(shipped) & ~np.isnan(games.stored)
    gap = float(np.max(np.abs(shipped[both] - games.stored[both])))
    print(
        f"{len(games.home)} games of {rs.season_label(FIRST_RATED - 1)} … "
        f"{rs.season_label(rs.TEST)}; shipped constants vs the warehouse's f_diff_ls_rating: "
        f"max |difference| {gap:.1e} over {int(both.sum())} games"
    )
    found = rs.coordinate_search(GRID, SHIPPED, games.season_scores, value_label)
    print("\nconstant            found   shipped   (HALF_LIFE_DAYS 0 = none)")
    for name in GRID:
        print(f"  {name:<15} {found[name]:>7g} {SHIPPED[name]:>9g}")
    rows = (("found", found), ("shipped", SHIPPED))
    rs.print_log_loss_table({label: games.season_scores(c) for label, c in rows})
    rs.print_games_scored(partial(games.score, shipped), time.perf_counter() - t0)


if __name__ == "__main__":
    main()
