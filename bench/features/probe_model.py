"""Probe how informative the features are: the trainer's quality targets on a built warehouse.

Fits LightGBM on ``features.game_features`` (D1-vs-D1 finals of seasons ≤ 2023-24, every
``f_`` column), validates on 2024-25 and prints accuracy, log-loss, Brier score and margin
MAE, next to the Elo-only baseline (``elo_home_prob``). The trainer's targets
(docs/guides/models.md): accuracy ≥ 0.725, MAE ≤ 9.2, log-loss ≤ 0.56, better than Elo alone.

Usage: ``uv run python bench/features/probe_model.py [DB]`` (default var/bench/features16.duckdb,
built by bench/features/bench_build.py).
"""

from __future__ import annotations

import sys
from pathlib import Path

import duckdb
import lightgbm as lgb
import numpy as np
from sklearn.metrics import brier_score_loss, log_loss, mean_absolute_error

ROOT = Path(__file__).resolve().parents[2]


def main() -> None:
    """Load, fit, print the validation figures."""
    db = sys.argv[1] if len(sys.argv) > 1 else str(ROOT / "var/bench/features16.duckdb")
    conn = duckdb.connect(db, read_only=True)
    df = conn.execute(
        "SELECT * FROM features.game_features WHERE is_d1_game AND home_win IS NOT NULL"
    ).df()
    feats = [c for c in df.columns if c.startswith("f_")]
    train = df[df.season <= 2024]
    valid = df[df.season == 2025]
    params = {
        "learning_rate": 0.05,
        "num_leaves": 15,
        "min_data_in_leaf": 200,
        "feature_fraction": 0.7,
        "bagging_fraction": 0.8,
        "bagging_freq": 1,
        "lambda_l2": 5.0,
        "verbose": -1,
    }
    clf = lgb.train(
        {**params, "objective": "binary"},
        lgb.Dataset(train[feats], train.home_win.astype(int)),
        num_boost_round=300,
    )
    reg = lgb.train(
        {**params, "objective": "regression"},
        lgb.Dataset(train[feats], train.home_margin),
        num_boost_round=300,
    )
    p = clf.predict(valid[feats])
    m = reg.predict(valid[feats])
    y = valid.home_win.astype(int).to_numpy()
    e = np.clip(valid.elo_home_prob.to_numpy(), 1e-6, 1 - 1e-6)
    print(f"validation 2024-25 D1 games: {len(valid)}; train {len(train)}; features {len(feats)}")
    print(
        f"model   acc {np.mean((p > 0.5) == y):.4f}  log-loss {log_loss(y, p):.4f}  "
        f"Brier {brier_score_loss(y, p):.4f}  margin MAE "
        f"{mean_absolute_error(valid.home_margin, m):.3f}"
    )
    print(
        f"elo     acc {np.mean((e > 0.5) == y):.4f}  log-loss {log_loss(y, e):.4f}  "
        f"Brier {brier_score_loss(y, e):.4f}"
    )
    em = valid.f_exp_margin.to_numpy()
    ok = ~np.isnan(em)
    print(
        f"f_exp_margin alone: acc {np.mean((em[ok] > 0) == y[ok]):.4f}  MAE "
        f"{mean_absolute_error(valid.home_margin[ok], em[ok]):.3f}"
    )
    imp = sorted(zip(clf.feature_importance("gain"), feats, strict=True), reverse=True)[:12]
    print("top features (gain):", ", ".join(f for _, f in imp))


if __name__ == "__main__":
    main()
