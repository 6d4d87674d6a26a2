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

import argparse
import sys
import time
from pathlib import Path

import numpy as np
import numpy.typing as npt
from hoopcast_common.db import connect
from hoopcast_features import elo, sql
from sklearn.metrics import log_loss

sys.path.insert(0, str(Path(__file__).resolve().parent))
from quality import ROOT, ensure_warehouse

VALIDATION = (2023, 2024)
"""Validation seasons (ESPN ``season`` = ending year): 2022-23 and 2023-24."""
TEST = 2025
"""The test season 2024-25: reported, never searched on."""

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


class Games:
    """Every game of the warehouse in start order, the inputs of the features stage's Elo pass.

    Arrays of one entry per game: ``home``/``away`` team ids, ``season``, ``final``,
    ``margin`` (home − away points, 0 unless final), ``neutral``, ``home_win`` (1.0/0.0),
    ``d1_final`` (a D1-vs-D1 final game per ``features.game_features``) and the stored
    ``elo_home_prob``; ``is_d1`` maps team id → D1 flag (``core.teams``).
    """

    def __init__(self, db: Path) -> None:
        conn = connect(db, read_only=True)
        rows = conn.execute(
            f"""
            SELECT g.event_id, g.season, {sql.START_EPOCH} AS start_epoch,
                   g.home_team_id, g.away_team_id, {sql.IS_FINAL} AS final,
                   coalesce(g.home_score - g.away_score, 0)::DOUBLE AS margin,
                   coalesce(g.neutral_site, false) AS neutral,
                   coalesce(f.is_d1_game AND f.home_win IS NOT NULL, false) AS d1_final,
                   f.elo_home_prob
            FROM core.games g LEFT JOIN features.game_features f USING (event_id)
            ORDER BY start_epoch, g.event_id
            """
        ).fetchnumpy()
        self.is_d1 = {
            str(t): bool(d)
            for t, d in conn.execute("SELECT team_id, is_d1 FROM core.teams").fetchall()
        }
        conn.close()
        self.home = [str(x) for x in rows["home_team_id"]]
        self.away = [str(x) for x in rows["away_team_id"]]
        self.season: npt.NDArray[np.int64] = np.asarray(rows["season"], dtype=np.int64)
        self.final: npt.NDArray[np.bool_] = np.asarray(rows["final"], dtype=np.bool_)
        self.margin: npt.NDArray[np.float64] = np.asarray(rows["margin"], dtype=np.float64)
        self.neutral: npt.NDArray[np.bool_] = np.asarray(rows["neutral"], dtype=np.bool_)
        self.d1_final: npt.NDArray[np.bool_] = np.asarray(rows["d1_final"], dtype=np.bool_)
        self.home_win = (self.margin > 0).astype(np.float64)
        stored = rows["elo_home_prob"]
        self.stored_prob = np.asarray(np.ma.filled(stored, np.nan), dtype=np.float64)

    def probabilities(self, constants: dict[str, float]) -> npt.NDArray[np.float64]:
        """Pre-game Elo home-win probabilities of every game with ``constants`` set on
        :mod:`hoopcast_features.elo` (restored afterwards)."""
        saved = {name: getattr(elo, name) for name in constants}
        try:
            for name, value in constants.items():
                setattr(elo, name, float(value))
            result = elo.run_elo(
                self.home,
                self.away,
                self.season,
                self.final,
                self.margin,
                self.neutral,
                self.is_d1,
                elo.EloState(),
            )
        finally:
            for name, value in saved.items():
                setattr(elo, name, value)
        return result.home_prob

    def score(self, prob: npt.NDArray[np.float64], season: int) -> tuple[float, float, int]:
        """(log-loss, accuracy, games) of ``prob`` on the D1-vs-D1 final games of ``season``."""
        mask = self.d1_final & (self.season == season)
        y, p = self.home_win[mask], prob[mask]
        return (
            float(log_loss(y, p, labels=[0.0, 1.0])),
            float(((p >= 0.5) == (y == 1.0)).mean()),
            int(mask.sum()),
        )


def objective(
    games: Games, constants: dict[str, float], cache: dict[tuple[float, ...], float]
) -> float:
    """Mean log-loss over the validation seasons (memoised on the constants' values)."""
    key = tuple(constants[name] for name in GRID)
    if key not in cache:
        prob = games.probabilities(constants)
        cache[key] = float(np.mean([games.score(prob, s)[0] for s in VALIDATION]))
    return cache[key]


def search(games: Games, start: dict[str, float]) -> dict[str, float]:
    """Coordinate search from ``start`` over :data:`GRID`; prints every sweep; returns the
    constants where a full sweep changes nothing."""
    current = dict(start)
    cache: dict[tuple[float, ...], float] = {}
    sweep = 0
    while True:
        sweep += 1
        changed = False
        print(f"\nsweep {sweep} (mean log-loss, validation 2022-23 and 2023-24)")
        for name, values in GRID.items():
            losses = {v: objective(games, {**current, name: float(v)}, cache) for v in values}
            best = min(losses.values())
            here = losses.get(current[name], objective(games, current, cache))
            pick = current[name] if here <= best else min(losses, key=losses.__getitem__)
            if pick != current[name]:
                changed = True
                current[name] = float(pick)
            cells = "  ".join(
                f"{v:g}:{loss:.5f}{'*' if v == current[name] else ''}" for v, loss in losses.items()
            )
            print(f"  {name:<23} {cells}")
        if not changed:
            return current


def main() -> None:
    """Check the replay of the stored Elo, search, print the tables."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", type=Path, default=ROOT / "var/bench/trainer/warehouse16.duckdb")
    parser.add_argument("--start", choices=("default", "shipped"), default="default")
    args = parser.parse_args()
    db: Path = args.db.resolve()
    ensure_warehouse(db)
    t0 = time.perf_counter()
    games = Games(db)
    shipped_prob = games.probabilities(SHIPPED)
    stored = ~np.isnan(games.stored_prob)
    diff = float(np.max(np.abs(shipped_prob[stored] - games.stored_prob[stored])))
    print(
        f"{len(games.home)} games; shipped constants vs the warehouse's elo_home_prob: "
        f"max |difference| {diff:.2e} over {int(stored.sum())} games"
    )
    start = {**SHIPPED, **DEFAULT_START} if args.start == "default" else dict(SHIPPED)
    found = search(games, start)
    print("\nconstant                  start     found   shipped")
    for name in GRID:
        print(f"  {name:<23} {start[name]:>7g} {found[name]:>9g} {SHIPPED[name]:>9g}")
    header = "  ".join(f"{s - 1}-{s % 100:02d}" for s in VALIDATION)
    print(f"\nlog-loss: {'constants':<10} {header}     mean  | test 2024-25 log-loss, accuracy")
    for label, constants in (("start", start), ("found", found), ("shipped", SHIPPED)):
        prob = games.probabilities(constants)
        val = [games.score(prob, s) for s in VALIDATION]
        test_ll, test_acc, _ = games.score(prob, TEST)
        cells = "  ".join(f"{ll:.4f}" for ll, _, _ in val)
        print(
            f"          {label:<10} {cells}  {np.mean([v[0] for v in val]):.4f} | "
            f"{test_ll:.4f}, {test_acc:.1%}"
        )
    games_per = ", ".join(
        f"{s - 1}-{s % 100:02d} {games.score(shipped_prob, s)[2]}" for s in (*VALIDATION, TEST)
    )
    print(f"\nD1-vs-D1 final games scored: {games_per}; {time.perf_counter() - t0:.0f} s")


if __name__ == "__main__":
    main()
