"""Bench the features stage: full build of all 16 seasons, then an incremental build of one day.

Targets on the 2-core project machine: full ≤ 20 s, incremental day ≤ 2 s.

Steps (each build runs the real CLI ``hoopcast-features`` as a subprocess, like Airflow does):

1. the 16-season core warehouse ``var/bench/core16.duckdb`` is made once by
   ``bench/features/make_core_db.py`` (real results + box scores loaded into the core tables)
   and reused afterwards;
2. a copy gets the last day's games (2026-02-14) turned back into scheduled games without
   scores or box scores;
3. ``build --full-refresh`` on it (timed);
4. the day's real finals and box scores are put back and ``build`` runs again (timed): the
   incremental path (Elo resumed from stored state, only the current season recomputed);
5. a copy of the result is rebuilt with ``--full-refresh`` and compared table by table: the
   incremental build must equal it (rows differing per table, 0 = identical).

Prints wall seconds of each CLI process and the in-process ``duration_s`` of its run summary.
The built warehouse stays at ``var/bench/features16.duckdb`` (read by probe_model.py).
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import duckdb
from hoopcast_common.runs import last_json_line

ROOT = Path(__file__).resolve().parents[2]
CORE = ROOT / "var/bench/core16.duckdb"
WORK = ROOT / "var/bench/features16.duckdb"
DAY = "2026-02-14"


def _cli(*args: str, expect: int = 0) -> tuple[float, dict[str, object]]:
    env = {**os.environ, "HOOPCAST_DB": str(WORK), "HOOPCAST_ENV": "local"}
    exe = Path(sys.executable).with_name("hoopcast-features")
    t0 = time.perf_counter()
    proc = subprocess.run([str(exe), *args], env=env, capture_output=True, text=True, cwd=ROOT)
    wall = time.perf_counter() - t0
    summary = last_json_line(proc.stdout)
    if proc.returncode != expect:
        raise SystemExit(
            f"hoopcast-features {' '.join(args)} exited {proc.returncode}:\n{proc.stderr[-2000:]}"
        )
    return wall, summary


def _compare_with_full_refresh() -> dict[str, int]:
    """Rebuild a copy of the incrementally built warehouse with ``--full-refresh`` and count the
    rows of each feature table that are not in both (EXCEPT ALL both ways; 0 = identical)."""
    full = WORK.with_name("features16_full.duckdb")
    shutil.copyfile(WORK, full)
    env = {**os.environ, "HOOPCAST_DB": str(full), "HOOPCAST_ENV": "local"}
    exe = Path(sys.executable).with_name("hoopcast-features")
    subprocess.run(
        [str(exe), "build", "--full-refresh", "--as-of", DAY], env=env, check=True,
        capture_output=True, cwd=ROOT,
    )  # fmt: skip
    conn = duckdb.connect(str(WORK), read_only=True)
    conn.execute(f"ATTACH '{full}' AS full_db (READ_ONLY)")
    differing: dict[str, int] = {}
    for table in ("team_game_features", "player_game_features", "game_features", "elo_game"):
        row = conn.execute(
            f"""SELECT (SELECT count(*) FROM (SELECT * FROM features.{table}
                                             EXCEPT ALL SELECT * FROM full_db.features.{table}))
                     + (SELECT count(*) FROM (SELECT * FROM full_db.features.{table}
                                             EXCEPT ALL SELECT * FROM features.{table}))"""
        ).fetchone()
        differing[table] = int(row[0]) if row else -1
    conn.close()
    full.unlink()
    return differing


def main() -> None:
    """Run the bench and print its figures."""
    if not CORE.exists():
        subprocess.run(
            [sys.executable, str(ROOT / "bench/features/make_core_db.py"), str(CORE)], check=True
        )
    shutil.copyfile(CORE, WORK)
    conn = duckdb.connect(str(WORK))
    conn.execute(f"""
        CREATE TABLE main.day_games AS SELECT * FROM core.games WHERE game_date = DATE '{DAY}';
        CREATE TABLE main.day_box AS SELECT * FROM core.team_game_stats
            WHERE event_id IN (SELECT event_id FROM main.day_games);
        DELETE FROM core.team_game_stats WHERE event_id IN (SELECT event_id FROM main.day_games);
        UPDATE core.games SET status = 'STATUS_SCHEDULED', status_state = 'pre',
            completed = false, home_score = NULL, away_score = NULL
        WHERE game_date = DATE '{DAY}';
    """)
    n_day = conn.execute("SELECT count(*) FROM main.day_games").fetchone()
    n_games = conn.execute("SELECT count(*) FROM core.games").fetchone()
    conn.close()

    wall_full, full = _cli("build", "--full-refresh", "--as-of", DAY)

    conn = duckdb.connect(str(WORK))
    conn.execute("""
        UPDATE core.games g SET status = d.status, status_state = d.status_state,
            completed = d.completed, home_score = d.home_score, away_score = d.away_score
        FROM main.day_games d WHERE d.event_id = g.event_id;
        INSERT INTO core.team_game_stats SELECT * FROM main.day_box;
    """)
    conn.close()
    wall_inc, inc = _cli("build", "--as-of", DAY)
    wall_none, none = _cli("build", "--as-of", DAY, expect=99)
    differing = _compare_with_full_refresh()

    print(
        f"games in warehouse: {n_games[0] if n_games else 0}; new day {DAY}: "
        f"{n_day[0] if n_day else 0} games"
    )
    print(
        f"full build (16 seasons): {wall_full:6.2f} s wall, {full['duration_s']} s in-process "
        "(target <= 20 s)"
    )
    print(
        f"incremental one day:     {wall_inc:6.2f} s wall, {inc['duration_s']} s in-process "
        "(target <= 2 s)"
    )
    print(f"nothing new (exit 99):   {wall_none:6.2f} s wall, {none['duration_s']} s in-process")
    print(f"incremental vs full refresh of the same data, rows differing per table: {differing}")
    print(f"phases full: {full.get('phase_s')}")
    print(f"phases incremental: {inc.get('phase_s')}")
    print(f"cpu count {os.cpu_count()}, load average {os.getloadavg()}")


if __name__ == "__main__":
    main()
