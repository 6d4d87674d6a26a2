"""Speed of daily predictions: predicting one day of scheduled games (target <= 2 s).

Works on a private copy of the 16-season bench warehouse (``--db``, default
``var/bench/trainer/warehouse16.duckdb``, made by ``bench/trainer/quality.py``) and its model
folder (``--models``, default ``models`` beside it). When the copy has no production model one
is trained first with the trainer's settings (not timed). Then, ``--repeat`` times, it times
what ``hoopcast-predictor predict --days 1`` does: open the warehouse, load the active models
(verifying their artefacts), read the day's feature rows, predict and store idempotently.

Usage: ``uv run python bench/predictor/bench_predict.py [--db PATH] [--as-of 2026-02-06]``
"""

from __future__ import annotations

import argparse
import datetime as dt
import shutil
import statistics
import tempfile
import time
from pathlib import Path

from hoopcast_common.db import connect, transaction
from hoopcast_common.settings import load_settings
from hoopcast_ml import registry
from hoopcast_ml.feature_table import feature_columns, load_events
from hoopcast_predictor import predict
from hoopcast_trainer import pipeline
from hoopcast_trainer.config import TrainerConfig

ROOT = Path(__file__).resolve().parents[2]


def main() -> None:
    """Time predicting one day; print the figures."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", type=Path, default=ROOT / "var/bench/trainer/warehouse16.duckdb")
    parser.add_argument("--models", type=Path, default=None)
    parser.add_argument("--as-of", default="2026-02-06")
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    source_models: Path = args.models or args.db.parent / "models"
    as_of = dt.date.fromisoformat(args.as_of)
    work = Path(tempfile.mkdtemp(prefix="hoopcast-bench-predict-"))
    try:
        db = Path(shutil.copyfile(args.db, work / "hoopcast.duckdb"))
        models = work / "models"
        if source_models.is_dir():
            shutil.copytree(source_models, models)
        conn = connect(db)
        has_production = bool(registry.active_models(conn))
        conn.close()
        if not has_production:
            cfg = TrainerConfig.from_settings(load_settings("trainer"))
            run = pipeline.step_dataset(db, models, cfg, as_of=as_of)
            pipeline.step_fit(db, models, cfg, run.run_id)
            pipeline.step_evaluate(db, models, cfg, run.run_id)
            version = pipeline.step_register(db, models, cfg, run.run_id).model_version
            conn = connect(db)
            with transaction(conn):
                registry.promote(conn, cfg.model_name, str(version), "bench setup")
            conn.close()
        seconds: list[float] = []
        games = rows = 0
        kind = "scheduled games"
        for _ in range(args.repeat):
            t = time.perf_counter()
            conn = connect(db)
            try:
                serving = predict.load_active_models(conn, models)
                frame = predict.upcoming_games(conn, as_of, 1)
                if frame.empty:  # a warehouse without scheduled games: that day's finals
                    day = as_of + dt.timedelta(days=1)
                    frame = load_events(
                        conn, feature_columns(conn), start=day, end=day, scheduled_only=False
                    )
                    kind = "final games of the day"
                out = predict.predict_frame(
                    serving,
                    frame,
                    as_of=as_of,
                    run_kind="daily",
                    predicted_at=dt.datetime.now(dt.UTC),
                )
                predict.store_predictions(conn, out)
            finally:
                conn.close()
            seconds.append(time.perf_counter() - t)
            games, rows = len(frame), len(out)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    print(
        f"predict one day ({as_of + dt.timedelta(days=1)}): {games} {kind}, {rows} rows, "
        f"{len(serving)} model(s); seconds per run: median {statistics.median(seconds):.3f}, "
        f"max {max(seconds):.3f} over {len(seconds)} runs (target <= 2 s)"
    )


if __name__ == "__main__":
    main()
