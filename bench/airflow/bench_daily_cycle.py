"""One daily cycle through Airflow, timed: data_collection → feature_engineering → prediction
on one new game day, with the stage tasks in containers (``--runner docker``) and, on the same
game days, in local subprocesses (``--runner local``).

For each runner it runs ``hoopcast-simulate --from D-1 --to D`` on a fresh warehouse: game day
D-1 is the start-up ``hoopcast_pipeline`` (history, first model, forecasts), game day D the
daily cycle being measured (the replay clock moved to D's collection time). It prints, per
runner, the wall time of the daily cycle (from the first DAG run's start to the last's end,
i.e. trigger to forecasts stored), the time inside the stage commands (``ops.stage_runs``,
finished − started, for the runs of game day D) and the difference: the Airflow and, for
Docker, container start-up overhead.

Needs the images (``make images``) for the Docker runner. The history is the shipped results
file from ``HOOPCAST_INGEST_START`` (default here 2025-11-01: one season, to keep the start-up
run short; pass ``--start 2010-11-01`` for the full history of ``make simulate``).

Usage: ``uv run python bench/airflow/bench_daily_cycle.py [--day 2026-01-13] [--start D]
[--runners docker,local]``
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

import duckdb

ROOT = Path(__file__).resolve().parents[2]


def cycle(runner: str, day: dt.date, start: str, folder: Path) -> dict[str, object]:
    """Simulate game days ``day - 1`` and ``day`` with ``runner`` in ``folder``; the figures
    of the daily cycle on ``day``."""
    db = folder / "hoopcast.duckdb"
    env = {k: v for k, v in os.environ.items() if not k.startswith(("AIRFLOW", "HOOPCAST_"))}
    env |= {"HOOPCAST_DB": str(db), "HOOPCAST_INGEST_START": start}
    command = [str(Path(sys.executable).parent / "hoopcast-simulate"), "--runner", runner]
    command += ["--from", (day - dt.timedelta(days=1)).isoformat(), "--to", day.isoformat()]
    command += ["--dags-folder", str(ROOT / "airflow" / "dags"), "--port", "18765"]
    proc = subprocess.run(command, cwd=folder, env=env, capture_output=True, text=True, check=False)
    if proc.returncode != 0:
        raise SystemExit(
            f"{runner}: hoopcast-simulate exited {proc.returncode}\n{proc.stderr[-3000:]}"
        )
    summary = json.loads(proc.stdout.strip().splitlines()[-1])
    daily = summary["days"][-1]
    conn = duckdb.connect(str(db), read_only=True)
    try:
        stage_s, runs = conn.execute(
            "SELECT sum(epoch(finished_at) - epoch(started_at)), count(*) FROM ops.stage_runs"
            " WHERE as_of = ? AND finished_at IS NOT NULL",
            [day],
        ).fetchone() or (0.0, 0)
    finally:
        conn.close()
    return {
        "runner": runner,
        "day": daily["day"],
        "dag_runs": daily["states"],
        "cycle_s": daily["seconds"],
        "stage_commands": runs,
        "in_stage_commands_s": round(float(stage_s or 0.0), 1),
        "overhead_s": round(daily["seconds"] - float(stage_s or 0.0), 1),
    }


def main() -> None:
    """Print one line per runner and a JSON line with every figure."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--day", default="2026-01-13", help="the game day of the daily cycle")
    parser.add_argument("--start", default="2025-11-01", help="HOOPCAST_INGEST_START")
    parser.add_argument("--runners", default="docker,local")
    args = parser.parse_args()
    day = dt.date.fromisoformat(args.day)
    rows = []
    for runner in args.runners.split(","):
        with tempfile.TemporaryDirectory(prefix=f"bench-cycle-{runner}-") as tmp:
            row = cycle(runner, day, args.start, Path(tmp))
        rows.append(row)
        print(
            f"{runner:>6}: daily cycle of {row['day']} {row['cycle_s']:.1f} s "
            f"(stage commands {row['in_stage_commands_s']:.1f} s in {row['stage_commands']} runs, "
            f"Airflow/container overhead {row['overhead_s']:.1f} s)",
            flush=True,
        )
    print(json.dumps({"bench": "daily_cycle", "history_from": args.start, "rows": rows}))


if __name__ == "__main__":
    main()
