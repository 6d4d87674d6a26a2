"""End to end: ``compose up`` with the replay profile runs the whole pipeline once.

Steps: (images must be built: ``scripts/build-images``) → ``docker-compose -f
compose/docker-compose.yml -p hoopcast --profile replay up -d`` → wait for the one-shot
``hoopcast-trigger`` service (it triggers ``hoopcast_pipeline`` through the REST API and
exits 0 only if the run succeeded) while watching the stage containers DockerOperator starts
(``docker inspect``: memory limit and CPU cap set) → predictions exist in the DuckDB file on
the ``hoopcast-data`` volume → the Airflow UI, in Debian's headless chromium driven by
selenium (tests/support/airflow_ui.py), logs in and shows the run as success, and its Forecasts
view shows the run's forecasts (screenshots saved to ``var/e2e/``) → ``down -v``.

Marked ``docker``; skipped with the reason when there is no engine, no compose tool, images
are missing, or a ``hoopcast-data`` volume already exists (a real deployment: set
``HOOPCAST_E2E_DESTROY=1`` to allow the test to replace it). Times are printed (``-s``).
"""

from __future__ import annotations

import json
import os
import re
import time
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from selenium.webdriver.common.by import By
from selenium.webdriver.support import expected_conditions as ec
from selenium.webdriver.support.ui import WebDriverWait
from support.airflow_ui import browser_available, chromium, log_in, read_forecasts_view
from support.compose_testing import ROOT, ComposeProject, compose_or_skip, compose_problem, run

OUTPUT = ROOT / "var" / "e2e"
TAG = os.environ.get("HOOPCAST_IMAGE_TAG", "latest")
STAGES = ["ingestion", "features", "trainer", "predictor"]
IMAGES = [*STAGES, "espn-replay", "airflow", "postgres", "docker-proxy"]
PORT = int(os.environ.get("HOOPCAST_E2E_PORT", "8080"))
TIMEOUT_S = float(os.environ.get("HOOPCAST_E2E_TIMEOUT_S", "1800"))
WEBHOOK = f"http://127.0.0.1:9/services/e2e-webhook-secret-{os.getpid()}"
SECRET_FILES = ["postgres_password", "jwt_secret", "api_secret_key", "fernet_key", "admin_password"]

pytestmark = [pytest.mark.docker, pytest.mark.slow]


def skip_reason() -> str | None:
    """Why the e2e test cannot run on this machine, or None."""
    problem = compose_problem(IMAGES, TAG, "run scripts/build-images")
    if problem:
        return problem
    volume = run("docker", "volume", "inspect", "hoopcast-data", check=False)
    if volume.returncode == 0 and os.environ.get("HOOPCAST_E2E_DESTROY") != "1":
        return "volume hoopcast-data exists (a deployment?); HOOPCAST_E2E_DESTROY=1 replaces it"
    return None


class Deployment(ComposeProject):
    """The compose project under test (``-p hoopcast``, replay profile)."""

    def __init__(self, compose: list[str]) -> None:
        super().__init__(compose, ["replay"])
        # a secret that must never reach a log line (test_no_secret_in_any_log)
        self.env["HOOPCAST_ALERT_WEBHOOK_URL"] = WEBHOOK
        self.env["HOOPCAST_AIRFLOW_PORT"] = str(PORT)
        self.env["HOOPCAST_IMAGE_TAG"] = TAG
        self.up_started = 0.0  # monotonic time of `compose up`

    def down(self) -> None:
        """``down -v``, first removing stage containers a stopped run left on the data volume."""
        self.compose("down", "--remove-orphans", timeout=600)
        left = run("docker", "ps", "-aq", "--filter", "volume=hoopcast-data").stdout.split()
        if left:
            run("docker", "rm", "-f", *left, check=False)
        self.compose("down", "-v", "--remove-orphans", timeout=600)

    def container(self, service: str) -> str:
        """Container id of a service (empty string when it has none)."""
        return self.compose("ps", "-q", service).stdout.strip()

    def secret(self, name: str) -> str:
        """A generated secret from the airflow-secrets volume (e.g. admin_password)."""
        out = run(
            "docker", "run", "--rm", "--entrypoint", "cat",
            "-v", "hoopcast-airflow-secrets:/s:ro", f"hoopcast/airflow:{TAG}", f"/s/{name}",
        )  # fmt: skip
        return out.stdout.strip()


@pytest.fixture(scope="module")
def deployment() -> Iterator[Deployment]:
    """Compose project brought up with the replay profile; torn down with its volumes."""
    dep = Deployment(compose_or_skip(skip_reason()))
    dep.down()
    OUTPUT.mkdir(parents=True, exist_ok=True)
    try:
        t0 = time.monotonic()
        up = dep.compose("up", "-d", timeout=900)
        assert up.returncode == 0, up.stderr[-4000:]
        dep.up_started = t0
        yield dep
    finally:
        logs = dep.compose("logs", "--no-color", "--tail", "400", timeout=300)
        (OUTPUT / "compose.log").write_text(logs.stdout + logs.stderr)
        dep.down()


def watch_stage_limits(seen: dict[str, dict[str, Any]]) -> None:
    """Record HostConfig limits of running stage containers (DockerOperator removes them)."""
    for stage in STAGES:
        ids = run(
            "docker", "ps", "-q", "--filter", f"ancestor=hoopcast/{stage}:{TAG}", check=False
        ).stdout.split()  # fmt: skip
        for cid in ids:
            if cid in seen:
                continue
            out = run("docker", "inspect", cid, check=False)
            if out.returncode == 0:
                info = json.loads(out.stdout)[0]
                host = info["HostConfig"]
                seen[cid] = {
                    "stage": stage,
                    "memory": host.get("Memory", 0),
                    "nano_cpus": host.get("NanoCpus", 0),
                    "network": host.get("NetworkMode"),
                    "mounts": [m.get("Name") for m in info.get("Mounts", [])],
                }


def test_compose_up_runs_the_pipeline(deployment: Deployment) -> None:
    """The start-up trigger succeeds; predictions exist; stage containers carry limits."""
    trigger = ""
    deadline = time.monotonic() + 300
    while not trigger and time.monotonic() < deadline:
        trigger = deployment.container("hoopcast-trigger")
        time.sleep(2)
    assert trigger, "hoopcast-trigger container was not created"
    seen: dict[str, dict[str, Any]] = {}
    deadline = time.monotonic() + TIMEOUT_S
    state: dict[str, Any] = {}
    while time.monotonic() < deadline:
        watch_stage_limits(seen)
        state = json.loads(run("docker", "inspect", "-f", "{{json .State}}", trigger).stdout)
        if state["Status"] == "exited":
            break
        time.sleep(2)
    elapsed = time.monotonic() - deployment.up_started
    trigger_logs = run("docker", "logs", trigger, check=False)
    print(f"\ncompose up -> pipeline end: {elapsed:.0f} s; trigger: {trigger_logs.stdout}")
    assert state.get("Status") == "exited", f"pipeline still running after {TIMEOUT_S} s"
    assert state["ExitCode"] == 0, trigger_logs.stderr[-4000:]
    assert json.loads(trigger_logs.stdout.strip().splitlines()[-1])["state"] == "success"

    # Predictions in the warehouse on the data volume (read with the predictor image's duckdb).
    # daily = the week after the logical date; backtest = prediction.backtest_model's 28 days.
    # (hoopcast_common.db.connect waits for the lock of a scheduled run's stage task)
    query = (
        "import json; from hoopcast_common.db import connect; "
        "c = connect('/data/hoopcast.duckdb', read_only=True); "
        "print(json.dumps(dict(c.execute('select run_kind, count(*) from "
        "predictions.predictions group by run_kind').fetchall())))"
    )
    out = run(
        "docker", "run", "--rm", "-v", "hoopcast-data:/data:ro", "--entrypoint", "python",
        f"hoopcast/predictor:{TAG}", "-c", query,
    )  # fmt: skip
    counts = json.loads(out.stdout.strip().splitlines()[-1])
    print(f"predictions by run_kind: {counts}")
    assert counts.get("daily", 0) > 0 and counts.get("backtest", 0) > 0, counts

    # prediction.report_preds wrote the report of the logical date on the volume.
    listing = run(
        "docker", "run", "--rm", "-v", "hoopcast-data:/data:ro", "--entrypoint", "sh",
        f"hoopcast/predictor:{TAG}", "-c", "ls /data/reports/*/",
    )  # fmt: skip
    for name in ("calibration.png", "rolling_accuracy.png", "summary.txt"):
        assert name in listing.stdout.split(), listing.stdout

    # Every stage ran in its own container with a memory limit and a CPU cap.
    print(f"stage containers seen: {json.dumps(seen, indent=1)}")
    stages_seen = {info["stage"] for info in seen.values()}
    assert stages_seen == set(STAGES), f"stage containers seen: {stages_seen}"
    for info in seen.values():
        assert info["memory"] > 0 and info["nano_cpus"] > 0, info
        assert info["network"] == "hoopcast" and "hoopcast-data" in info["mounts"], info


def test_airflow_ui_shows_the_successful_run(deployment: Deployment) -> None:
    """Log in through the UI form, open the pipeline DAG's grid: the run shows as success."""
    reason = browser_available()
    if reason:
        pytest.skip(reason)
    base = f"http://localhost:{PORT}"
    with chromium() as driver:
        log_in(driver, base, "admin", deployment.secret("admin_password"))
        driver.get(f"{base}/dags/hoopcast_pipeline")
        # The DAG page: grid on the left, latest run with its state badge (aria-label).
        badge = WebDriverWait(driver, 60).until(
            ec.presence_of_element_located(
                (By.CSS_SELECTOR, "[data-testid='state-badge'][aria-label='success']")
            )
        )
        text = str(driver.find_element(By.TAG_NAME, "body").text)
        time.sleep(2)  # let the grid finish drawing before the screenshot
        shot = OUTPUT / "airflow-hoopcast_pipeline-grid.png"
        driver.save_screenshot(str(shot))
    print(f"\nscreenshot: {shot}")
    assert badge
    assert "hoopcast_pipeline" in text and "data_collection" in text, text[:2000]
    assert shot.stat().st_size > 10_000


def test_forecasts_view_inside_the_ui(deployment: Deployment) -> None:
    """The Forecasts view (plugin) inside the UI shows the run's forecasts: the team names and
    probability of the first upcoming game (from the page's JSON twin) appear in its iframe."""
    reason = browser_available()
    if reason:
        pytest.skip(reason)
    base = f"http://localhost:{PORT}"
    password = deployment.secret("admin_password")
    assert httpx.get(f"{base}/forecasts/", timeout=30).status_code == 401
    token = httpx.post(
        f"{base}/auth/token", json={"username": "admin", "password": password}, timeout=30
    ).json()["access_token"]
    upcoming = httpx.get(
        f"{base}/forecasts/api/upcoming",
        headers={"Authorization": f"Bearer {token}"},
        timeout=60,
    ).json()
    assert upcoming["rows"], upcoming
    first = upcoming["rows"][0]
    shot = OUTPUT / "forecasts-view.png"
    with chromium() as driver:
        log_in(driver, base, "admin", password)
        text = read_forecasts_view(driver, base, shot)
    print(f"\nscreenshot: {shot}")
    assert f"{first['away_team']} @ {first['home_team']}" in text, text[:2000]
    assert f"{100 * first['home_win_prob']:.0f}%" in text
    assert len(re.findall(r"\b\d{1,3}%", text)) >= len(upcoming["rows"])
    assert shot.stat().st_size > 10_000


def test_scheduled_dags_are_unpaused_and_run(deployment: Deployment) -> None:
    """After the start-up run the four scheduled DAGs are unpaused and get scheduled runs."""
    from hoopcast_airflow.catalog import STAGE_DAGS

    base = f"http://127.0.0.1:{PORT}"
    token = httpx.post(
        f"{base}/auth/token",
        json={"username": "admin", "password": deployment.secret("admin_password")},
        timeout=30,
    ).json()["access_token"]
    headers = {"Authorization": f"Bearer {token}"}
    for spec in STAGE_DAGS:
        dag = httpx.get(f"{base}/api/v2/dags/{spec.dag_id}", headers=headers, timeout=30).json()
        assert dag["is_paused"] is False, spec.dag_id
    deadline, kinds = time.monotonic() + 180, set()
    while time.monotonic() < deadline and "scheduled" not in kinds:
        runs = httpx.get(
            f"{base}/api/v2/dags/data_collection/dagRuns", headers=headers, timeout=30
        ).json()["dag_runs"]
        kinds = {run["run_type"] for run in runs}
        time.sleep(5)
    assert "scheduled" in kinds, kinds


def test_no_secret_in_any_log(deployment: Deployment) -> None:
    """No generated secret nor the webhook URL appears in any service's or task's log."""
    secrets = {name: deployment.secret(name) for name in SECRET_FILES}
    assert all(len(v) >= 16 for v in secrets.values()), "a secret file is missing or short"
    secrets["alert webhook"] = WEBHOOK
    secrets["alert webhook path"] = WEBHOOK.split("127.0.0.1:9", 1)[1]
    logs = deployment.compose("logs", "--no-color", "--timestamps", timeout=300)
    services = logs.stdout + logs.stderr
    tasks = run(
        "docker", "run", "--rm", "-v", "hoopcast-airflow-logs:/logs:ro", "--entrypoint", "sh",
        f"hoopcast/airflow:{TAG}", "-c", "find /logs -type f -exec cat {} +",
    ).stdout  # fmt: skip
    (OUTPUT / "all-services.log").write_text(services)
    (OUTPUT / "all-task-logs.log").write_text(tasks)
    counts = (len(services.splitlines()), len(tasks.splitlines()))
    print(f"\nscanned {counts[0]} service and {counts[1]} task log lines")
    assert len(tasks.splitlines()) > 100, "no task logs found in hoopcast-airflow-logs"
    assert "collect_games" in tasks or "collect_games" in services
    leaks = {
        name: [line for line in (services + tasks).splitlines() if value in line][:3]
        for name, value in secrets.items()
        if value in services or value in tasks
    }
    assert not leaks, leaks
