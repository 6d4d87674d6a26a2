"""Bench of the read-only snapshot every successful stage run publishes after its commit.

Usage (from the project root, after ``make pipeline`` built the 16-season warehouse)::

    uv run python bench/common/bench_snapshot.py [--db var/hoopcast.duckdb] [--repeat 3]

Works on a copy of the warehouse (the original is not touched). Prints figures, asserts
nothing:

* ``warehouse_mb`` / ``snapshot_mb``: file sizes;
* ``tables``: tables copied; ``core_games`` / ``game_features`` / ``predictions``: rows in
  the snapshot;
* ``publish_s``: wall seconds of :func:`hoopcast_common.snapshot.publish_snapshot` on the
  writer's open connection, each repeat (the cost a stage run adds after its commit);
* ``stage_run_s``: wall seconds of a whole no-op stage run through
  :func:`hoopcast_common.runs.run_stage` (lock, ``ops.stage_runs`` rows, snapshot), and
  ``stage_run_without_snapshot_s`` for the same run when it has nothing to publish (a
  failed run does not publish): the difference is the snapshot's share;
* ``open_and_count_s``: a reader opening the snapshot and counting ``core.games``.
"""

from __future__ import annotations

import argparse
import contextlib
import io
import json
import shutil
import tempfile
import time
from pathlib import Path

from hoopcast_common.db import connect
from hoopcast_common.errors import NothingToDoError
from hoopcast_common.runs import RunContext, run_stage
from hoopcast_common.snapshot import open_snapshot, publish_snapshot, snapshot_path


def _mb(path: Path) -> float:
    return round(path.stat().st_size / 1e6, 1)


def _stage_run(db: Path, body_raises: bool) -> float:
    """Seconds of one quiet run_stage on ``db`` (stdout summary swallowed)."""

    def body(_ctx: RunContext) -> None:
        if body_raises:
            raise NothingToDoError("bench: nothing to publish")

    started = time.perf_counter()
    with contextlib.redirect_stdout(io.StringIO()):
        run_stage(stage="bench", command="noop", as_of=None, profile="local", db_path=db, body=body)
    return round(time.perf_counter() - started, 3)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", type=Path, default=Path("var/hoopcast.duckdb"))
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="hoopcast-bench-snapshot-") as tmp:
        db = Path(tmp) / "hoopcast.duckdb"
        shutil.copyfile(args.db, db)
        conn = connect(db)
        publish_s = []
        try:
            for _ in range(args.repeat):
                started = time.perf_counter()
                publish_snapshot(conn, db)
                publish_s.append(round(time.perf_counter() - started, 3))
        finally:
            conn.close()
        started = time.perf_counter()
        reader = open_snapshot(db)
        try:
            games = reader.execute("SELECT count(*) FROM core.games").fetchone()
            open_and_count_s = round(time.perf_counter() - started, 3)
            tables = reader.execute(
                "SELECT count(*) FROM duckdb_tables() WHERE database_name = current_database()"
            ).fetchone()
            features = reader.execute("SELECT count(*) FROM features.game_features").fetchone()
            predictions = reader.execute("SELECT count(*) FROM predictions.predictions").fetchone()
        finally:
            reader.close()
        figures = {
            "warehouse": str(args.db),
            "warehouse_mb": _mb(db),
            "snapshot_mb": _mb(snapshot_path(db)),
            "tables": tables[0] if tables else None,
            "core_games": games[0] if games else None,
            "game_features": features[0] if features else None,
            "predictions": predictions[0] if predictions else None,
            "publish_s": publish_s,
            "stage_run_s": [_stage_run(db, False) for _ in range(args.repeat)],
            "stage_run_without_snapshot_s": [_stage_run(db, True) for _ in range(args.repeat)],
            "open_and_count_s": open_and_count_s,
        }
    print(json.dumps(figures, indent=2))


if __name__ == "__main__":
    main()
