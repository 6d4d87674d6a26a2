"""Stage runs killed mid-way, in real subprocesses: SIGTERM records ``interrupted`` and rolls
the body's transaction back; SIGKILL leaves ``running``, which the next run marks
``abandoned``; a run holds the warehouse lock from start to finish."""

from __future__ import annotations

import json
import signal
import subprocess
import sys
import time
from pathlib import Path

import duckdb
from hoopcast_common.db import connect

# A stage run whose body writes a row inside a transaction, says so on stderr, then sleeps.
SLOW_STAGE = """
import sys, time
from pathlib import Path
from hoopcast_common.db import connect, transaction
from hoopcast_common.runs import run_stage

db = Path(sys.argv[1])

def body(ctx):
    conn = connect(db)
    with transaction(conn):
        conn.execute(
            "INSERT INTO ops.watermarks (collector, watermark) VALUES ('slow', DATE '2026-02-07')"
        )
        print("in body", file=sys.stderr, flush=True)
        time.sleep(60)

code = run_stage(stage="test", command="slow", as_of=None, profile="local", db_path=db, body=body)
sys.exit(code)
"""


def start_slow_stage(db: Path) -> subprocess.Popen[str]:
    """Start :data:`SLOW_STAGE` on ``db``; returns once its body is inside the transaction."""
    proc = subprocess.Popen(
        [sys.executable, "-c", SLOW_STAGE, str(db)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    assert proc.stderr is not None
    for line in proc.stderr:
        if "in body" in line:
            return proc
    raise AssertionError(f"the slow stage never reached its body (exit {proc.wait()})")


def stage_runs(db: Path) -> list[tuple[str, str, int | None, str | None]]:
    conn = duckdb.connect(str(db), read_only=True)
    try:
        return conn.execute(
            "SELECT command, status, exit_code, error FROM ops.stage_runs ORDER BY started_at"
        ).fetchall()
    finally:
        conn.close()


def watermarks(db: Path) -> int:
    conn = duckdb.connect(str(db), read_only=True)
    try:
        row = conn.execute("SELECT count(*) FROM ops.watermarks").fetchone()
    finally:
        conn.close()
    return int(row[0]) if row else -1


def quick_run(db: Path, command: str = "quick") -> dict[str, object]:
    """A real process running an empty stage body; returns its JSON run summary."""
    script = (
        "import sys; from pathlib import Path; from hoopcast_common.runs import run_stage;"
        f" sys.exit(run_stage(stage='test', command='{command}', as_of=None, profile='local',"
        " db_path=Path(sys.argv[1]), body=lambda ctx: None, lock_timeout=float(sys.argv[2])))"
    )
    done = subprocess.run(
        [sys.executable, "-c", script, str(db), "1"], capture_output=True, text=True, timeout=60
    )
    return dict(json.loads(done.stdout.strip().splitlines()[-1]))


def test_sigterm_records_interrupted_and_rolls_back(tmp_path: Path) -> None:
    db = tmp_path / "w.duckdb"
    connect(db).close()
    proc = start_slow_stage(db)
    proc.send_signal(signal.SIGTERM)
    out, _ = proc.communicate(timeout=30)
    assert proc.returncode == 143
    summary = json.loads(out.strip().splitlines()[-1])
    assert summary["status"] == "interrupted" and summary["exit_code"] == 143
    assert stage_runs(db) == [
        ("slow", "interrupted", 143, "interrupted: stopped by signal SIGTERM")
    ]
    assert watermarks(db) == 0  # the body's open transaction was rolled back


def test_sigkill_leaves_running_until_the_next_run_marks_it_abandoned(tmp_path: Path) -> None:
    db = tmp_path / "w.duckdb"
    connect(db).close()
    proc = start_slow_stage(db)
    proc.send_signal(signal.SIGKILL)
    proc.wait(timeout=30)
    assert [(c, s) for c, s, _, _ in stage_runs(db)] == [("slow", "running")]
    summary = quick_run(db)
    assert summary["status"] == "success"
    runs = stage_runs(db)
    assert [(c, s) for c, s, _, _ in runs] == [("slow", "abandoned"), ("quick", "success")]
    assert f"found by run {summary['run_id']}" in str(runs[0][3])
    assert watermarks(db) == 0


def test_a_run_holds_the_lock_for_its_whole_body(tmp_path: Path) -> None:
    db = tmp_path / "w.duckdb"
    connect(db).close()
    proc = start_slow_stage(db)
    try:
        started = time.monotonic()
        busy = quick_run(db, "waits")  # 1 s lock wait
        waited = time.monotonic() - started
    finally:
        proc.kill()
        proc.wait(timeout=30)
    assert busy["exit_code"] == 3 and busy["status"] == "warehouse_busy"
    assert str(db) in str(busy["error"]) and "HOOPCAST_DB_LOCK_TIMEOUT" in str(busy["error"])
    assert waited < 15
