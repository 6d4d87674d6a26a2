"""Should the promoted model be refit through its validation window? Measured.

For several game days D, the default in-season split (:func:`hoopcast_trainer.dataset.
resolve_split`: validate on the last ``TRAINER_VALIDATION_DAYS`` days before D, extended to
``TRAINER_MIN_GATE_GAMES`` games; train on every game final before) gives two models with the
shipped settings (``env/production/trainer.env``):

* **validated**: fitted on the training window only (the model the gate judged);
* **refit**: fitted again on training + validation window (the same settings).

Both forecast the D1-vs-D1 games of the following ``--horizon`` days (D .. D + horizon - 1)
from their point-in-time feature rows, i.e. the games a model registered on D would forecast
before the next retrain. Printed: per game day and pooled, games, log-loss, Brier score,
accuracy and margin MAE of both.

Usage: ``uv run python bench/trainer/refit.py [--db PATH] [--days D ...] [--horizon 7]``
(default warehouse ``var/bench/trainer/warehouse16.duckdb``, made by
``bench/trainer/quality.py``).
"""

from __future__ import annotations

import argparse
import datetime as dt
import time
from pathlib import Path

import duckdb
import numpy as np
import pandas as pd
from hoopcast_common.settings import load_settings
from hoopcast_ml import model as model_io
from hoopcast_ml.feature_table import feature_columns, load_labelled
from hoopcast_ml.metrics import score
from hoopcast_trainer.config import TrainerConfig
from hoopcast_trainer.dataset import resolve_split

ROOT = Path(__file__).resolve().parents[2]
DAYS = ["2024-12-15", "2025-01-05", "2025-01-26", "2025-02-16", "2025-03-02"]


def _fit(cfg: TrainerConfig, frame: pd.DataFrame, features: list[str]) -> model_io.GameModel:
    return model_io.fit(
        frame,
        features,
        cfg.params,
        cfg.num_boost_round,
        early_stopping_rounds=cfg.early_stopping_rounds,
        holdout_fraction=cfg.holdout_fraction,
    )


def _scores(fitted: model_io.GameModel, test: pd.DataFrame) -> dict[str, float]:
    prob, margin = fitted.predict(test)
    m = score(
        test["home_win"].astype(np.float64),
        prob,
        test["home_margin"].astype(np.float64),
        margin,
        with_calibration=False,
    )
    return {k: float(m[k]) for k in ("log_loss", "brier", "accuracy", "margin_mae")}


def main() -> None:
    """Print the comparison table."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--db", type=Path, default=ROOT / "var/bench/trainer/warehouse16.duckdb")
    parser.add_argument("--days", nargs="+", default=DAYS)
    parser.add_argument("--horizon", type=int, default=7)
    args = parser.parse_args()
    cfg = TrainerConfig.from_settings(load_settings("trainer", profile="production"))
    conn = duckdb.connect(str(args.db), read_only=True)
    pooled: dict[str, list[pd.DataFrame]] = {"validated": [], "refit": []}
    print(
        f"{'game day':<11} {'model':<10} {'games':>5} {'log-loss':>8} {'Brier':>7} "
        f"{'accuracy':>8} {'MAE':>6} {'fit s':>6}"
    )
    try:
        features = feature_columns(conn)
        for text in args.days:
            day = dt.date.fromisoformat(text)
            split = resolve_split(
                conn,
                as_of=day,
                train_from=cfg.train_from,
                validation_days=cfg.validation_days,
                min_validation_games=cfg.min_gate_games,
            )
            train = load_labelled(conn, features, split.train_from, split.train_until)
            validate = load_labelled(conn, features, split.validate_from, split.validate_to)
            test = load_labelled(conn, features, day, day + dt.timedelta(days=args.horizon - 1))
            for name, frame in (
                ("validated", train),
                ("refit", pd.concat([train, validate], ignore_index=True)),
            ):
                t0 = time.perf_counter()
                fitted = _fit(cfg, frame, features)
                seconds = time.perf_counter() - t0
                m = _scores(fitted, test)
                prob, margin = fitted.predict(test)
                pooled[name].append(
                    test[["home_win", "home_margin"]].assign(prob=prob, margin=margin)
                )
                print(
                    f"{text:<11} {name:<10} {len(test):>5} {m['log_loss']:>8.4f} "
                    f"{m['brier']:>7.4f} {m['accuracy']:>8.3f} {m['margin_mae']:>6.2f} "
                    f"{seconds:>6.1f}",
                    flush=True,
                )
    finally:
        conn.close()
    for name, parts in pooled.items():
        all_games = pd.concat(parts, ignore_index=True)
        m = score(
            all_games["home_win"].astype(np.float64),
            all_games["prob"],
            all_games["home_margin"].astype(np.float64),
            all_games["margin"],
            with_calibration=False,
        )
        print(
            f"{'pooled':<11} {name:<10} {m['n_games']:>5} {m['log_loss']:>8.4f} "
            f"{m['brier']:>7.4f} {m['accuracy']:>8.3f} {m['margin_mae']:>6.2f}"
        )


if __name__ == "__main__":
    main()
