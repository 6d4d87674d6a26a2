"""Fixtures of the forecasts tests: a warehouse made by the real pipeline on the replay data.

``forecast_warehouse`` (session) runs, as subprocesses and through the trainer's API, what the
daily pipeline runs on two game days of the replay (the ingested warehouse of
tests/support has finished games up to 2025-01-20 and the schedule to 2025-01-31):

1. game day 2025-01-20: ``hoopcast-features build``, a production model trained and promoted
   (small LightGBM), ``hoopcast-predictor predict --days 7``;
2. the replay clock moves to 2025-01-24: ``hoopcast-ingestion collect`` of 2025-01-21 ..
   2025-01-31 (the games of 01-21 .. 01-24 become final), features again,
   ``predict --days 7`` for game day 2025-01-24, then the scorecard;
3. the read-only snapshot is published (the page and ``show`` read only the snapshot).

So Upcoming (game day 2025-01-24) and Recent results / Track record (the finals of 01-21 ..
01-24 forecast on 01-20) all come from real runs.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "trainer"))

from forecasts_testing import ADMIN_PASSWORD, FIRST_DAY, GAME_DAY
from ml_testing import build_features, copy_db, run_cli, stage_env, train_version


def _predict(db: Path, as_of: str) -> None:
    result = run_cli(
        "hoopcast-predictor", ["predict", "--as-of", as_of, "--days", "7"], stage_env(db)
    )
    assert result.code == 0, result.stderr[-3000:]


def _collect(db: Path, base_url: str) -> None:
    env = stage_env(db, ESPN_BASE_URL=base_url, HOOPCAST_ENV="replay")
    result = run_cli(
        "hoopcast-ingestion",
        ["collect", "--from", "2025-01-21", "--to", "2025-01-31", "--as-of", GAME_DAY],
        env,
    )
    assert result.code == 0, result.stderr[-3000:]


def _scorecard(db: Path) -> None:
    """The scorecard through the predictor's own command (``hoopcast-predictor scorecard``)."""
    exe = Path(sys.executable).with_name("hoopcast-predictor")
    proc = subprocess.run(
        [str(exe), "scorecard", "--as-of", GAME_DAY],
        env=stage_env(db),
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert proc.returncode == 0, proc.stderr[-3000:]


@pytest.fixture(scope="session")
def forecast_warehouse(
    ingested_warehouse_template: Path, tmp_path_factory: pytest.TempPathFactory
) -> Path:
    """Path of the warehouse described in the module docstring (read-only use), with its
    snapshot published next to it."""
    from hoopcast_common.db import connect
    from hoopcast_common.snapshot import publish_snapshot
    from hoopcast_espn_replay.server import running_server

    db = copy_db(ingested_warehouse_template, tmp_path_factory.mktemp("forecasts"))
    build_features(db, FIRST_DAY)
    train_version(db, rounds=20, stage="production", as_of=FIRST_DAY)
    _predict(db, FIRST_DAY)
    with running_server(dt.date.fromisoformat(GAME_DAY)) as url:
        _collect(db, url)
    build_features(db, GAME_DAY)
    _predict(db, GAME_DAY)
    _scorecard(db)
    conn = connect(db)
    try:
        publish_snapshot(conn, db)
    finally:
        conn.close()
    return db


# --------------------------------------------------------------------------- Airflow API app


@pytest.fixture(scope="session")
def airflow_home(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """An Airflow configuration for the in-process API app: SimpleAuthManager with one admin
    (password :data:`ADMIN_PASSWORD`) and a migrated SQLite metadata database (the token
    checks read it). Settings go through ``AIRFLOW__*`` variables, read by Airflow at use."""
    home = Path(os.environ.setdefault("AIRFLOW_HOME", str(tmp_path_factory.mktemp("af-home"))))
    secrets = tmp_path_factory.mktemp("af-auth")
    passwords = secrets / "passwords.json"
    passwords.write_text(json.dumps({"admin": ADMIN_PASSWORD}))
    os.environ.update(
        {
            "AIRFLOW__CORE__LOAD_EXAMPLES": "False",
            "AIRFLOW__CORE__AUTH_MANAGER": (
                "airflow.api_fastapi.auth.managers.simple.simple_auth_manager.SimpleAuthManager"
            ),
            "AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_USERS": "admin:admin",
            "AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_PASSWORDS_FILE": str(passwords),
            "AIRFLOW__API_AUTH__JWT_SECRET": secrets_token(),
        }
    )
    airflow = Path(sys.executable).with_name("airflow")
    subprocess.run([str(airflow), "db", "migrate"], check=True, capture_output=True, timeout=600)
    return home


def secrets_token() -> str:
    """A random 64-byte JWT signing secret (hex)."""
    import secrets

    return secrets.token_hex(64)


@pytest.fixture(scope="session")
def airflow_api(airflow_home: Path) -> Iterator[Any]:
    """A TestClient on the real Airflow API app (``create_app("core")``: plugins, auth manager,
    UI routes); tests point ``HOOPCAST_DB`` at a warehouse with :func:`client`."""
    from airflow.api_fastapi.app import create_app, purge_cached_app
    from fastapi.testclient import TestClient

    purge_cached_app()
    with TestClient(create_app("core")) as client:
        yield client
    purge_cached_app()


@pytest.fixture(scope="session")
def token(airflow_api: Any) -> str:
    """A JWT of the admin from the real login endpoint (``POST /auth/token``)."""
    response = airflow_api.post(
        "/auth/token", json={"username": "admin", "password": ADMIN_PASSWORD}
    )
    assert response.status_code == 201, response.text
    return str(response.json()["access_token"])


@pytest.fixture
def client(airflow_api: Any, forecast_warehouse: Path, monkeypatch: pytest.MonkeyPatch) -> Any:
    """The Airflow API TestClient with the Forecasts page reading ``forecast_warehouse``."""
    monkeypatch.setenv("HOOPCAST_DB", str(forecast_warehouse))
    return airflow_api
