"""The spread-to-probability constant of the scorecard's betting-line yardstick, measured.

The scorecard turns a betting line into a home-win probability with a normal model,
``P(home wins) = Φ(-spread / σ)`` (:func:`hoopcast_ml.metrics.line_home_win_prob`). This
script fits σ by maximum likelihood (:func:`hoopcast_ml.metrics.fit_line_sigma`) on the
shipped results file (``data/results``, column ``aspread`` = the away team's spread, i.e. the
line's expected home margin, so the home spread is ``-aspread``), per season and over all
seasons, and prints the log-loss and accuracy of the line at the fitted σ. The value over the
seasons before the latest one (``earlier``) is the default ``PREDICTOR_LINE_SIGMA``.

Usage: ``uv run python bench/predictor/line_sigma.py``
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
from hoopcast_ml.metrics import fit_line_sigma, line_home_win_prob, score

ROOT = Path(__file__).resolve().parents[2]
RESULTS = ROOT / "data/results/grdavis_cbb_games_20101101_20260214.csv"


def main() -> None:
    """Print σ per season (ESPN season year) and overall."""
    raw = pd.read_csv(
        RESULTS,
        header=None,
        names=["neutral", "away", "ascore", "home", "hscore", "date", "aspread"],
        dtype=str,
    )
    date = pd.to_datetime(raw["date"], format="%Y%m%d")
    games = pd.DataFrame(
        {
            "season": np.where(date.dt.month >= 7, date.dt.year + 1, date.dt.year),
            "spread": -pd.to_numeric(raw["aspread"].str.strip(), errors="coerce"),
            "margin": pd.to_numeric(raw["hscore"]) - pd.to_numeric(raw["ascore"]),
        }
    ).dropna()
    games = games[games["margin"] != 0]
    games["home_win"] = (games["margin"] > 0).astype(float)
    print(f"{'season':<8} {'games':>6} {'sigma':>6} {'log-loss':>8} {'accuracy':>8}")
    before_last = games[games["season"] < games["season"].max()]
    groups = [*games.groupby("season"), ("earlier", before_last), ("all", games)]
    for season, part in groups:
        sigma = fit_line_sigma(part["spread"], part["home_win"])
        m = score(
            part["home_win"], line_home_win_prob(part["spread"], sigma), with_calibration=False
        )
        print(
            f"{season!s:<8} {len(part):>6} {sigma:>6.2f} {m['log_loss']:>8.4f} "
            f"{m['accuracy']:>8.3f}"
        )


if __name__ == "__main__":
    main()
