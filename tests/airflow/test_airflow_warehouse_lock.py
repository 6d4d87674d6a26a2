"""A busy warehouse is retryable: while another process holds DuckDB's write lock a stage
exits 3 after ``HOOPCAST_DB_LOCK_TIMEOUT`` seconds, and Airflow's retry succeeds once the
lock is released."""

from __future__ import annotations

import copy
import datetime as dt
import json
import os
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import duckdb
import pytest
from conftest import ROOT
from hoopcast_common.db import connect

# Holds the write lock on argv[1] until its stdin is closed.
HOLDER = (
    "import sys, duckdb; c = duckdb.connect(sys.argv[1]); print('locked', flush=True);"
    " sys.stdin.read()"
)


@pytest.fixture
def warehouse(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """An empty migrated warehouse as HOOPCAST_DB, local profile, 1 s lock wait."""
    db = tmp_path / "hoopcast.duckdb"
    connect(db).close()
    monkeypatch.setenv("HOOPCAST_ENV", "local")
    monkeypatch.setenv("HOOPCAST_RUNNER", "local")
    monkeypatch.setenv("HOOPCAST_DB", str(db))
    monkeypatch.setenv("HOOPCAST_DB_LOCK_TIMEOUT", "1")
    monkeypatch.setenv("HOOPCAST_ALERT_WEBHOOK_URL", "")
    monkeypatch.delenv("HOOPCAST_AS_OF", raising=False)
    return db


@pytest.fixture
def holder(warehouse: Path) -> Iterator[subprocess.Popen[str]]:
    """A second process holding the warehouse's write lock (close its stdin to release)."""
    proc = subprocess.Popen(
        [sys.executable, "-c", HOLDER, str(warehouse)],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    assert proc.stdout is not None and proc.stdout.readline().strip() == "locked"
    yield proc
    proc.kill()
    proc.wait(timeout=30)


def release(proc: subprocess.Popen[str]) -> None:
    assert proc.stdin is not None
    proc.stdin.close()
    proc.wait(timeout=30)


def check_cli() -> subprocess.CompletedProcess[str]:
    """The real ``hoopcast-ingestion check`` (a writing stage command) on HOOPCAST_DB."""
    return subprocess.run(
        [str(Path(sys.executable).parent / "hoopcast-ingestion"), "check", "--as-of", "2026-02-07"],
        cwd=ROOT,
        env=dict(os.environ),
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_busy_warehouse_exits_3_then_a_retry_succeeds(
    warehouse: Path, holder: subprocess.Popen[str]
) -> None:
    started = time.monotonic()
    busy = check_cli()
    waited = time.monotonic() - started
    assert busy.returncode == 3, busy.stderr[-2000:]
    summary = json.loads(busy.stdout.strip().splitlines()[-1])
    assert summary["status"] == "warehouse_busy"
    assert f"HOOPCAST_DB={warehouse}" in summary["error"] and "1 s" in summary["error"]
    assert waited < 20  # a 1 s lock wait plus start-up, not the 60 s default
    release(holder)
    again = check_cli()
    assert again.returncode == 0, again.stderr[-2000:]
    conn = duckdb.connect(str(warehouse), read_only=True)
    try:
        runs = conn.execute("SELECT command, status FROM ops.stage_runs").fetchall()
    finally:
        conn.close()
    assert runs == [("check", "success")]  # the busy attempt could not write anything


@pytest.mark.slow
def test_airflow_retries_a_task_that_found_the_warehouse_busy(  # type: ignore[no-untyped-def]
    dagbag, airflow_db: Path, warehouse: Path, holder: subprocess.Popen[str]
) -> None:
    dag = copy.deepcopy(dagbag.dags["data_collection"])
    task = dag.get_task("data_quality")  # hoopcast-ingestion check: no ESPN needed
    task.retry_delay = dt.timedelta(seconds=1)  # the catalog's 1 min would make a slow test
    task.retry_exponential_backoff = 0
    task.on_retry_callback = [lambda _context: release(holder)]  # after the first try failed
    run = dag.test(
        logical_date=dt.datetime(2026, 2, 7, 10, tzinfo=dt.UTC),
        mark_success_pattern="collect_.*",  # the collection tasks are not run
    )
    ti = run.get_task_instance("data_quality")
    assert run.state == "success" and ti is not None and ti.state == "success"
    assert ti.try_number == 2  # the first try found the warehouse busy and was retried
    conn = duckdb.connect(str(warehouse), read_only=True)
    try:
        runs = conn.execute("SELECT command, status FROM ops.stage_runs").fetchall()
    finally:
        conn.close()
    assert runs == [("check", "success")]
