"""The Elo constants, chosen: a coordinate search by Elo's own log-loss on the validation seasons.

Runs the features stage's own Elo recurrence (:func:`hoopcast_features.elo.run_elo`, the code
that fills ``features.elo_game``) over every game of the bench warehouse in start order, with
its module constants set to each candidate value, and scores the pre-game home-win probability
by log-loss (natural log) on the D1-vs-D1 final games (``features.game_features.is_d1_game``)
of the validation seasons 2022-23 and 2023-24. Each of those games is rated with all the
history before it. The objective is the mean of the two seasons' log-losses.

Search: start from ``--start`` (``default``: K 35, boost 1, half-life 8, regression 0.15 and
the other constants as shipped; ``shipped``: the constants in ``hoopcast_features.elo``), then
for each constant in turn try every value of its grid with the others fixed and keep the best
(a tie keeps the current value); repeat the sweep until it changes nothing. The grids: K 24–42,
early-season boost 0.5–3, its half-life 4–12 games, season regression 0.05–0.25, home advantage
75–95, non-D1 start rating 1000–1200, and the margin-of-victory multiplier's offset 1–6,
exponent 0.6–0.9, base 6–9 and slope 0.003–0.01 (FiveThirtyEight's values 3, 0.8, 7.5, 0.006
are on the grids).

Prints each sweep's log-loss per grid value, the values found next to the shipped ones, and
a table of the start, the found and the shipped constants: log-loss per validation season,
their mean, and the test season 2024-25 (log-loss, accuracy; reported, never searched on).
First it checks that the shipped constants reproduce the warehouse's ``elo_home_prob``.

The warehouse: ``--db`` (default ``var/bench/trainer/warehouse16.duckdb``, made when missing
like ``bench/trainer/quality.py`` does). Rebuild it after feature changes (delete the file).

Usage: ``uv run python bench/trainer/tune_elo.py [--db PATH] [--start default|shipped]``
"""

from __future__ import annotations

import sys
import time
from collections.abc import Callable
from functools import partial
from pathlib import Path

import numpy as np
import numpy.typing as npt
from hoopcast_features import elo

sys.path.insert(0, str(Path(__file__).resolve().parent))
import rating_search as rs

GRID: dict[str, tuple[float, ...]] = {
    "K_FACTOR": (24, 26, 28, 30, 32, 35, 38, 42),
    "EARLY_SEASON_BOOST": (0.5, 1, 1.5, 2, 2.5, 3),
    "EARLY_SEASON_HALF_LIFE": (4, 5, 6, 8, 10, 12),
    "SEASON_REGRESSION": (0.05, 0.1, 0.15, 0.2, 0.25),
    "HOME_ADVANTAGE": (75, 80, 85, 90, 95),
    "INIT_NON_D1": (1000, 1050, 1100, 1150, 1200),
    "MOV_OFFSET": (1, 2, 3, 4, 6),
    "MOV_EXPONENT": (0.6, 0.7, 0.8, 0.9),
    "MOV_BASE": (6, 7, 7.5, 8, 9),
    "MOV_SLOPE": (0.003, 0.006, 0.01),
}
"""Candidate values per constant of :mod:`hoopcast_features.elo` (module attribute names)."""

DEFAULT_START = {
    "K_FACTOR": 35.0,
    "EARLY_SEASON_BOOST": 1.0,
    "EARLY_SEASON_HALF_LIFE": 8.0,
    "SEASON_REGRESSION": 0.15,
}
"""Where ``--start default`` begins (the constants not named here as shipped)."""

SHIPPED = {name: float(getattr(elo, name)) for name in GRID}
"""The constants in ``hoopcast_features.elo`` when the script starts."""


class Games(rs.RatingGames):
    """Every game of the warehouse in start order, the inputs of the features stage's Elo pass;
    ``stored`` is the warehouse's ``elo_home_prob``."""

    def __init__(self, db: Path) -> None:
        super().__init__(db, "elo_home_prob", order="start_epoch, g.event_id")

    def probabilities(self, constants: dict[str, float]) -> npt.NDArray[np.float64]:
        """Pre-game Elo home-win probabilities of every game with ``constants`` set on
        :mod:`hoopcast_features.elo` (restored afterwards)."""
        values = {name: float(value) for name, value in constants.items()}
        with rs.module_constants(elo, values):
            result = elo.run_elo(
                self.home,
                self.away,
                self.season,
                self.final,
                self.margin,
                self.neutral,
                self.home_d1,
                self.away_d1,
                elo.EloState(),
            )
        return result.home_prob

    def score(self, prob: npt.NDArray[np.float64], season: int) -> rs.Score:
        """(log-loss, accuracy, games) of ``prob`` on the D1-vs-D1 final games of ``season``."""
        mask = self.d1_final & (self.season == season)
        return rs.log_loss_accuracy(self.home_win[mask], prob[mask])

    def season_scores(self, constants: dict[str, float]) -> Callable[[int], rs.Score]:
        """Season → score of the probabilities with ``constants``."""
        return partial(self.score, self.probabilities(constants))


def main() -> None:
    """Check the replay of the stored Elo, search, print the tables."""
    parser = rs.arguments(__doc__)
    parser.add_argument("--start", choices=("default", "shipped"), default="default")
    args = parser.parse_args()
    games, t0 = rs.open_games(Games, args.db)
    shipped_prob = games.probabilities(SHIPPED)
    stored = ~np.isnan(games.stored)
    diff = float(np.max(np.abs(shipped_prob[stored] - games.stored[stored])))
    print(
        f"{len(games.home)} games; shipped constants vs the warehouse's elo_home_prob: "
        f"max |difference| {diff:.2e} over {int(stored.sum())} games"
    )
    start = {**SHIPPED, **DEFAULT_START} if args.start == "default" else dict(SHIPPED)
    found = rs.coordinate_search(GRID, start, games.season_scores)
    print("\nconstant                  start     found   shipped")
    for name in GRID:
        print(f"  {name:<23} {start[name]:>7g} {found[name]:>9g} {SHIPPED[name]:>9g}")
    rows = (("start", start), ("found", found), ("shipped", SHIPPED))
    rs.print_log_loss_table({label: games.season_scores(c) for label, c in rows})
    rs.print_games_scored(partial(games.score, shipped_prob), time.perf_counter() - t0)


if __name__ == "__main__":
    main()
