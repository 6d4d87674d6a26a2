"""Fixtures of the Airflow tests: a throwaway AIRFLOW_HOME (SQLite), the DagBag, stage env.

The Airflow configuration is read when ``airflow`` is first imported, so AIRFLOW_HOME and
the core settings are set here at import time (before any test module imports airflow).
``airflow db migrate`` is slow; it runs once per session, through the real CLI, only for
the tests that need the metadata database (``airflow_db``).
"""

from __future__ import annotations

import atexit
import os
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
DAGS_FOLDER = ROOT / "airflow" / "dags"
AIRFLOW_HOME = Path(tempfile.mkdtemp(prefix="hoopcast-airflow-home-"))
atexit.register(shutil.rmtree, AIRFLOW_HOME, True)

os.environ["AIRFLOW_HOME"] = str(AIRFLOW_HOME)
os.environ["AIRFLOW__CORE__LOAD_EXAMPLES"] = "False"
os.environ["AIRFLOW__CORE__DAGS_FOLDER"] = str(DAGS_FOLDER)
os.environ["AIRFLOW__LOGGING__LOGGING_LEVEL"] = "WARNING"

#: The replay_server fixture's clock (tests/support/replay_fixtures.py).
REPLAY_AS_OF = "2025-01-20"


def airflow_cli() -> Path:
    """The venv's ``airflow`` console script."""
    return Path(sys.executable).parent / "airflow"


@pytest.fixture(scope="session")
def airflow_db() -> Iterator[Path]:
    """AIRFLOW_HOME with a migrated SQLite metadata DB and the ``hoopcast_duckdb`` pool."""
    env = dict(os.environ)
    subprocess.run([str(airflow_cli()), "db", "migrate"], check=True, env=env, capture_output=True)
    subprocess.run(
        [
            str(airflow_cli()),
            "pools",
            "set",
            "hoopcast_duckdb",
            "1",
            "DuckDB writers (one at a time)",
        ],
        check=True,
        env=env,
        capture_output=True,
    )
    yield AIRFLOW_HOME


@pytest.fixture(scope="session")
def dagbag():  # type: ignore[no-untyped-def]
    """The DagBag of airflow/dags (parsed once per session)."""
    from airflow.dag_processing.dagbag import DagBag

    return DagBag(str(DAGS_FOLDER))


@pytest.fixture
def local_replay_env(monkeypatch: pytest.MonkeyPatch, replay_server: str, tmp_path: Path) -> Path:
    """Process env of a local-mode run on the replay server; returns the warehouse path.

    Profile ``replay`` with the replay fixture's clock as logical date, a warehouse and a
    model folder under ``tmp_path``, and a small collection window (2025-01-17 onwards).
    """
    db = tmp_path / "hoopcast.duckdb"
    monkeypatch.setenv("HOOPCAST_ENV", "replay")
    monkeypatch.setenv("HOOPCAST_RUNNER", "local")
    monkeypatch.setenv("ESPN_BASE_URL", replay_server)
    monkeypatch.setenv("HOOPCAST_DB", str(db))
    monkeypatch.setenv("HOOPCAST_MODEL_DIR", str(tmp_path / "models"))
    monkeypatch.setenv("HOOPCAST_AS_OF", REPLAY_AS_OF)
    monkeypatch.setenv("HOOPCAST_INGEST_START", "2025-01-17")
    monkeypatch.setenv("HOOPCAST_ALERT_WEBHOOK_URL", "")
    return db
