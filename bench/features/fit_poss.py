"""Fit the points-based possession estimate the features use for games without box scores.

``sql.POSS_BASE`` and ``sql.POSS_PER_POINT`` are the least-squares line of a game's box-score
possessions (mean of both teams' ``FGA − ORB + TOV + 0.475·FTA``, kept in [45, 110]) on its
total points, over every final game of the bench warehouse with both team box scores. Prints the
fitted line and, against the box-score possessions, the mean absolute error of the possessions
and of the home team's points per 100 possessions, for the line and for a constant 68.

Usage: ``uv run python bench/features/fit_poss.py [CORE.duckdb]`` (default
``var/bench/core16.duckdb``, made by ``bench/features/make_core_db.py``).
"""

from __future__ import annotations

import argparse
from pathlib import Path

import duckdb
import numpy as np

ROOT = Path(__file__).resolve().parents[2]


def main() -> None:
    """Fit and print the possession line and its errors."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("core", nargs="?", default=str(ROOT / "var/bench/core16.duckdb"))
    args = parser.parse_args()
    conn = duckdb.connect(args.core, read_only=True)
    data = conn.execute(
        """
        SELECT (g.home_score + g.away_score)::DOUBLE AS total, g.home_score::DOUBLE AS home,
            (t.fga - t.orb + t.tov + 0.475 * t.fta + o.fga - o.orb + o.tov + 0.475 * o.fta) / 2.0
                AS poss
        FROM core.games g
        JOIN core.team_game_stats t ON t.event_id = g.event_id AND t.team_id = g.home_team_id
        JOIN core.team_game_stats o ON o.event_id = g.event_id AND o.team_id = g.away_team_id
        WHERE g.completed AND g.home_score IS NOT NULL AND g.away_score IS NOT NULL
        """
    ).fetchnumpy()
    conn.close()
    keep = (data["poss"] >= 45) & (data["poss"] <= 110)
    poss, total, home = data["poss"][keep], data["total"][keep], data["home"][keep]
    slope, base = np.polyfit(total, poss, 1)
    print(f"games with both box scores: {len(poss)}; mean possessions {poss.mean():.2f}")
    print(f"possessions = {base:.2f} + {slope:.4f} x total points")
    for name, est in (("constant 68", np.full_like(poss, 68.0)), ("line", base + slope * total)):
        rating_err = np.abs(100 * home / est - 100 * home / poss).mean()
        print(
            f"{name:12s}: possessions MAE {np.abs(est - poss).mean():.2f}, "
            f"home points per 100 possessions MAE {rating_err:.2f}"
        )


if __name__ == "__main__":
    main()
