"""Security of the compose deployment's images, on a real Docker engine.

* Secret files (``hoopcast-airflow-entrypoint secrets``) are 0600, owned by uid 50000 (the
  Airflow containers that read them), in a 0700 folder, also when an older volume held 0644
  files; the PostgreSQL image reads its password file as root, then serves as ``postgres``.
* ``hoopcast/docker-proxy`` forwards a real stage container's whole life as Airflow's
  DockerOperator runs it, and answers 403 to every other Docker API call tried here.

Marked ``docker``; skipped with the reason without an engine or the images.
"""

from __future__ import annotations

import io
import json
import time
import uuid
from collections.abc import Iterator
from typing import Any

import pytest
from docker_testing import TAG, docker, engine_problem, volume_modes
from support.network import free_port

IMAGES = ["airflow", "postgres", "docker-proxy", "ingestion"]

pytestmark = [pytest.mark.docker, pytest.mark.slow]


@pytest.fixture
def volume() -> Iterator[str]:
    """A throwaway named volume."""
    reason = engine_problem(IMAGES)
    if reason:
        pytest.skip(reason)
    name = f"hoopcast-test-secrets-{uuid.uuid4().hex[:8]}"
    docker("volume", "create", name)
    try:
        yield name
    finally:
        docker("volume", "rm", "-f", name, check=False)


def test_secret_files_are_0600_and_owned_by_their_reader(volume: str) -> None:
    # An older version's volume: a world-readable password file is there already.
    docker(
        "run", "--rm", "-v", f"{volume}:/opt/airflow/secrets", "--entrypoint", "sh",
        f"hoopcast/airflow:{TAG}", "-c",
        "echo old-password > /opt/airflow/secrets/postgres_password && "
        "chmod 0644 /opt/airflow/secrets/postgres_password",
    )  # fmt: skip
    made = docker(
        "run", "--rm", "-v", f"{volume}:/opt/airflow/secrets", "-e", "HOOPCAST_ENV=replay",
        f"hoopcast/airflow:{TAG}", "secrets",
    )  # fmt: skip
    assert "secrets ready" in made.stderr
    seen = volume_modes(volume)
    assert seen.pop(".") == "700 50000:0"
    assert set(seen) >= {"postgres_password", "jwt_secret", "api_secret_key", "fernet_key",
                         "admin_password", "passwords.json"}  # fmt: skip
    assert all(v == "600 50000:0" for v in seen.values()), seen
    # the existing password was kept (the database was initialised with it), only its mode fixed
    pw = docker(
        "run", "--rm", "-v", f"{volume}:/s", "--entrypoint", "cat", f"hoopcast/airflow:{TAG}",
        "/s/postgres_password",
    ).stdout.strip()  # fmt: skip
    assert pw == "old-password"


def test_production_profile_never_accepts_admin_admin(volume: str) -> None:
    out = docker(
        "run", "--rm", "-v", f"{volume}:/opt/airflow/secrets", "-e", "HOOPCAST_ENV=production",
        "-e", "HOOPCAST_AIRFLOW_ADMIN_PASSWORD=admin", f"hoopcast/airflow:{TAG}", "secrets",
        check=False,
    )  # fmt: skip
    assert out.returncode != 0 and "neither the user name nor 'admin'" in out.stderr
    ok = docker(
        "run", "--rm", "-v", f"{volume}:/opt/airflow/secrets", "-e", "HOOPCAST_ENV=production",
        f"hoopcast/airflow:{TAG}", "secrets",
    )  # fmt: skip
    assert "auth manager: fab" in ok.stderr
    assert "passwords.json" not in volume_modes(volume)  # no SimpleAuthManager file under FAB


def test_postgres_reads_its_0600_password_as_root_then_serves_as_postgres(volume: str) -> None:
    docker(
        "run", "--rm", "-v", f"{volume}:/opt/airflow/secrets", f"hoopcast/airflow:{TAG}", "secrets"
    )
    name = f"hoopcast-test-pg-{uuid.uuid4().hex[:8]}"
    docker(
        "run", "-d", "--name", name, "-e", "POSTGRES_USER=airflow", "-e", "POSTGRES_DB=airflow",
        "-e", "POSTGRES_PASSWORD_FILE=/run/hoopcast-secrets/postgres_password",
        "-v", f"{volume}:/run/hoopcast-secrets:ro", f"hoopcast/postgres:{TAG}",
    )  # fmt: skip
    try:
        status, deadline = "", time.monotonic() + 120
        while status != "healthy" and time.monotonic() < deadline:
            time.sleep(2)
            status = docker("inspect", "-f", "{{.State.Health.Status}}", name).stdout.strip()
        assert status == "healthy", docker("logs", name, check=False).stderr[-2000:]
        password = docker(
            "run", "--rm", "-v", f"{volume}:/s", "--entrypoint", "cat", f"hoopcast/airflow:{TAG}",
            "/s/postgres_password",
        ).stdout.strip()  # fmt: skip
        url = "postgresql://airflow:{}@127.0.0.1:5432/airflow"
        good = docker("exec", name, "psql", url.format(password), "-tAc", "select 42", check=False)
        assert good.stdout.strip() == "42", good.stderr
        bad = docker("exec", name, "psql", url.format("wrong"), "-tAc", "select 1", check=False)
        assert bad.returncode != 0 and "password authentication failed" in bad.stderr
        # every server process runs as user postgres, none as root
        procs = docker(
            "exec", name, "sh", "-c",
            "for s in /proc/[0-9]*/status; do "
            "awk '/^Name:|^Uid:/ {printf \"%s \", $2} END {print \"\"}' $s; done",
        ).stdout.split("\n")  # fmt: skip
        servers = [p.split() for p in procs if p.startswith("postgres ")]
        assert servers and all(uid != "0" for _, uid in servers), procs
    finally:
        docker("rm", "-f", name, check=False)


@pytest.fixture
def proxy_url() -> Iterator[str]:
    """hoopcast/docker-proxy on a loopback port, hardened as in compose; its URL."""
    reason = engine_problem(IMAGES)
    if reason:
        pytest.skip(reason)
    port, name = free_port(), f"hoopcast-test-proxy-{uuid.uuid4().hex[:8]}"
    docker(
        "run", "-d", "--name", name, "-p", f"127.0.0.1:{port}:2375",
        "-v", "/var/run/docker.sock:/var/run/docker.sock", "--read-only", "--cap-drop", "ALL",
        "--cap-add", "SETUID", "--cap-add", "SETGID", "--security-opt", "no-new-privileges:true",
        f"hoopcast/docker-proxy:{TAG}",
    )  # fmt: skip
    url = f"tcp://127.0.0.1:{port}"
    try:
        import docker as docker_py

        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            try:
                docker_py.APIClient(base_url=url, version="auto", timeout=5).close()
                break
            except Exception:
                time.sleep(0.5)
        yield url
    finally:
        logs = docker("logs", name, check=False)
        print(logs.stdout[-3000:], logs.stderr[-1000:])
        docker("rm", "-f", name, check=False)


def test_docker_operator_runs_a_stage_container_through_the_proxy(proxy_url: str) -> None:
    from airflow.providers.docker.operators.docker import DockerOperator

    op = DockerOperator(
        task_id="through_proxy",
        image=f"hoopcast/ingestion:{TAG}",
        command=["--help"],
        docker_url=proxy_url,
        mem_limit="256m",
        auto_remove="success",
        mount_tmp_dir=False,
        xcom_all=True,
    )
    lines: Any = op.execute({})
    assert any("collect" in str(line) for line in lines), lines  # the CLI's usage text


def test_docker_proxy_refuses_everything_else(proxy_url: str) -> None:
    from docker.errors import APIError

    import docker as docker_py

    api = docker_py.APIClient(base_url=proxy_url, version="auto", timeout=30)
    image = f"hoopcast/ingestion:{TAG}"

    def create(**host: Any) -> Any:
        return api.create_container(image, ["--help"], host_config=api.create_host_config(**host))

    refused: dict[str, Any] = {
        "list containers": lambda: api.containers(all=True),
        "engine info": api.info,
        "pull an image": lambda: api.pull("busybox", tag="latest"),
        "list volumes": api.volumes,
        "exec in a container": lambda: api.exec_create("anything", ["id"]),
        "another image": lambda: api.create_container("debian:bookworm-slim", ["id"]),
        "privileged": lambda: create(privileged=True),
        "host bind mount": lambda: create(binds=["/:/host"]),
        "host network": lambda: create(network_mode="host"),
        "host pid": lambda: create(pid_mode="host"),
        "added capability": lambda: create(cap_add=["SYS_ADMIN"]),
        "build": lambda: list(api.build(fileobj=io.BytesIO(b"FROM scratch"))),
    }
    answers = {}
    for what, call in refused.items():
        try:
            call()
            answers[what] = "allowed"
        except APIError as exc:
            answers[what] = exc.status_code
    assert answers == dict.fromkeys(refused, 403), json.dumps(answers)
    # a stage-like container with a named volume is allowed (then removed)
    named = f"hoopcast-test-proxy-{uuid.uuid4().hex[:8]}"
    try:
        created = create(mounts=[{"Type": "volume", "Source": named, "Target": "/data"}])
        api.remove_container(created["Id"])
    finally:
        docker("volume", "rm", "-f", named, check=False)


def test_production_ui_uses_fab_users_from_the_metadata_db() -> None:
    """Under HOOPCAST_ENV=production the api-server authenticates FAB users of the metadata DB:
    the generated admin password gets a JWT (201), admin/admin does not."""
    reason = engine_problem(IMAGES)
    if reason:
        pytest.skip(reason)
    import httpx

    port, name = free_port(), f"hoopcast-test-fab-{uuid.uuid4().hex[:8]}"
    script = (
        "hoopcast-airflow-entrypoint secrets && hoopcast-airflow-entrypoint init >/dev/null && "
        "exec hoopcast-airflow-entrypoint airflow api-server --port 8080"
    )
    docker(
        "run", "-d", "--name", name, "-p", f"127.0.0.1:{port}:8080",
        "-e", "HOOPCAST_ENV=production",
        "-e", "AIRFLOW__DATABASE__SQL_ALCHEMY_CONN=sqlite:////opt/airflow/airflow.db",
        f"hoopcast/airflow:{TAG}", "bash", "-c", script,
    )  # fmt: skip
    base = f"http://127.0.0.1:{port}"
    try:
        deadline, health = time.monotonic() + 300, 0
        while time.monotonic() < deadline and health != 200:
            time.sleep(3)
            try:
                health = httpx.get(f"{base}/api/v2/monitor/health", timeout=5).status_code
            except httpx.HTTPError:
                health = 0
            state = docker("inspect", "-f", "{{.State.Status}}", name).stdout.strip()
            assert state == "running", docker("logs", name, check=False).stderr[-3000:]
        assert health == 200, docker("logs", name, check=False).stderr[-3000:]
        password = docker("exec", name, "cat", "/opt/airflow/secrets/admin_password").stdout.strip()
        # FAB's CLI lists the admin user from the metadata DB (SimpleAuthManager has no users)
        users = docker(
            "exec", name, "hoopcast-airflow-entrypoint", "airflow", "users", "list", "-o", "json"
        ).stdout  # fmt: skip
        assert '"username": "admin"' in users and '"Admin"' in users, users[-2000:]
        token = httpx.post(
            f"{base}/auth/token", json={"username": "admin", "password": password}, timeout=30
        )
        assert token.status_code in (200, 201), token.text
        dags = httpx.get(
            f"{base}/api/v2/dags",
            headers={"Authorization": f"Bearer {token.json()['access_token']}"},
            timeout=30,
        )
        assert dags.status_code == 200, dags.text
        weak = httpx.post(
            f"{base}/auth/token", json={"username": "admin", "password": "admin"}, timeout=30
        )
        assert weak.status_code in (400, 401, 403), weak.text
    finally:
        docker("rm", "-f", name, check=False)
