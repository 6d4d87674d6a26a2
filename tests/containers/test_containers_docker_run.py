"""Each stage image run by hand with ``docker run`` (the lines of docs/guides/containers.md).

Against a throwaway named volume (the warehouse at /data) and a throwaway network where the
real replay image answers as ``espn-replay``; the stages run in pipeline order on a short
window of the shipped data. Needs a Docker engine and the images built by
``scripts/build-images`` (skipped with the reason otherwise). Marked ``docker`` and ``slow``.
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
STAGE_ENV = ROOT / "compose" / "stage-replay.env"
TAG = "latest"
IMAGES = ["ingestion", "features", "trainer", "predictor", "espn-replay"]
AS_OF = "2026-02-07"

pytestmark = [pytest.mark.docker, pytest.mark.slow]


def docker(
    *args: str, timeout: float = 600, check: bool = True
) -> subprocess.CompletedProcess[str]:
    """Run the docker CLI; returns the completed process (text output)."""
    return subprocess.run(
        ["docker", *args], capture_output=True, text=True, timeout=timeout, check=check
    )


def engine_problem() -> str | None:
    """Why Docker tests cannot run here (None when the engine and images are there)."""
    if shutil.which("docker") is None:
        return "docker CLI not installed"
    try:
        if docker("info", timeout=20, check=False).returncode != 0:
            return "no reachable Docker engine (docker info failed)"
    except subprocess.TimeoutExpired:
        return "Docker engine did not answer docker info within 20 s"
    missing = [
        f"hoopcast/{name}:{TAG}"
        for name in IMAGES
        if docker("image", "inspect", f"hoopcast/{name}:{TAG}", check=False).returncode != 0
    ]
    if missing:
        return f"images not built (run scripts/build-images): {', '.join(missing)}"
    return None


@dataclass(frozen=True)
class Sandbox:
    """A throwaway Docker network (with the replay server as ``espn-replay``) and volume."""

    network: str
    volume: str

    def run_stage(self, stage: str, *args: str) -> tuple[int, dict[str, object], str]:
        """``docker run`` one stage command as documented; returns (exit code, summary, logs)."""
        proc = docker(
            "run", "--rm", "--network", self.network, "-v", f"{self.volume}:/data",
            "--env-file", str(STAGE_ENV), "--memory", "2g", "--cpus", "1",
            f"hoopcast/{stage}:{TAG}", *args,
            timeout=1200, check=False,
        )  # fmt: skip
        lines = [line for line in proc.stdout.splitlines() if line.strip()]
        summary = json.loads(lines[-1]) if lines and lines[-1].startswith("{") else {}
        return proc.returncode, summary, proc.stderr[-4000:]


@pytest.fixture(scope="module")
def sandbox() -> Iterator[Sandbox]:
    """Network + volume + running replay container; all removed afterwards."""
    problem = engine_problem()
    if problem:
        pytest.skip(problem)
    suffix = uuid.uuid4().hex[:8]
    box = Sandbox(network=f"hoopcast-test-{suffix}", volume=f"hoopcast-test-data-{suffix}")
    replay = f"hoopcast-test-replay-{suffix}"
    docker("network", "create", box.network)
    docker("volume", "create", box.volume)
    try:
        docker(
            "run", "-d", "--name", replay, "--network", box.network,
            "--network-alias", "espn-replay", f"hoopcast/espn-replay:{TAG}",
        )  # fmt: skip
        deadline = time.monotonic() + 180
        status = ""
        while time.monotonic() < deadline:
            status = docker(
                "inspect", "-f", "{{.State.Health.Status}}", replay, check=False
            ).stdout.strip()
            if status == "healthy":
                break
            time.sleep(2)
        assert status == "healthy", docker("logs", replay, check=False).stderr[-3000:]
        yield box
    finally:
        docker("rm", "-f", replay, check=False)
        docker("volume", "rm", "-f", box.volume, check=False)
        docker("network", "rm", box.network, check=False)


def test_images_run_as_non_root_with_oci_labels() -> None:
    """Every stage image: non-root user, the console script as ENTRYPOINT, OCI title label."""
    problem = engine_problem()
    if problem:
        pytest.skip(problem)
    for name in IMAGES:
        info = json.loads(docker("image", "inspect", f"hoopcast/{name}:{TAG}").stdout)[0]
        config = info["Config"]
        assert config["User"] not in ("", "root", "0", "0:0"), name
        assert config["Entrypoint"] == [f"hoopcast-{name}"], name
        assert config["Labels"]["org.opencontainers.image.title"] == f"hoopcast/{name}"
        env = dict(item.split("=", 1) for item in config["Env"])
        assert env["HOOPCAST_DB"] == "/data/hoopcast.duckdb", name
        has_data = docker(
            "run", "--rm", "--entrypoint", "test", f"hoopcast/{name}:{TAG}",
            "-d", "/app/data/results", check=False,
        ).returncode == 0  # fmt: skip
        assert has_data == (name == "espn-replay"), f"{name}: /app/data only in the replay image"


def test_stages_in_order_by_docker_run(sandbox: Sandbox) -> None:
    """ingestion → features → trainer → predictor, each a documented ``docker run`` line."""
    code, summary, logs = sandbox.run_stage(
        "ingestion", "collect", "--from", "2025-11-03", "--to", "2026-02-14", "--as-of", AS_OF
    )
    assert code == 0, logs
    assert summary["stage"] == "ingestion" and summary["status"] == "success", summary

    code, summary, logs = sandbox.run_stage("features", "build", "--as-of", AS_OF)
    assert code == 0, logs
    assert summary["stage"] == "features", summary

    # A short real window: train on this season's first nine weeks, validate on the next four.
    code, summary, logs = sandbox.run_stage(
        "trainer", "train", "--as-of", AS_OF, "--train-from", "2025-11-03",
        "--train-until", "2026-01-10", "--validate-from", "2026-01-11",
        "--validate-to", "2026-02-06",
    )  # fmt: skip
    assert code == 0, logs
    assert summary["stage"] == "trainer", summary
    # On nine weeks the promotion gate may keep the model a candidate (it must beat Elo):
    # then promote it by hand, as an operator would (`hoopcast-trainer promote VERSION`).
    version = re.search(r'"model_version": "([^"]+)"', json.dumps(summary))
    assert version, summary
    if '"promoted' not in json.dumps(summary):
        code, summary, logs = sandbox.run_stage(
            "trainer", "promote", version.group(1), "--as-of", AS_OF
        )
        assert code == 0, logs

    code, summary, logs = sandbox.run_stage("predictor", "predict", "--days", "7", "--as-of", AS_OF)
    assert code == 0, logs
    assert summary["stage"] == "predictor", summary

    # The warehouse on the volume now holds the predictions (read with the image's duckdb).
    query = (
        "import duckdb; c = duckdb.connect('/data/hoopcast.duckdb', read_only=True); "
        "print(c.execute('select count(*) from predictions.predictions').fetchone()[0])"
    )
    out = docker(
        "run", "--rm", "-v", f"{sandbox.volume}:/data", "--entrypoint", "python",
        f"hoopcast/predictor:{TAG}", "-c", query,
    ).stdout  # fmt: skip
    assert int(out.strip()) > 0
