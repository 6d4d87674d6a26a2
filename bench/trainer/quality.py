"""Model quality and training speed on 15 seasons: the trainer's targets, measured.

Trains the real trainer steps (dataset → fit → evaluate → register, settings from
``env/<profile>/trainer.env``) on every season before the validation season, validates on that
season (D1-vs-D1 final games; default 2024-25, ``--validate-season 2025``), and prints, on the
same validation games: the model, the Elo-only baseline
(``elo_home_prob``), the home-court constant, and the betting line of the results file
(``data/results`` README, column ``aspread`` = the away team's spread, i.e. the line's
predicted home margin) on the games that have a line. Targets: accuracy >= 72.5 %, margin
MAE <= 9.2, log-loss <= 0.56, better than Elo on every metric; training <= 60 s.

Model selection: every modelling choice (features, their constants, hyperparameters) is chosen
on the earlier validation seasons, ``--validate-season 2023 2024`` (train ..2021-22 validate
2022-23, train ..2022-23 validate 2023-24); 2024-25 is the test season, reported, not tuned on.
Several seasons in one call print one table each and a summary line per season.

The warehouse: ``--db`` (default ``var/bench/trainer/warehouse16.duckdb``); when it is missing
it is made from the shipped data with ``bench/features/make_core_db.py`` (core tables, the way
ingestion shapes them) and the real ``hoopcast-features build``.

Usage: ``uv run python bench/trainer/quality.py [--db PATH] [--validate-season YEAR ...]``
(YEAR = the season's ending year, ESPN's ``season``: 2025 = 2024-25).
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd
from hoopcast_common.db import connect
from hoopcast_common.settings import load_settings
from hoopcast_ml import model as model_io
from hoopcast_ml.metrics import score
from hoopcast_trainer import pipeline
from hoopcast_trainer.config import TrainerConfig

ROOT = Path(__file__).resolve().parents[2]
RESULTS = ROOT / "data/results/grdavis_cbb_games_20101101_20260214.csv"
CROSSWALK = ROOT / "data/results/grdavis_name_to_espn_team_id.csv"
AS_OF = "2026-02-07"


def ensure_warehouse(db: Path) -> None:
    """Make the 16-season warehouse with features when ``db`` does not exist."""
    if db.exists():
        return
    db.parent.mkdir(parents=True, exist_ok=True)
    bin_dir = Path(sys.executable).parent
    env = {**os.environ, "HOOPCAST_DB": str(db), "HOOPCAST_ENV": "local"}
    subprocess.run(
        [sys.executable, str(ROOT / "bench/features/make_core_db.py"), str(db), "--until", AS_OF],
        check=True,
        cwd=ROOT,
        env=env,
    )
    subprocess.run(
        [str(bin_dir / "hoopcast-features"), "build", "--as-of", AS_OF],
        check=True,
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
    )


def betting_lines() -> pd.DataFrame:
    """The results file's lines keyed by (game_date, home_team_id, away_team_id).

    ``line_margin`` = ``aspread`` (points the away team is expected to lose by), NaN for NL.
    """
    raw = pd.read_csv(
        RESULTS,
        header=None,
        names=["neutral", "away", "ascore", "home", "hscore", "date", "aspread"],
        dtype=str,
    )
    ids = pd.read_csv(CROSSWALK, dtype=str).set_index("grdavis_name")["espn_team_id"]
    lines = pd.DataFrame(
        {
            "game_date": pd.to_datetime(raw["date"], format="%Y%m%d").dt.date,
            "home_team_id": raw["home"].map(ids),
            "away_team_id": raw["away"].map(ids),
            "line_margin": pd.to_numeric(raw["aspread"].str.strip(), errors="coerce"),
        }
    ).dropna(subset=["home_team_id", "away_team_id"])
    return lines.drop_duplicates(["game_date", "home_team_id", "away_team_id"], keep=False)


def row(name: str, m: dict[str, object]) -> str:
    """One printed table row."""
    auc = m.get("auc")
    return (
        f"{name:<22} {m['n_games']:>6} {float(m['accuracy']):>8.3%} "  # type: ignore[arg-type]
        f"{float(m['log_loss']):>9.4f} {float(m['brier']):>7.4f} "  # type: ignore[arg-type]
        f"{float(auc) if auc is not None else float('nan'):>6.3f} "  # type: ignore[arg-type]
        f"{float(m['margin_mae']):>7.2f} {float(m['ece']):>6.4f}"  # type: ignore[arg-type]
    )


HEADER = (
    f"{'predictor':<22} {'games':>6} {'accuracy':>8} {'log-loss':>9} {'Brier':>7} "
    f"{'AUC':>6} {'MAE':>7} {'ECE':>6}"
)


def train_and_validate(
    db: Path, cfg: TrainerConfig, season: int
) -> tuple[model_io.GameModel, pd.DataFrame, int, int, dict[str, float]]:
    """Run the trainer steps on a private copy of ``db``: train ..June 30 of ``season - 1``.

    Returns the fitted model, the validation frame (season ``season``), the numbers of
    training games and features, and the step timings (s).
    """
    work = Path(tempfile.mkdtemp(prefix="hoopcast-quality-"))
    models = work / "models"
    try:
        # a private copy, so the registry and gate start empty and the bench writes nothing else
        copy = Path(shutil.copyfile(db, work / "hoopcast.duckdb"))
        conn = connect(copy)
        for table in ("ml.model_registry", "ml.stage_changes", "ml.training_runs"):
            conn.execute(f"DELETE FROM {table}")
        conn.close()
        timings: dict[str, float] = {}
        t = time.perf_counter()
        run = pipeline.step_dataset(
            copy,
            models,
            cfg,
            as_of=dt.date.fromisoformat(AS_OF),
            train_until=dt.date(season - 1, 6, 30),
            validate_from=dt.date(season - 1, 7, 1),
            validate_to=dt.date(season, 6, 30),
        )
        timings["dataset"] = time.perf_counter() - t
        for name, step in (
            ("fit", pipeline.step_fit),
            ("evaluate", pipeline.step_evaluate),
            ("register", pipeline.step_register),
        ):
            t = time.perf_counter()
            step(copy, models, cfg, run.run_id)
            timings[name] = time.perf_counter() - t
        fitted = model_io.load(models / run.work_dir / pipeline.MODEL_SUBDIR)
        validate = pd.read_parquet(models / run.work_dir / pipeline.VALIDATE_FILE)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return fitted, validate, run.n_train, len(run.feature_list), timings


def report_season(db: Path, cfg: TrainerConfig, season: int) -> str:
    """Train, validate on ``season`` and print its tables; returns the one-line summary."""
    fitted, validate, n_train, n_features, timings = train_and_validate(db, cfg, season)
    prob, margin = fitted.predict(validate)
    validate = validate.assign(prob=prob, margin=margin)
    validate["game_date"] = pd.to_datetime(validate["game_date"]).dt.date
    validate = validate.merge(
        betting_lines(), on=["game_date", "home_team_id", "away_team_id"], how="left"
    )
    baselines = pipeline.baseline_predictions(validate, fitted.metadata)
    label = f"{season - 1}-{season % 100:02d}"
    summary: list[str] = []

    def table(frame: pd.DataFrame, title: str, with_line: bool) -> None:
        y = frame["home_win"].astype(float).to_numpy()
        actual = frame["home_margin"].astype(float).to_numpy()
        keep = frame.index.to_numpy()
        print(f"\n{title}\n{HEADER}\n{'-' * len(HEADER)}")
        model_m = score(y, frame["prob"], actual, frame["margin"])
        print(row("LightGBM model", model_m))
        for name, (p, m) in baselines.items():
            base_m = score(y, p[keep], actual, m[keep])
            print(row(f"baseline: {name}", base_m))
            if name == "elo" and not with_line:
                summary.append(
                    f"{label}: model acc {model_m['accuracy']:.3%} ll {model_m['log_loss']:.4f} "
                    f"Brier {model_m['brier']:.4f} AUC {model_m['auc']:.4f} "
                    f"MAE {model_m['margin_mae']:.3f} ECE {model_m['ece']:.4f} | "
                    f"elo acc {base_m['accuracy']:.3%} ll {base_m['log_loss']:.4f} "
                    f"Brier {base_m['brier']:.4f} AUC {base_m['auc']:.4f} "
                    f"MAE {base_m['margin_mae']:.3f} ECE {base_m['ece']:.4f}"
                )
        if with_line:
            line = frame["line_margin"].astype(float).to_numpy()
            pick = np.where(line > 0, 1.0, np.where(line < 0, 0.0, 0.5))
            acc = float(((pick >= 0.5) == (y == 1)).mean())
            mae = float(np.abs(actual - line).mean())
            print(
                f"{'betting line (aspread)':<22} {len(frame):>6} {acc:>8.3%} {'':>9} {'':>7} "
                f"{'':>6} {mae:>7.2f}"
            )
            summary.append(f"  line ({len(frame)} games) acc {acc:.3%} MAE {mae:.3f}")

    rounds = fitted.metadata.get("boosting", {})
    print(
        f"\nmodel {cfg.model_name}: {n_train} training games (..{season - 1}-06-30), "
        f"{len(validate)} validation games ({label}), {n_features} features, rounds "
        f"classifier {rounds.get('classifier_rounds')} / regressor "
        f"{rounds.get('regressor_rounds')} (max {cfg.num_boost_round})"
    )
    table(validate, f"validation {label}, all D1-vs-D1 games", with_line=False)
    with_line = validate[validate["line_margin"].notna()].reset_index(drop=True)
    keep_index = validate.index[validate["line_margin"].notna()].to_numpy()
    baselines = {k: (p[keep_index], m[keep_index]) for k, (p, m) in baselines.items()}
    table(with_line, f"validation {label}, games with a betting line", with_line=True)
    print(
        "\ntimings (s): "
        + ", ".join(f"{k} {v:.1f}" for k, v in timings.items())
        + f", total {sum(timings.values()):.1f} (target <= 60 s for training on 15 seasons)"
    )
    return "\n".join(summary)


def main() -> None:
    """Train, evaluate and print the quality tables and step timings per validation season."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", type=Path, default=ROOT / "var/bench/trainer/warehouse16.duckdb")
    parser.add_argument(
        "--validate-season",
        type=int,
        nargs="+",
        default=[2025],
        metavar="YEAR",
        help="validation season(s) by ending year (2025 = 2024-25); train on all before",
    )
    args = parser.parse_args()
    db: Path = args.db.resolve()
    ensure_warehouse(db)
    cfg = TrainerConfig.from_settings(load_settings("trainer"))
    summaries = [report_season(db, cfg, season) for season in args.validate_season]
    print("\nsummary (all D1-vs-D1 games of each validation season)")
    print("\n".join(summaries))


if __name__ == "__main__":
    main()
