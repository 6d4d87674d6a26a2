"""Forecast metrics: log-loss, Brier score, accuracy, AUC, margin MAE and calibration.

All scores come from scikit-learn (``sklearn.metrics``); the reliability table and the expected
calibration error (ECE) follow Guo et al. 2017, "On Calibration of Modern Neural Networks"
(equal-width probability bins, ECE = sum over bins of (n_bin / n) * |mean prob - win rate|).
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import numpy.typing as npt
from sklearn.metrics import (
    accuracy_score,
    brier_score_loss,
    log_loss,
    mean_absolute_error,
    roc_auc_score,
)

FloatArray = npt.NDArray[np.float64]


def _clip(prob: FloatArray) -> FloatArray:
    return np.clip(np.asarray(prob, dtype=np.float64), 1e-15, 1 - 1e-15)


def reliability_table(
    home_win: npt.ArrayLike, prob: npt.ArrayLike, bins: int = 10
) -> list[dict[str, float | int]]:
    """Reliability (calibration) table over ``bins`` equal-width probability bins.

    Returns one dict per non-empty bin: ``bin_low``, ``bin_high``, ``n``, ``mean_prob`` (mean
    predicted home-win probability) and ``win_rate`` (observed home-win frequency).
    """
    y = np.asarray(home_win, dtype=np.float64)
    p = np.asarray(prob, dtype=np.float64)
    edges = np.linspace(0.0, 1.0, bins + 1)
    index = np.clip(np.digitize(p, edges[1:-1], right=False), 0, bins - 1)
    table: list[dict[str, float | int]] = []
    for b in range(bins):
        mask = index == b
        n = int(mask.sum())
        if n == 0:
            continue
        table.append(
            {
                "bin_low": float(edges[b]),
                "bin_high": float(edges[b + 1]),
                "n": n,
                "mean_prob": float(p[mask].mean()),
                "win_rate": float(y[mask].mean()),
            }
        )
    return table


def expected_calibration_error(
    home_win: npt.ArrayLike, prob: npt.ArrayLike, bins: int = 10
) -> float:
    """ECE: sum over bins of (n_bin / n) * |mean predicted prob - observed win rate|."""
    table = reliability_table(home_win, prob, bins)
    total = sum(int(row["n"]) for row in table)
    if total == 0:
        return float("nan")
    return float(
        sum(int(r["n"]) / total * abs(float(r["mean_prob"]) - float(r["win_rate"])) for r in table)
    )


def score(
    home_win: npt.ArrayLike,
    prob: npt.ArrayLike,
    margin: npt.ArrayLike | None = None,
    predicted_margin: npt.ArrayLike | None = None,
    *,
    with_calibration: bool = True,
) -> dict[str, Any]:
    """Score home-win probabilities (and optionally margins) against results.

    Args:
        home_win: 0/1 (or bool) per game, 1 = home team won.
        prob: predicted home-win probability per game, in [0, 1].
        margin: actual home margin in points (home - away).
        predicted_margin: predicted home margin in points.
        with_calibration: add ``ece`` and ``reliability`` (10 bins).

    Returns:
        ``n_games``, ``log_loss`` (natural log), ``brier``, ``accuracy`` (home predicted to win
        when prob >= 0.5), ``auc`` (None when only one class occurs), ``margin_mae`` (points,
        None without margins), and calibration entries.

    Raises:
        ValueError: no games, or arrays of different lengths.
    """
    y = np.asarray(home_win, dtype=np.float64)
    p = _clip(np.asarray(prob, dtype=np.float64))
    if y.size == 0:
        raise ValueError("cannot score an empty set of games")
    if y.shape != p.shape:
        raise ValueError(f"{y.size} results but {p.size} probabilities")
    out: dict[str, Any] = {
        "n_games": int(y.size),
        "log_loss": float(log_loss(y, p, labels=[0.0, 1.0])),
        "brier": float(brier_score_loss(y, p)),
        "accuracy": float(accuracy_score(y, (p >= 0.5).astype(np.float64))),
        "auc": float(roc_auc_score(y, p)) if len(np.unique(y)) == 2 else None,
        "margin_mae": None,
    }
    if margin is not None and predicted_margin is not None:
        out["margin_mae"] = float(
            mean_absolute_error(
                np.asarray(margin, dtype=np.float64), np.asarray(predicted_margin, dtype=np.float64)
            )
        )
    if with_calibration:
        out["ece"] = expected_calibration_error(y, p)
        out["reliability"] = reliability_table(y, p)
    return out


def logit(prob: npt.ArrayLike) -> FloatArray:
    """log(p / (1 - p)) with p clipped to [1e-6, 1 - 1e-6]."""
    p = np.clip(np.asarray(prob, dtype=np.float64), 1e-6, 1 - 1e-6)
    return np.asarray(np.log(p / (1 - p)), dtype=np.float64)


def fit_elo_margin(elo_prob: npt.ArrayLike, margin: npt.ArrayLike) -> tuple[float, float]:
    """Least-squares line margin = a + b * logit(elo_prob) (the Elo-only margin baseline).

    Returns ``(a, b)``; ``(mean margin, 0)`` when the Elo probabilities do not vary.
    """
    x = logit(elo_prob)
    y = np.asarray(margin, dtype=np.float64)
    keep = np.isfinite(x) & np.isfinite(y)
    x, y = x[keep], y[keep]
    if x.size < 2 or float(np.var(x)) == 0.0:
        return (float(y.mean()) if y.size else 0.0, 0.0)
    b, a = np.polyfit(x, y, 1)
    return float(a), float(b)


def finite_or_none(value: float | None) -> float | None:
    """``value`` unless it is None/NaN/inf (JSON-safe metrics)."""
    if value is None or not math.isfinite(value):
        return None
    return value
