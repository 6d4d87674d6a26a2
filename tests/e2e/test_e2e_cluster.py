"""End to end: the compose profile ``cluster`` (CeleryExecutor, two workers, DuckLake on S3).

Steps: (images must be built: ``scripts/build-images`` and ``scripts/build-images --only
cluster``) → ``docker-compose -f compose/docker-compose.yml -p hoopcast --profile cluster
--profile replay up -d`` → one scheduler, CeleryExecutor everywhere, ``celery inspect ping``
answered by ``celery@worker-a`` and ``celery@worker-b`` → the start-up ``hoopcast_pipeline``
run succeeds (``hoopcast-trigger`` exits 0) with its stage tasks on the workers → row counts of
``core.games``, ``features.game_features`` and ``predictions.predictions`` in the lake → a
second run of the pipeline on the same replay clock, during which the worker running a stage
task is killed (``docker kill``): the task is retried on the other worker, the run succeeds and
the row counts equal those of the first run (the pipeline's writes are idempotent) → ``down
-v`` (stage containers left on the network removed first).

Marked ``docker``; skipped with the reason when there is no engine, no compose tool, an image
is missing, the stage images lack the DuckLake backend or the artefact store (the pipeline
test), or hoopcast volumes
already exist (a deployment: ``HOOPCAST_E2E_DESTROY=1`` lets
the test replace them). Progress and times are printed (``-s``).
"""

from __future__ import annotations

import json
import os
import subprocess
import time
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from support.compose_testing import ROOT, ComposeProject, compose_or_skip, compose_problem, run
from support.network import free_port

OUTPUT = ROOT / "var" / "e2e"
TAG = os.environ.get("HOOPCAST_IMAGE_TAG", "latest")
IMAGES = [
    "ingestion", "features", "trainer", "predictor", "espn-replay", "airflow", "postgres",
    "docker-proxy", "redis", "seaweedfs",
]  # fmt: skip
VOLUMES = ["hoopcast-data", "hoopcast-postgres-db", "hoopcast-s3-data"]
WORKERS = ["worker-a", "worker-b"]
TIMEOUT_S = float(os.environ.get("HOOPCAST_E2E_TIMEOUT_S", "2400"))
CELERY_APP = "airflow.providers.celery.executors.celery_executor.app"
DAG = "hoopcast_pipeline"
COUNTED = ["core.games", "features.game_features", "predictions.predictions"]

pytestmark = [pytest.mark.docker, pytest.mark.slow]


def skip_reason() -> str | None:
    """Why the cluster test cannot run on this machine, or None."""
    problem = compose_problem(IMAGES, TAG, "scripts/build-images, --only cluster")
    if problem:
        return problem
    existing = [
        v for v in VOLUMES if run("docker", "volume", "inspect", v, check=False).returncode == 0
    ]
    if existing and os.environ.get("HOOPCAST_E2E_DESTROY") != "1":
        return f"volumes {existing} exist (a deployment?); HOOPCAST_E2E_DESTROY=1 replaces them"
    return None


class Cluster(ComposeProject):
    """The compose project under test: ``-p hoopcast --profile cluster --profile replay``."""

    def __init__(self, compose: list[str]) -> None:
        super().__init__(compose, ["cluster", "replay"])
        self.port = free_port()
        self.env.update(
            {
                "HOOPCAST_AIRFLOW_PORT": str(self.port),
                "HOOPCAST_IMAGE_TAG": TAG,
                # keep the scheduled DAGs paused: only the runs of this test write
                "HOOPCAST_SCHEDULED_DAGS": "",
            }
        )

    def down(self) -> None:
        """Stop, remove the stage containers left on the network, then ``down -v``."""
        self.compose("stop", timeout=600)
        for cid in run("docker", "ps", "-aq", "--filter", "network=hoopcast").stdout.split():
            labels = run("docker", "inspect", "-f", "{{json .Config.Labels}}", cid, check=False)
            if labels.returncode == 0 and "com.docker.compose.project" not in labels.stdout:
                run("docker", "rm", "-f", cid, check=False)
        self.compose("down", "-v", "--remove-orphans", timeout=600)

    def container(self, service: str) -> str:
        """Container id of a service (empty string when it has none)."""
        return self.compose("ps", "-q", service).stdout.strip()

    def exec(
        self, service: str, *args: str, timeout: float = 120
    ) -> subprocess.CompletedProcess[str]:
        """A command in a running Airflow container, through its entrypoint (its settings)."""
        return self.compose(
            "exec", "-T", service, "hoopcast-airflow-entrypoint", *args, timeout=timeout
        )

    def health(self, service: str) -> str:
        """Docker's health status of a service's container ('' when it has none)."""
        cid = self.container(service)
        if not cid:
            return ""
        out = run("docker", "inspect", "-f", "{{.State.Health.Status}}", cid, check=False)
        return out.stdout.strip()

    def api(self) -> httpx.Client:
        """An authenticated client of the REST API v2 (admin user, generated password)."""
        password = self.exec("worker-a", "cat", "/opt/airflow/secrets/admin_password")
        base = f"http://127.0.0.1:{self.port}"
        token = httpx.post(
            f"{base}/auth/token",
            json={"username": "admin", "password": password.stdout.strip()},
            timeout=30,
        )
        token.raise_for_status()
        return httpx.Client(
            base_url=f"{base}/api/v2",
            headers={"Authorization": f"Bearer {token.json()['access_token']}"},
            timeout=30,
        )

    def counts(self) -> dict[str, int]:
        """Row counts of :data:`COUNTED` in the lake, read from a worker with its settings."""
        code = (
            "import json\n"
            "from hoopcast_common.db import connect\n"
            "from hoopcast_common.settings import load_settings\n"
            "c = connect(load_settings('predictor').warehouse, read_only=True, migrate=False)\n"
            f"print(json.dumps({{t: c.execute(f'SELECT count(*) FROM {{t}}').fetchone()[0]"
            f" for t in {COUNTED!r}}}))\n"
        )
        for service in WORKERS:
            out = self.exec(service, "python", "-c", code)
            if out.returncode == 0:
                return dict(json.loads(out.stdout.strip().splitlines()[-1]))
        raise AssertionError(f"lake not readable from a worker: {out.stderr[-2000:]}")


@pytest.fixture(scope="module")
def cluster() -> Iterator[Cluster]:
    """The cluster profile brought up; torn down with its volumes."""
    dep = Cluster(compose_or_skip(skip_reason()))
    dep.down()
    OUTPUT.mkdir(parents=True, exist_ok=True)
    try:
        up = dep.compose("up", "-d", timeout=900)
        assert up.returncode == 0, up.stderr[-4000:]
        yield dep
    finally:
        logs = dep.compose("logs", "--no-color", "--tail", "400", timeout=300)
        (OUTPUT / "cluster-compose.log").write_text(logs.stdout + logs.stderr)
        dep.down()


def wait_for(what: str, check: Any, timeout: float, every: float = 5) -> Any:
    """Poll ``check()`` until it returns something truthy; fail naming ``what``."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = check()
        if value:
            return value
        time.sleep(every)
    raise AssertionError(f"timed out after {timeout:.0f} s waiting for {what}")


def test_one_celery_scheduler_and_two_workers(cluster: Cluster) -> None:
    """ONE scheduler/api-server set on CeleryExecutor; worker-a and worker-b answer ping."""
    t0 = time.monotonic()
    for worker in WORKERS:
        wait_for(f"{worker} healthy", lambda w=worker: cluster.health(w) == "healthy", 600)
    print(f"\nworkers healthy {time.monotonic() - t0:.0f} s after the check began")
    for service in ["airflow-scheduler", "airflow-apiserver", "airflow-dag-processor"]:
        assert len(cluster.container(service).split()) == 1, service
        executor = cluster.exec(service, "airflow", "config", "get-value", "core", "executor")
        assert executor.stdout.strip().splitlines()[-1] == "CeleryExecutor", executor.stderr
    ping = cluster.exec("worker-a", "celery", "--app", CELERY_APP, "inspect", "ping")
    assert ping.returncode == 0, ping.stderr[-2000:]
    assert "celery@worker-a: OK" in ping.stdout and "celery@worker-b: OK" in ping.stdout
    for service in ["redis", "seaweedfs", "postgres"]:
        assert cluster.health(service) == "healthy", service
    # the scheduler runs no task: no Docker API address, and the workers have no data volume
    for worker in WORKERS:
        mounts = run("docker", "inspect", "-f", "{{json .Mounts}}", cluster.container(worker))
        assert "hoopcast-data" not in mounts.stdout


def stage_tasks(client: httpx.Client, run_id: str) -> list[dict[str, Any]]:
    """The task instances of a ``hoopcast_pipeline`` run (REST API v2)."""
    response = client.get(f"/dags/{DAG}/dagRuns/{run_id}/taskInstances", params={"limit": 100})
    response.raise_for_status()
    return list(response.json()["task_instances"])


def run_state(client: httpx.Client, run_id: str) -> str:
    """The state of a ``hoopcast_pipeline`` run."""
    response = client.get(f"/dags/{DAG}/dagRuns/{run_id}")
    response.raise_for_status()
    return str(response.json()["state"])


def lake_missing() -> str | None:
    """Why the stage images cannot run the whole pipeline on the cluster, or None: the
    DuckLake backend (``hoopcast_common.warehouse``) and an artefact store shared by the
    trainer's and the predictor's containers (``hoopcast_common.artifacts``,
    ``HOOPCAST_ARTIFACTS``) must both be in the images."""
    for module, what in (
        ("hoopcast_common.warehouse", "the DuckLake backend"),
        ("hoopcast_common.artifacts", "artefact store for models and reports"),
    ):
        probe = run(
            "docker", "run", "--rm", "--entrypoint", "python", f"hoopcast/predictor:{TAG}",
            "-c", f"import {module}", check=False,
        )  # fmt: skip
        if probe.returncode != 0:
            return f"the stage images have no {what} ({module})"
    return None


def test_pipeline_on_the_cluster_survives_a_killed_worker(cluster: Cluster) -> None:
    """Start-up run succeeds on the workers; a second run survives ``docker kill`` of the
    worker running a stage task (retried on the other worker) with the same row counts."""
    reason = lake_missing()
    if reason:
        pytest.skip(reason)
    t0 = time.monotonic()
    trigger = wait_for(
        "the hoopcast-trigger container", lambda: cluster.container("hoopcast-trigger"), 600
    )
    code = run("docker", "wait", trigger, timeout=TIMEOUT_S).stdout.strip()
    logs = run("docker", "logs", trigger, check=False)
    print(
        f"\nstart-up run ended {time.monotonic() - t0:.0f} s after the check began: {logs.stdout}"
    )
    assert code == "0", logs.stderr[-4000:]
    first_run = json.loads(logs.stdout.strip().splitlines()[-1])
    assert first_run["state"] == "success"

    client = cluster.api()
    hosts = {
        ti["hostname"] for ti in stage_tasks(client, first_run["dag_run_id"]) if ti["hostname"]
    }
    assert hosts and hosts <= set(WORKERS), hosts  # every task ran on a worker
    before = cluster.counts()
    print(f"after the start-up run: {before}; tasks ran on {sorted(hosts)}")
    assert all(n > 0 for n in before.values()), before

    # second run, same replay clock: kill the worker of the first stage task seen running
    created = client.post(f"/dags/{DAG}/dagRuns", json={"logical_date": None, "conf": {}})
    created.raise_for_status()
    run_id = created.json()["dag_run_id"]

    def running_stage() -> dict[str, Any] | None:
        for ti in stage_tasks(client, run_id):
            if (
                ti["state"] == "running"
                and ti["operator"] == "HoopcastStageOperator"
                and ti["hostname"] in WORKERS
            ):
                return ti
        return None

    victim = wait_for("a stage task running on a worker", running_stage, 900, every=1)
    time.sleep(3)  # its stage container has started
    killed = victim["hostname"]
    t_kill = time.monotonic()
    run("docker", "kill", cluster.container(killed))
    print(f"killed {killed} while it ran {victim['task_id']} (try {victim['try_number']})")

    state = wait_for(
        "the second run to end",
        lambda: (s := run_state(client, run_id)) in ("success", "failed") and s,
        TIMEOUT_S,
    )
    print(f"second run {state} {time.monotonic() - t_kill:.0f} s after the kill")
    tasks = {ti["task_id"]: ti for ti in stage_tasks(client, run_id)}
    retried = tasks[victim["task_id"]]
    print(f"{victim['task_id']}: try {retried['try_number']} on {retried['hostname']}")
    assert state == "success", {t: ti["state"] for t, ti in tasks.items()}
    assert retried["try_number"] > victim["try_number"]
    assert retried["hostname"] in WORKERS and retried["hostname"] != killed
    after = cluster.counts()
    print(f"after the second run: {after}")
    assert after == before
