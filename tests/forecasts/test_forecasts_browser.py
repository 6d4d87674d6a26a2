"""The Forecasts view in a real browser inside the Airflow UI of a local-mode
``airflow api-server`` (subprocess; plugin from its entry point; SimpleAuthManager): log in
through the UI, open the view, read team names and probabilities in its iframe. The same
browser code (tests/support/airflow_ui.py) runs in the compose e2e test."""

from __future__ import annotations

import os
import re
import sys
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from forecasts_testing import ADMIN_PASSWORD
from hoopcast_airflow.simulate import http_server
from support.airflow_ui import browser_available, chromium, log_in, read_forecasts_view
from support.network import free_port

ROOT = Path(__file__).resolve().parents[2]
SCREENSHOT = ROOT / "var" / "tests" / "forecasts-view-local.png"


@pytest.fixture(scope="module")
def api_server(
    airflow_home: Path, forecast_warehouse: Path, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[str]:
    """Base URL of ``airflow api-server`` (core app, one worker) on the forecast warehouse."""
    reason = browser_available()
    if reason:
        pytest.skip(reason)
    port = free_port()
    log = tmp_path_factory.mktemp("api-server") / "api-server.log"
    env = {**os.environ, "HOOPCAST_DB": str(forecast_warehouse)}
    airflow = Path(sys.executable).with_name("airflow")
    args = [str(airflow), "api-server", "--port", str(port), "--host", "127.0.0.1",
            "--apps", "core", "--workers", "1"]  # fmt: skip
    base = f"http://127.0.0.1:{port}"
    health = f"{base}/api/v2/monitor/health"
    try:
        with http_server(
            args, log, health, "api-server", 180, env=env, interval_s=1, stop_timeout_s=30
        ):
            yield base
    except RuntimeError as exc:
        raise AssertionError(f"{exc}\n{log.read_text()[-3000:]}") from None


def test_forecasts_view_inside_the_ui(api_server: str) -> None:
    assert httpx.get(f"{api_server}/forecasts/", timeout=30).status_code == 401
    with chromium() as driver:
        log_in(driver, api_server, "admin", ADMIN_PASSWORD)
        text = read_forecasts_view(driver, api_server, SCREENSHOT)
    assert "Upcoming: game day 2025-01-24" in text
    assert "Duke Blue Devils @ Wake Forest Demon Deacons" in text
    probabilities = [int(p) for p in re.findall(r"\b(\d{1,3})%", text)]
    assert len(probabilities) > 100 and all(0 <= p <= 100 for p in probabilities)
    assert SCREENSHOT.stat().st_size > 10_000
