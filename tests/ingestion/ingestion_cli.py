"""Helpers for the ingestion tests: run the real ``hoopcast-ingestion`` CLI as a subprocess.

Imported by the test modules as ``ingestion_cli`` (pytest puts this folder on ``sys.path``)."""

from __future__ import annotations

import os
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from hoopcast_common.runs import last_json_line
from support.queries import query  # noqa: F401  (re-exported: the ingestion tests import it from here)

ROOT = Path(__file__).resolve().parents[2]
DATA = ROOT / "data" / "espn"


@dataclass
class CliResult:
    """Exit code, the parsed last-line JSON summary, and stderr of one CLI run."""

    code: int
    summary: dict[str, Any]
    stderr: str


def run_cli(*args: str, db: Path, base_url: str, **settings: str) -> CliResult:
    """Run ``hoopcast-ingestion *args`` under the replay profile with ``HOOPCAST_DB=db`` and
    ``ESPN_BASE_URL=base_url``; extra keyword settings become environment variables (e.g.
    ``HOOPCAST_INGEST_START="2025-01-10"``)."""
    env = {
        **os.environ,
        "HOOPCAST_ENV": "replay",
        "HOOPCAST_DB": str(db),
        "ESPN_BASE_URL": base_url,
        "ESPN_BACKOFF_INITIAL_S": "0.01",
        "ESPN_BACKOFF_MAX_S": "0.05",
        **settings,
    }
    exe = Path(sys.executable).with_name("hoopcast-ingestion")
    proc = subprocess.run(
        [str(exe), *args], env=env, cwd=ROOT, capture_output=True, text=True, timeout=600
    )
    try:
        summary = last_json_line(proc.stdout)
    except ValueError:
        summary = {}
    return CliResult(proc.returncode, summary, proc.stderr)
