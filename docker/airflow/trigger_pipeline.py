"""Start-up trigger of the compose deployment: run ``hoopcast_pipeline`` once and follow it.

Steps, against Airflow 3's public REST API v2 on ``AIRFLOW_API_URL``
(default ``http://airflow-apiserver:8080``):

1. wait until ``GET /api/v2/monitor/health`` reports the metadatabase and scheduler healthy,
   and until ``HOOPCAST_WAIT_URL`` (if set; compose: the replay server's ``/__replay/health``)
   answers 200;
2. get a JWT from ``POST /auth/token`` (SimpleAuthManager or FabAuthManager, both take
   ``{"username", "password"}``; user ``HOOPCAST_AIRFLOW_ADMIN_USER``, default ``admin``,
   password from ``AIRFLOW_SECRETS_DIR/admin_password``);
3. wait until the DAG processor has parsed the DAGs, then unpause the DAGs named in
   ``HOOPCAST_UNPAUSE_DAGS`` (comma-separated; default ``hoopcast_pipeline``) with
   ``PATCH /api/v2/dags/{dag_id}``;
4. trigger ``HOOPCAST_TRIGGER_DAG`` (default ``hoopcast_pipeline``) with
   ``POST /api/v2/dags/{dag_id}/dagRuns`` (``logical_date`` = ``HOOPCAST_AS_OF`` when set, so
   the run's date is the replay clock; conf from ``HOOPCAST_TRIGGER_CONF``, a JSON object);
5. poll ``GET /api/v2/dags/{dag_id}/dagRuns/{run_id}`` until the run ends;
6. unpause the scheduled DAGs, ``HOOPCAST_SCHEDULED_DAGS`` (comma-separated; ``catalog``, the
   default, = the stage catalog's four scheduled DAGs; empty = none), whatever the run's
   outcome: from then on their schedules run the pipeline (a failed start-up run is retried
   by the next scheduled runs, and alerts as any task does).

Exit codes: 0 the run succeeded; 1 it failed (the failed task instances are printed);
3 Airflow was not reachable / healthy within ``HOOPCAST_TRIGGER_TIMEOUT_S`` (default 1800 s).
Prints one JSON line (dag_id, dag_run_id, state, duration_s) on stdout at the end.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import sys
import time
from pathlib import Path
from typing import Any

import httpx

EXIT_OK, EXIT_FAILED, EXIT_UNAVAILABLE = 0, 1, 3


def log(message: str) -> None:
    """Write one timestamped progress line to stderr."""
    stamp = dt.datetime.now(dt.UTC).strftime("%H:%M:%S")
    print(f"{stamp} trigger-pipeline: {message}", file=sys.stderr, flush=True)


class Deadline:
    """A wall-clock budget in seconds shared by every wait of this script."""

    def __init__(self, seconds: float) -> None:
        self.end = time.monotonic() + seconds

    def left(self) -> float:
        """Seconds remaining (negative once expired)."""
        return self.end - time.monotonic()


def wait_healthy(client: httpx.Client, deadline: Deadline) -> None:
    """Poll the health endpoint until metadatabase and scheduler are healthy.

    Raises TimeoutError when the deadline passes first.
    """
    last = "no answer yet"
    while deadline.left() > 0:
        try:
            response = client.get("/api/v2/monitor/health")
            body = response.json() if response.status_code == 200 else {}
            states = {k: (v or {}).get("status") for k, v in body.items() if isinstance(v, dict)}
            if states.get("metadatabase") == "healthy" and states.get("scheduler") == "healthy":
                log(f"Airflow is healthy: {states}")
                return
            last = f"HTTP {response.status_code} {states}"
        except (httpx.HTTPError, ValueError) as exc:
            last = f"{type(exc).__name__}: {exc}"
        time.sleep(3)
    raise TimeoutError(f"Airflow API not healthy in time (last: {last})")


def wait_url(url: str, deadline: Deadline) -> None:
    """Poll ``url`` until it answers HTTP 200; raises TimeoutError at the deadline."""
    last = "no answer yet"
    while deadline.left() > 0:
        try:
            response = httpx.get(url, timeout=5)
            if response.status_code == 200:
                log(f"{url} is up")
                return
            last = f"HTTP {response.status_code}"
        except httpx.HTTPError as exc:
            last = f"{type(exc).__name__}: {exc}"
        time.sleep(3)
    raise TimeoutError(f"{url} not up in time (last: {last})")


def get_token(client: httpx.Client, user: str, password: str) -> str:
    """JWT from SimpleAuthManager's ``POST /auth/token``; raises httpx.HTTPStatusError."""
    response = client.post("/auth/token", json={"username": user, "password": password})
    response.raise_for_status()
    return str(response.json()["access_token"])


def wait_dag(client: httpx.Client, dag_id: str, deadline: Deadline) -> None:
    """Wait until ``dag_id`` has been parsed (``GET /api/v2/dags/{dag_id}`` answers 200)."""
    while deadline.left() > 0:
        response = client.get(f"/api/v2/dags/{dag_id}")
        if response.status_code == 200:
            return
        time.sleep(3)
    raise TimeoutError(f"DAG {dag_id!r} was not parsed in time (is it in the DAGs folder?)")


def task_progress(client: httpx.Client, dag_id: str, run_id: str) -> dict[str, tuple[str, str]]:
    """{task_id (map index appended when mapped): (state, duration)} of the run's task
    instances from ``GET .../taskInstances``; duration in seconds as text, '' while unknown."""
    response = client.get(
        f"/api/v2/dags/{dag_id}/dagRuns/{run_id}/taskInstances", params={"limit": 1000}
    )
    if response.status_code != 200:
        return {}
    progress: dict[str, tuple[str, str]] = {}
    for ti in response.json().get("task_instances", []):
        name = str(ti.get("task_id"))
        map_index = ti.get("map_index")
        if map_index is not None and int(map_index) >= 0:
            name += f"[{map_index}]"
        duration = ti.get("duration")
        progress[name] = (
            str(ti.get("state") or "none"),
            f"{float(duration):.0f} s" if duration is not None else "",
        )
    return progress


def follow(client: httpx.Client, dag_id: str, run_id: str, deadline: Deadline) -> str:
    """Poll the DAG run until it is no longer queued/running, logging each task instance whose
    state changes (task, state, duration); returns the run's final state."""
    previous = None
    seen: dict[str, str] = {}
    while deadline.left() > 0:
        response = client.get(f"/api/v2/dags/{dag_id}/dagRuns/{run_id}")
        response.raise_for_status()
        state = str(response.json()["state"])
        if state != previous:
            log(f"run {run_id}: {state}")
            previous = state
        for task, (task_state, duration) in task_progress(client, dag_id, run_id).items():
            if seen.get(task) != task_state:
                seen[task] = task_state
                log(f"  task {task:<40} {task_state:<16} {duration}".rstrip())
        if state not in ("queued", "running"):
            return state
        time.sleep(5)
    raise TimeoutError(f"run {run_id} of {dag_id} did not finish in time")


def failed_tasks(client: httpx.Client, dag_id: str, run_id: str) -> list[dict[str, Any]]:
    """Task instances of the run that did not succeed or skip (task_id, state, try_number)."""
    response = client.get(f"/api/v2/dags/{dag_id}/dagRuns/{run_id}/taskInstances")
    if response.status_code != 200:
        return []
    return [
        {k: ti.get(k) for k in ("task_id", "state", "try_number")}
        for ti in response.json().get("task_instances", [])
        if ti.get("state") not in ("success", "skipped")
    ]


def scheduled_dags(raw: str) -> list[str]:
    """The DAG ids of ``HOOPCAST_SCHEDULED_DAGS``: ``catalog`` = the catalog's scheduled DAGs."""
    if raw.strip() == "catalog":
        from hoopcast_airflow.catalog import STAGE_DAGS

        return [spec.dag_id for spec in STAGE_DAGS]
    return [d.strip() for d in raw.split(",") if d.strip()]


def unpause(client: httpx.Client, dag_ids: list[str], deadline: Deadline) -> None:
    """Wait until each DAG is parsed, then unpause it; raises TimeoutError/httpx.HTTPError."""
    for name in dag_ids:
        wait_dag(client, name, deadline)
        client.patch(f"/api/v2/dags/{name}", json={"is_paused": False}).raise_for_status()
        log(f"unpaused {name}")


def main() -> int:
    """Run the start-up trigger; returns the process exit code (see the module docstring)."""
    base = os.environ.get("AIRFLOW_API_URL", "http://airflow-apiserver:8080").rstrip("/")
    secrets = Path(os.environ.get("AIRFLOW_SECRETS_DIR", "/opt/airflow/secrets"))
    user = os.environ.get("HOOPCAST_AIRFLOW_ADMIN_USER", "admin")
    dag_id = os.environ.get("HOOPCAST_TRIGGER_DAG", "hoopcast_pipeline")
    first = [d for d in os.environ.get("HOOPCAST_UNPAUSE_DAGS", dag_id).split(",") if d]
    scheduled = scheduled_dags(os.environ.get("HOOPCAST_SCHEDULED_DAGS", "catalog"))
    deadline = Deadline(float(os.environ.get("HOOPCAST_TRIGGER_TIMEOUT_S", "1800")))
    conf = json.loads(os.environ.get("HOOPCAST_TRIGGER_CONF") or "{}")
    as_of = os.environ.get("HOOPCAST_AS_OF")
    started = time.monotonic()
    with httpx.Client(base_url=base, timeout=30) as client:
        try:
            wait_healthy(client, deadline)
            if os.environ.get("HOOPCAST_WAIT_URL"):
                wait_url(os.environ["HOOPCAST_WAIT_URL"], deadline)
            password = (secrets / "admin_password").read_text().strip()
            client.headers["Authorization"] = f"Bearer {get_token(client, user, password)}"
            wait_dag(client, dag_id, deadline)
            unpause(client, first, deadline)
        except (TimeoutError, httpx.HTTPError, OSError) as exc:
            log(f"Airflow unavailable: {exc}")
            return EXIT_UNAVAILABLE
        body: dict[str, Any] = {"conf": conf}
        now = dt.datetime.now(dt.UTC)
        body["dag_run_id"] = f"startup__{now:%Y%m%dT%H%M%S}"
        # Airflow 3 requires the key; the replay profile pins the logical date to its clock.
        body["logical_date"] = f"{as_of}T00:00:00Z" if as_of else now.isoformat()
        response = client.post(f"/api/v2/dags/{dag_id}/dagRuns", json=body)
        if response.status_code >= 400:
            log(f"trigger failed: HTTP {response.status_code} {response.text[:500]}")
            return EXIT_FAILED
        run_id = str(response.json()["dag_run_id"])
        log(f"triggered {dag_id} run {run_id} (logical date {body['logical_date']})")
        try:
            state = follow(client, dag_id, run_id, deadline)
        except (TimeoutError, httpx.HTTPError) as exc:
            log(f"lost the run: {exc}")
            return EXIT_UNAVAILABLE
        if state != "success":
            log(f"unfinished or failed tasks: {failed_tasks(client, dag_id, run_id)}")
        try:
            unpause(client, scheduled, deadline)
        except (TimeoutError, httpx.HTTPError) as exc:
            log(f"could not unpause the scheduled DAGs {scheduled}: {exc}")
            return EXIT_UNAVAILABLE
        summary = {
            "dag_id": dag_id,
            "dag_run_id": run_id,
            "state": state,
            "duration_s": round(time.monotonic() - started, 1),
        }
        print(json.dumps(summary), flush=True)
        return EXIT_OK if state == "success" else EXIT_FAILED


if __name__ == "__main__":
    sys.exit(main())
