"""Per-stage container overhead: the same stage command in local mode and in its image.

Usage: ``uv run python scripts/images/bench_stage_overhead.py WAREHOUSE.duckdb
[--as-of 2026-02-07] [--tag latest] [--step "features build" ...]``

For each step, two fresh copies of WAREHOUSE (a DuckDB file already holding ingested data,
e.g. made by ``hoopcast-ingestion collect`` on the replay profile) are made; the command runs
once locally (``uv run hoopcast-<stage> ...``, ``HOOPCAST_ENV=replay``) and once as
``docker run --rm -v <copy dir>:/data --env-file compose/stage-replay.env hoopcast/<stage>``.
Prints one line per step (local s, container s, ratio) and a JSON line with all figures.
Wall-clock seconds (time.perf_counter) of the whole process, i.e. including interpreter and
container start-up. Exit 1 when a run fails (its stderr tail is printed).
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
DEFAULT_STEPS = ["features build", "trainer train", "predictor predict --days 7"]


def timed(cmd: list[str], env: dict[str, str]) -> float:
    """Run cmd; returns wall seconds. Raises SystemExit(1) with the stderr tail on failure."""
    t0 = time.perf_counter()
    proc = subprocess.run(cmd, capture_output=True, text=True, env=env, cwd=ROOT, check=False)
    elapsed = time.perf_counter() - t0
    if proc.returncode not in (0, 99):
        print(
            f"failed ({proc.returncode}): {' '.join(cmd)}\n{proc.stderr[-3000:]}", file=sys.stderr
        )
        raise SystemExit(1)
    return elapsed


def main() -> int:
    """Parse arguments, run the steps, print the figures; returns the exit code."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("warehouse", type=Path)
    parser.add_argument("--as-of", default="2026-02-07")
    parser.add_argument("--tag", default=os.environ.get("HOOPCAST_IMAGE_TAG", "latest"))
    parser.add_argument("--step", action="append", help=f"default: {DEFAULT_STEPS}")
    args = parser.parse_args()
    if not args.warehouse.is_file():
        parser.error(f"warehouse {args.warehouse} is not a file")
    results = []
    for step in args.step or DEFAULT_STEPS:
        stage, *command = step.split()
        command += ["--as-of", args.as_of]
        with tempfile.TemporaryDirectory() as local_dir, tempfile.TemporaryDirectory() as box_dir:
            models = args.warehouse.parent / "models"
            for folder in (local_dir, box_dir):
                shutil.copy(args.warehouse, Path(folder) / "hoopcast.duckdb")
                if models.is_dir():
                    shutil.copytree(models, Path(folder) / "models")
            os.chmod(box_dir, 0o777)
            for path in Path(box_dir).rglob("*"):
                os.chmod(path, 0o777 if path.is_dir() else 0o666)
            env = dict(
                os.environ,
                HOOPCAST_ENV="replay",
                UV_PYTHON_DOWNLOADS="never",
                HOOPCAST_DB=f"{local_dir}/hoopcast.duckdb",
                HOOPCAST_MODEL_DIR=f"{local_dir}/models",
            )
            local_s = timed(["uv", "run", "--frozen", f"hoopcast-{stage}", *command], env)
            container_s = timed(
                [
                    "docker",
                    "run",
                    "--rm",
                    "-v",
                    f"{box_dir}:/data",
                    "--env-file",
                    str(ROOT / "compose" / "stage-replay.env"),
                    f"hoopcast/{stage}:{args.tag}",
                    *command,
                ],
                dict(os.environ),
            )
        ratio = container_s / local_s
        results.append(
            {
                "step": step,
                "local_s": round(local_s, 2),
                "container_s": round(container_s, 2),
                "ratio": round(ratio, 2),
            }
        )
        print(f"{step:32s} local {local_s:7.2f} s  container {container_s:7.2f} s  x{ratio:.2f}")
    print(json.dumps({"bench": "stage_container_overhead", "results": results}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
