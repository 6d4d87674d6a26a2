"""The real CLI: bad input exits 2; a fresh process serves the same ids (restart stability)."""

from __future__ import annotations

import datetime as dt
import os
import subprocess
import sys
from pathlib import Path

import httpx
from hoopcast_espn_replay.server import replay_process
from replay_helpers import API, ROOT

EXE = str(Path(sys.executable).with_name("hoopcast-espn-replay"))


def _run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [EXE, *args], cwd=ROOT, capture_output=True, text=True, timeout=120, env=os.environ.copy()
    )


def test_bad_now_exits_2_with_clear_message() -> None:
    proc = _run("--now", "2025-02-30", "--port", "0")
    assert proc.returncode == 2
    assert "--now='2025-02-30' is not a date" in proc.stderr
    proc = _run("--now", "2026-02-07T25:00-05:00", "--port", "0")
    assert proc.returncode == 2
    assert "--now='2026-02-07T25:00-05:00' is not a date" in proc.stderr
    assert "ISO-8601 moment" in proc.stderr


def test_bad_fault_rate_and_missing_results_exit_2(tmp_path: Path) -> None:
    proc = _run("--now", "2025-01-20", "--faults", "1.5")
    assert proc.returncode == 2 and "--faults" in proc.stderr
    missing = tmp_path / "nope.csv"
    proc = _run("--now", "2025-01-20", "--results", str(missing))
    assert proc.returncode == 2 and str(missing) in proc.stderr


def test_ids_stable_across_restarts(replay_server: str) -> None:
    with replay_process(dt.date(2025, 1, 20), stderr=subprocess.PIPE) as server:
        base = server.base_url
        for day in ("20150110", "20250111", "20250125", "20241104"):
            params = {"dates": day, "groups": "50", "limit": "500"}
            a = httpx.get(f"{base}{API}/scoreboard", params=params).json()["events"]
            b = httpx.get(f"{replay_server}{API}/scoreboard", params=params).json()["events"]
            assert [(e["id"], e["date"]) for e in a] == [(e["id"], e["date"]) for e in b]
            teams_a = [c["id"] for e in a for c in e["competitions"][0]["competitors"]]
            teams_b = [c["id"] for e in b for c in e["competitions"][0]["competitors"]]
            assert teams_a == teams_b
