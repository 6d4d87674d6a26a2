"""Model choices tried on the validation seasons: LightGBM settings, rounds, seeds, a blend.

Trains the real trainer steps (``bench/trainer/quality.py``'s ``train_and_validate``: dataset →
fit → evaluate → register on a private copy of the bench warehouse) with the shipped settings
(``env/<profile>/trainer.env``) and with one change at a time, on every season before each
validation season, and scores each on that season's D1-vs-D1 final games (the same games for
every row). The validation seasons are 2022-23 and 2023-24 (``--validate-season 2023 2024``);
the test season 2024-25 is never used here.

Changes, each from the shipped settings:

* LightGBM: ``num_leaves`` 4 and 15, ``min_data_in_leaf`` 300, ``lambda_l2`` 10,
  ``feature_fraction`` 0.5, ``learning_rate`` 0.015 with 1,500 rounds;
* ``num_boost_round`` 1,200 (early stopping still on);
* ``monotone_constraints``: both boosters increasing in :data:`MONOTONE_INCREASING` (the
  home side's rating differences, Elo probability and expected margin), free elsewhere;
* seeds 1, 2 and 3 (``seed``), and the mean of their probabilities and margins;
* the regression margin as a probability, ``Φ(margin / σ)`` with ``σ`` the standard deviation
  of the training residuals of the shipped regressor, blended with the classifier's
  probability at weights 0.25, 0.5 and 0.75 (post-hoc, on the shipped model).

Prints per season: games, accuracy, log-loss, Brier score, ECE, margin MAE and the change of
log-loss and accuracy against the shipped settings; then a summary of the changes over both
seasons.

Usage: ``uv run python bench/trainer/tune_model.py [--db PATH] [--validate-season YEAR ...]``
(the warehouse as in ``bench/trainer/quality.py``; about 25 trainings, 10–15 min on 2 cores).
"""

from __future__ import annotations

import argparse
import dataclasses
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt
import pandas as pd
from hoopcast_common.db import connect
from hoopcast_common.settings import load_settings
from hoopcast_ml.feature_table import feature_columns
from hoopcast_ml.metrics import score
from hoopcast_trainer.config import TrainerConfig
from scipy.stats import norm

sys.path.insert(0, str(Path(__file__).resolve().parent))
from quality import ROOT, ensure_warehouse, train_and_validate

MONOTONE_INCREASING = (
    "f_diff_elo",
    "f_diff_ls_rating",
    "f_diff_adj_net",
    "f_diff_net_rtg",
    "f_elo_prob",
    "f_exp_margin",
)
"""Features the monotone-constraints variant makes both boosters increasing in."""

FloatArray = npt.NDArray[np.float64]
Change = Callable[[TrainerConfig], TrainerConfig]


def with_params(**params: Any) -> Change:
    """A change of LightGBM parameters (``TrainerConfig.params``)."""
    return lambda cfg: dataclasses.replace(cfg, params={**cfg.params, **params})


def with_rounds(rounds: int, **params: Any) -> Change:
    """A change of ``num_boost_round`` (and optionally LightGBM parameters)."""
    return lambda cfg: dataclasses.replace(
        cfg, num_boost_round=rounds, params={**cfg.params, **params}
    )


def monotone(features: list[str]) -> Change:
    """``monotone_constraints``: +1 for :data:`MONOTONE_INCREASING`, 0 for the rest."""
    signs = [1 if name in MONOTONE_INCREASING else 0 for name in features]
    return with_params(monotone_constraints=signs, monotone_constraints_method="basic")


def line(name: str, m: dict[str, Any], base: dict[str, Any] | None) -> str:
    """One printed row: metrics of ``m`` and its change against ``base``."""
    d_ll = "" if base is None else f"{float(m['log_loss']) - float(base['log_loss']):+.4f}"
    d_acc = "" if base is None else f"{100 * (m['accuracy'] - base['accuracy']):+.1f}"
    return (
        f"{name:<34} {m['n_games']:>6} {m['accuracy']:>8.2%} {m['log_loss']:>8.4f} "
        f"{m['brier']:>7.4f} {m['ece']:>6.4f} {m['margin_mae']:>6.2f} {d_ll:>8} {d_acc:>6}"
    )


HEADER = (
    f"{'settings':<34} {'games':>6} {'accuracy':>8} {'log-loss':>8} {'Brier':>7} {'ECE':>6} "
    f"{'MAE':>6} {'Δ ll':>8} {'Δ acc':>6}"
)


def run_season(
    db: Path, cfg: TrainerConfig, season: int, changes: dict[str, Change]
) -> dict[str, dict[str, Any]]:
    """Train the shipped settings and every change, validate on ``season``; print the table.

    Returns the metrics per row name.
    """
    label = f"{season - 1}-{season % 100:02d}"
    results: dict[str, dict[str, Any]] = {}
    preds: dict[str, tuple[FloatArray, FloatArray]] = {}
    validate: pd.DataFrame | None = None
    sigma = float("nan")
    for name, change in {"shipped": lambda c: c, **changes}.items():
        t = time.perf_counter()
        fitted, frame, _, _, _, train = train_and_validate(db, change(cfg), season)
        prob, margin = fitted.predict(frame)
        preds[name] = (np.asarray(prob, dtype=np.float64), np.asarray(margin, dtype=np.float64))
        if name == "shipped":
            validate = frame
            _, train_margin = fitted.predict(train)
            sigma = float(np.std(train["home_margin"].to_numpy(dtype=np.float64) - train_margin))
        print(f"  {label} {name}: {time.perf_counter() - t:.0f} s", file=sys.stderr)
    assert validate is not None
    y = validate["home_win"].astype(float).to_numpy()
    actual = validate["home_margin"].astype(float).to_numpy()

    def scored(prob: FloatArray, margin: FloatArray) -> dict[str, Any]:
        return score(y, prob, actual, margin)

    for name, (prob, margin) in preds.items():
        results[name] = scored(prob, margin)
    seeds = [preds[n] for n in preds if n.startswith("seed ")]
    if seeds:
        results["mean of seeds 1-3"] = scored(
            np.mean([p for p, _ in seeds], axis=0), np.mean([m for _, m in seeds], axis=0)
        )
    prob, margin = preds["shipped"]
    from_margin = norm.cdf(margin / sigma)
    for w in (0.25, 0.5, 0.75):
        results[f"blend {w:g}·Φ(margin/σ)"] = scored((1 - w) * prob + w * from_margin, margin)
    base = results["shipped"]
    print(
        f"\nvalidation {label}: {len(validate)} D1-vs-D1 games; σ of the training residuals "
        f"{sigma:.2f} points\n{HEADER}\n{'-' * len(HEADER)}"
    )
    for name, m in results.items():
        print(line(name, m, None if name == "shipped" else base))
    return results


def main() -> None:
    """Train every change per validation season, print the tables and the summary."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", type=Path, default=ROOT / "var/bench/trainer/warehouse16.duckdb")
    parser.add_argument("--validate-season", type=int, nargs="+", default=[2023, 2024])
    args = parser.parse_args()
    db: Path = args.db.resolve()
    ensure_warehouse(db)
    cfg = TrainerConfig.from_settings(load_settings("trainer"))
    conn = connect(db, read_only=True)
    features = feature_columns(conn)
    conn.close()
    changes: dict[str, Change] = {
        "num_leaves 4": with_params(num_leaves=4),
        "num_leaves 15": with_params(num_leaves=15),
        "min_data_in_leaf 300": with_params(min_data_in_leaf=300),
        "lambda_l2 10": with_params(lambda_l2=10.0),
        "feature_fraction 0.5": with_params(feature_fraction=0.5),
        "learning_rate 0.015, 1500 rounds": with_rounds(1500, learning_rate=0.015),
        "num_boost_round 1200": with_rounds(1200),
        "monotone constraints": monotone(features),
        "seed 1": with_params(seed=1),
        "seed 2": with_params(seed=2),
        "seed 3": with_params(seed=3),
    }
    per_season = {s: run_season(db, cfg, s, changes) for s in args.validate_season}
    labels = [f"{s - 1}-{s % 100:02d}" for s in args.validate_season]
    print(f"\nsummary: change against the shipped settings per season ({', '.join(labels)})")
    print(f"{'settings':<34} {'Δ log-loss':>22} {'Δ accuracy (points)':>22} {'ECE':>16}")
    for name in next(iter(per_season.values())):
        rows = [per_season[s] for s in args.validate_season]
        base = [r["shipped"] for r in rows]
        d_ll = " / ".join(
            f"{float(r[name]['log_loss']) - float(b['log_loss']):+.4f}"
            for r, b in zip(rows, base, strict=True)
        )
        d_acc = " / ".join(
            f"{100 * (r[name]['accuracy'] - b['accuracy']):+.1f}"
            for r, b in zip(rows, base, strict=True)
        )
        ece = " / ".join(f"{float(r[name]['ece']):.3f}" for r in rows)
        print(f"{name:<34} {d_ll:>22} {d_acc:>22} {ece:>16}")


if __name__ == "__main__":
    main()
