"""Benchmark of the ingestion stage against a local replay server; prints figures.

Runs, each as the real CLIs in subprocesses:

1. ``hoopcast-espn-replay --now 2025-04-08`` (no faults), then
   ``hoopcast-ingestion collect --from 2024-11-04 --to 2025-04-08 --as-of 2025-04-08``:
   wall time, requests, requests/s, peak RSS of the ingestion process, games stored;
2. the incremental re-run ``hoopcast-ingestion collect --as-of 2025-04-08``: requests made
   (target: at most 5 % of the first run's);
3. the D1 games of the results file (data/results, both teams in the name → ESPN id
   crosswalk) in that window against the final games stored;
4. the same collection from a replay server injecting faults into 20 % of requests: games and
   box scores lost compared with run 1 (target: 0).

Usage: ``uv run python bench/ingestion/bench_ingestion.py [--faults 0.2] [--keep DIR]``.
Targets: full season ≤ 60 s on the project's 2-core machine; re-run ≤ 5 % of requests.
"""

from __future__ import annotations

import argparse
import csv
import datetime as dt
import json
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import duckdb
from hoopcast_espn_replay.server import replay_process

ROOT = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent
FIRST, LAST = dt.date(2024, 11, 4), dt.date(2025, 4, 8)


@contextmanager
def replay(now: dt.date, faults: float = 0.0, seed: int = 7) -> Iterator[str]:
    """A replay server subprocess (5 s delay faults); yields its base URL once healthy."""
    args = ("--faults", str(faults), "--seed", str(seed), "--fault-delay", "5")
    env = {**os.environ, "HOOPCAST_LOG_LEVEL": "WARNING"}
    with replay_process(now, *args, env=env) as server:
        yield server.base_url


def ingest(db: Path, url: str, *args: str) -> tuple[dict[str, Any], float, int]:
    """Run ``hoopcast-ingestion *args``; returns (JSON summary, wall s, peak RSS of it in MiB).

    The summary gets ``cpu_s``: user + system CPU seconds of the ingestion process.
    """
    env = {
        **os.environ,
        "HOOPCAST_ENV": "replay",
        "HOOPCAST_DB": str(db),
        "ESPN_BASE_URL": url,
        "HOOPCAST_LOG_LEVEL": "WARNING",
    }
    t0 = time.perf_counter()
    # stdout (the summary) and stderr (logs) go to files: a full pipe would block the child.
    with tempfile.TemporaryFile("w+") as out_f, tempfile.TemporaryFile("w+") as err_f:
        proc = subprocess.Popen(
            [str(BIN / "hoopcast-ingestion"), *args], cwd=ROOT, env=env, stdout=out_f, stderr=err_f
        )
        _pid, status, usage = os.wait4(proc.pid, 0)
        wall = time.perf_counter() - t0
        out_f.seek(0)
        err_f.seek(0)
        out, err = out_f.read(), err_f.read()
    code = os.waitstatus_to_exitcode(status)
    lines = [line for line in out.strip().splitlines() if line.startswith("{")]
    if code != 0 or not lines:
        raise RuntimeError(f"hoopcast-ingestion {' '.join(args)} exited {code}: {err[-3000:]}")
    summary: dict[str, Any] = json.loads(lines[-1])
    summary["cpu_s"] = round(usage.ru_utime + usage.ru_stime, 1)
    return summary, wall, int(usage.ru_maxrss / 1024)


def results_d1_games() -> set[tuple[dt.date, frozenset[str]]]:
    """(date, {team ids}) of results-file games in the window with both teams mapped."""
    data = ROOT / "data" / "results"
    with (data / "grdavis_name_to_espn_team_id.csv").open() as fh:
        ids = {row["grdavis_name"]: row["espn_team_id"] for row in csv.DictReader(fh)}
    games = set()
    with (data / "grdavis_cbb_games_20101101_20260214.csv").open() as fh:
        for row in csv.reader(fh):
            _neutral, away, ascore, home, hscore, date = row[:6]
            day = dt.datetime.strptime(date, "%Y%m%d").date()
            if not FIRST <= day <= LAST or ascore == hscore:
                continue  # outside the window, or the file's known 2-2 "tie" data error
            if away in ids and home in ids:
                games.add((day, frozenset((ids[away], ids[home]))))
    return games


def stored_games(db: Path) -> dict[str, Any]:
    """Final games and box scores in the warehouse."""
    conn = duckdb.connect(str(db), read_only=True)
    try:
        finals = conn.execute(
            "SELECT event_id, game_date, home_team_id, away_team_id FROM core.games"
            " WHERE completed AND game_date BETWEEN ? AND ?",
            [FIRST, LAST],
        ).fetchall()
        box = {
            r[0]
            for r in conn.execute("SELECT DISTINCT event_id FROM core.team_game_stats").fetchall()
        }
        raw = conn.execute("SELECT count(*) FROM raw.responses").fetchone()
    finally:
        conn.close()
    return {
        "events": {r[0] for r in finals},
        "pairs": {(r[1], frozenset((r[2], r[3]))) for r in finals},
        "box": box,
        "raw_rows": raw[0] if raw else 0,
    }


def main() -> None:
    """Run the benchmark and print the figures."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--faults", type=float, default=0.2)
    parser.add_argument("--keep", type=Path, default=None, help="keep the warehouses here")
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="bench-ingestion-"))
    season = ["--from", FIRST.isoformat(), "--to", LAST.isoformat(), "--as-of", LAST.isoformat()]
    try:
        db = work / "season.duckdb"
        with replay(LAST) as url:
            summary, wall, rss = ingest(db, url, "collect", *season)
            counts = summary["counts"]
            in_run = summary["duration_s"]
            print(f"full season {FIRST}..{LAST}: wall {wall:.1f} s (in-run {in_run:.1f} s)")
            print(f"  requests {counts['requests']}  retries {counts['retries']}"
                  f"  requests/s {counts['requests'] / summary['duration_s']:.1f}"
                  f"  peak RSS {rss} MiB  CPU {summary['cpu_s']} s")  # fmt: skip
            print(f"  games_stored {counts['games_stored']}  team_stats_stored"
                  f" {counts.get('team_stats_stored', 0)}  parse_errors {counts['parse_errors']}"
                  f"  seconds by collector {summary.get('seconds')}")  # fmt: skip
            again, wall2, _ = ingest(db, url, "collect", "--as-of", LAST.isoformat())
            share = 100 * again["counts"]["requests"] / counts["requests"]
            print(f"incremental re-run: requests {again['counts']['requests']} ({share:.2f} % of"
                  f" the first run; target <= 5 %), wall {wall2:.1f} s,"
                  f" dates {again.get('scoreboard_dates')}")  # fmt: skip
        clean = stored_games(db)
        expected = results_d1_games()
        missing = sorted(expected - clean["pairs"], key=lambda g: g[0])
        examples = [(d.isoformat(), sorted(t)) for d, t in missing[:5]]
        print(f"results file D1 games in window: {len(expected)}; stored as final:"
              f" {len(expected) - len(missing)}; missing {len(missing)}"
              f"{' e.g. ' + str(examples) if missing else ''}")  # fmt: skip
        print(f"  final games stored in window (incl. non-D1 opponents): {len(clean['events'])}")

        faulty = work / "faults.duckdb"
        with replay(LAST, faults=args.faults) as url:
            fsummary, fwall, _ = ingest(faulty, url, "collect", *season)
        fc = fsummary["counts"]
        got = stored_games(faulty)
        lost_games = clean["events"] - got["events"]
        lost_box = clean["box"] - got["box"]
        print(f"with {args.faults:.0%} injected faults: wall {fwall:.1f} s, requests"
              f" {fc['requests']}, retries {fc['retries']}, throttled {fc.get('throttled', 0)},"
              f" refetched {fc.get('refetched', 0)}, parse_errors {fc['parse_errors']},"
              f" lowest rate {fsummary.get('lowest_rate_per_s')}/s")  # fmt: skip
        print(f"  games lost {len(lost_games)}  box scores lost {len(lost_box)} (target 0)")
        if args.keep:
            args.keep.mkdir(parents=True, exist_ok=True)
            for f in (db, faulty):
                shutil.copyfile(f, args.keep / f.name)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    peak_self = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss // 1024
    print(f"(bench driver peak RSS {peak_self} MiB)")


if __name__ == "__main__":
    main()
