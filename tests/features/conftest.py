"""Helpers for the features tests: run the real ``hoopcast-features`` CLI as a subprocess."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import duckdb
import pytest
from hoopcast_common.runs import last_json_line

ROOT = Path(__file__).resolve().parents[2]
FeaturesCli = Callable[..., tuple[int, dict[str, Any], str]]


@pytest.fixture
def features_cli() -> FeaturesCli:
    """``run(db, *args)`` → (exit code, JSON run summary, stderr) of ``hoopcast-features``."""

    def run(db: Path, *args: str) -> tuple[int, dict[str, Any], str]:
        env = {**os.environ, "HOOPCAST_DB": str(db), "HOOPCAST_ENV": "local"}
        env.pop("HOOPCAST_AS_OF", None)
        exe = Path(sys.executable).with_name("hoopcast-features")
        proc = subprocess.run(
            [str(exe), *args], env=env, cwd=ROOT, capture_output=True, text=True, timeout=600
        )
        return proc.returncode, last_json_line(proc.stdout), proc.stderr

    return run


Query = Callable[[Path, str], list[tuple[Any, ...]]]


@pytest.fixture
def query() -> Query:
    """``query(db, sql)`` → all rows of ``sql`` run on a short-lived connection to ``db``."""

    def run(db: Path, sql: str) -> list[tuple[Any, ...]]:
        conn = duckdb.connect(str(db))
        try:
            return conn.execute(sql).fetchall()
        finally:
            conn.close()

    return run
