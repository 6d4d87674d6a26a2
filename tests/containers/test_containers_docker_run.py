"""Each stage image run by hand with ``docker run``: the lines of README.md, as written.

The ``bash`` block of README's "One stage at a time: ``docker run``" section is read from the
README and run line by line (continuation lines joined), so the README and this test cannot
drift. Only the names change, to keep a real deployment safe: network ``hoopcast``, volume
``hoopcast-data`` and container ``espn-replay`` become throwaway ones (the replay container
keeps ``espn-replay`` as its network alias, which the env file names). Needs a Docker engine
and the images built by ``scripts/build-images`` (skipped with the reason otherwise). Marked
``docker`` and ``slow``.
"""

from __future__ import annotations

import json
import re
import subprocess
import uuid
from dataclasses import dataclass
from pathlib import Path

import pytest
from docker_testing import TAG, docker, engine_problem

ROOT = Path(__file__).resolve().parents[2]
IMAGES = ["ingestion", "features", "trainer", "predictor", "espn-replay"]
AS_OF = "2026-02-07"

pytestmark = [pytest.mark.docker, pytest.mark.slow]


@dataclass(frozen=True)
class Sandbox:
    """A throwaway Docker network and volume standing in for ``hoopcast`` / ``hoopcast-data``."""

    network: str
    volume: str


def test_images_run_as_non_root_with_oci_labels() -> None:
    """Every stage image: non-root user, the console script as ENTRYPOINT, OCI title label."""
    problem = engine_problem(IMAGES)
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


README = ROOT / "README.md"


def readme_commands() -> list[str]:
    """The commands of README's ``docker run`` block, continuation lines joined, in order."""
    text = README.read_text()
    section = text.split("## One stage at a time: `docker run`", 1)[1].split("\n## ", 1)[0]
    block = re.search(r"```bash\n(.*?)```", section, re.S)
    assert block, "README.md has no bash block in its docker run section"
    commands, current = [], ""
    for line in block.group(1).splitlines():
        if not current and (not line.strip() or line.lstrip().startswith("#")):
            continue
        current += line[:-1] if line.endswith("\\") else line
        if not line.endswith("\\"):
            commands.append(current)
            current = ""
    return commands


def sandboxed(command: str, box: Sandbox, replay: str) -> str:
    """``command`` with the README's network, volume and replay container names replaced."""
    command = re.sub(r"(?<![\w/-])hoopcast-data(?=:|$|\s)", box.volume, command)
    command = re.sub(r"(network create|--network) hoopcast(?=\s|$)", rf"\1 {box.network}", command)
    command = re.sub(r"(?<![\w/:.-])espn-replay(?![\w.:-])", replay, command)
    return command.replace(f"--name {replay}", f"--name {replay} --network-alias espn-replay")


def test_readme_docker_run_lines_run_as_written() -> None:
    """ingestion → features → trainer (train, promote) → predictor: every README line exits 0."""
    problem = engine_problem(IMAGES)
    if problem:
        pytest.skip(problem)
    commands = readme_commands()
    images = [re.search(r"hoopcast/([a-z-]+)", c) for c in commands if c.startswith("docker run")]
    assert [m.group(1) for m in images if m] == [
        "espn-replay", "ingestion", "features", "trainer", "trainer", "predictor",
    ]  # fmt: skip
    suffix = uuid.uuid4().hex[:8]
    box = Sandbox(network=f"hoopcast-test-{suffix}", volume=f"hoopcast-test-data-{suffix}")
    replay = f"hoopcast-test-replay-{suffix}"
    summaries: list[dict[str, object]] = []
    try:
        for command in commands:
            line = sandboxed(command, box, replay)
            assert "hoopcast-data" not in line and " hoopcast " not in f"{line} ", line
            proc = subprocess.run(
                ["bash", "-c", line], cwd=ROOT, capture_output=True, text=True, timeout=1200
            )
            assert proc.returncode == 0, f"{command}\nexit {proc.returncode}\n{proc.stderr[-3000:]}"
            last = [x for x in proc.stdout.splitlines() if x.startswith("{")]
            if "--rm" in line and last:
                summaries.append(json.loads(last[-1]))
        assert [s["stage"] for s in summaries] == [
            "ingestion", "features", "trainer", "trainer", "predictor",
        ], summaries  # fmt: skip
        assert all(s["status"] == "success" for s in summaries), summaries
        # The warehouse on the volume holds the week's predictions (read with the image's duckdb).
        query = (
            "import duckdb; c = duckdb.connect('/data/hoopcast.duckdb', read_only=True); "
            "print(c.execute('select count(*) from predictions.predictions').fetchone()[0])"
        )
        out = docker(
            "run", "--rm", "-v", f"{box.volume}:/data", "--entrypoint", "python",
            f"hoopcast/predictor:{TAG}", "-c", query,
        ).stdout  # fmt: skip
        assert int(out.strip()) > 0
    finally:
        docker("rm", "-f", replay, check=False)
        docker("volume", "rm", "-f", box.volume, check=False)
        docker("network", "rm", box.network, check=False)
