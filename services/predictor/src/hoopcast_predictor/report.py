"""Accuracy report: a calibration plot, a rolling accuracy plot (PNG, matplotlib Agg) and a text
table, written into one folder.

* ``calibration.png``: reliability diagram (10 equal-width bins of predicted home-win
  probability vs observed home-win rate) per model version and run kind;
* ``rolling_accuracy.png``: straight-up accuracy over the last ``window`` evaluated games, by
  game date, per model version and run kind;
* ``summary.txt``: ``predictions.prediction_evaluations`` rows of period ``all``.
"""

from __future__ import annotations

from pathlib import Path

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt
import pandas as pd
from hoopcast_common.errors import NothingToDoError
from hoopcast_ml.metrics import reliability_table

CALIBRATION_FILE = "calibration.png"
ROLLING_FILE = "rolling_accuracy.png"
SUMMARY_FILE = "summary.txt"


def _label(key: tuple[object, ...]) -> str:
    return f"{key[0]} {key[1]} ({key[2]})"


def _day(value: object) -> str:
    return str(pd.Timestamp(str(value)).date())


def summary_table(evaluations: pd.DataFrame) -> str:
    """Fixed-width text table of the ``period = 'all'`` evaluation rows."""
    overall = evaluations[evaluations["period"] == "all"]
    header = (
        f"{'model':<14} {'version':<8} {'run_kind':<9} {'from':<10} {'to':<10} "
        f"{'games':>6} {'accuracy':>8} {'log-loss':>8} {'Brier':>7} {'MAE':>6}"
    )
    lines = [header, "-" * len(header)]
    for r in overall.to_dict("records"):
        lines.append(
            f"{r['model_name']:<14} {r['model_version']:<8} {r['run_kind']:<9} "
            f"{_day(r['period_start']):<10} {_day(r['period_end']):<10} {int(r['n_games']):>6} "
            f"{r['accuracy']:>8.3f} {r['log_loss']:>8.4f} {r['brier']:>7.4f} "
            f"{r['margin_mae']:>6.2f}"
        )
    return "\n".join(lines) + "\n"


def write_report(
    scored: pd.DataFrame, evaluations: pd.DataFrame, out_dir: Path, window: int = 200
) -> dict[str, Path]:
    """Write the two PNGs and the text table into ``out_dir``.

    Args:
        scored: rows of :func:`hoopcast_predictor.evaluation.scored_predictions`.
        evaluations: rows of ``predictions.prediction_evaluations``.
        out_dir: output folder (created).
        window: games in the rolling accuracy window.

    Returns:
        ``{"calibration": path, "rolling_accuracy": path, "summary": path}``.

    Raises:
        NothingToDoError: no prediction has a final result yet.
    """
    if scored.empty:
        raise NothingToDoError("no prediction has a final result yet: nothing to report")
    out_dir.mkdir(parents=True, exist_ok=True)
    keys = ["model_name", "model_version", "run_kind"]
    groups = list(scored.groupby(keys, sort=True))

    fig, ax = plt.subplots(figsize=(7, 6), dpi=120)
    ax.plot([0, 1], [0, 1], linestyle="--", color="grey", linewidth=1, label="perfect calibration")
    for key, group in groups:
        table = reliability_table(group["home_win"], group["home_win_prob"])
        xs = [float(r["mean_prob"]) for r in table]
        ys = [float(r["win_rate"]) for r in table]
        ax.plot(xs, ys, marker="o", label=f"{_label(key)}, n={len(group)}")
    ax.set_xlim(0, 1)
    ax.set_ylim(0, 1)
    ax.set_xlabel("predicted home-win probability (bin mean)")
    ax.set_ylabel("observed home-win rate")
    ax.set_title("Calibration (reliability diagram, 10 bins)")
    ax.grid(alpha=0.3)
    ax.legend(loc="upper left", fontsize=8)
    fig.tight_layout()
    calibration = out_dir / CALIBRATION_FILE
    fig.savefig(calibration)
    plt.close(fig)

    fig, ax = plt.subplots(figsize=(9, 5), dpi=120)
    for key, group in groups:
        g = group.sort_values(["game_date", "event_id"])
        correct = ((g["home_win_prob"] >= 0.5).astype(int) == g["home_win"]).astype(float)
        size = min(window, len(g))
        rolling = correct.rolling(size, min_periods=size).mean()
        end_of_day = rolling.groupby(pd.to_datetime(g["game_date"]).to_numpy()).last()
        ax.plot(
            end_of_day.index,
            end_of_day.to_numpy(),
            label=f"{_label(key)}: overall {correct.mean():.3f}",
        )
    ax.axhline(0.5, color="grey", linewidth=0.8, linestyle=":")
    ax.set_ylim(0.4, 1.0)
    ax.set_xlabel("game date")
    ax.set_ylabel(f"accuracy over the last {window} games (end of day)")
    ax.set_title("Rolling straight-up accuracy")
    ax.grid(alpha=0.3)
    ax.legend(loc="lower left", fontsize=8)
    fig.autofmt_xdate()
    fig.tight_layout()
    rolling_path = out_dir / ROLLING_FILE
    fig.savefig(rolling_path)
    plt.close(fig)

    summary = out_dir / SUMMARY_FILE
    summary.write_text(summary_table(evaluations), encoding="utf-8")
    return {"calibration": calibration, "rolling_accuracy": rolling_path, "summary": summary}


__all__ = ["summary_table", "write_report"]
