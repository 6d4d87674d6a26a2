"""The docker CLI for the container tests, and why they cannot run here."""

from __future__ import annotations

import shutil
import subprocess
from collections.abc import Sequence

TAG = "latest"
"""Tag of the hoopcast images the tests run (``scripts/build-images`` builds it)."""


def docker(
    *args: str, timeout: float = 600, check: bool = True
) -> subprocess.CompletedProcess[str]:
    """Run the docker CLI; returns the completed process (text output).

    Raises:
        subprocess.CalledProcessError: non-zero exit and ``check``.
        subprocess.TimeoutExpired: it ran longer than ``timeout`` seconds.
    """
    return subprocess.run(
        ["docker", *args], capture_output=True, text=True, timeout=timeout, check=check
    )


def engine_problem(images: Sequence[str]) -> str | None:
    """Why Docker tests cannot run here: no docker CLI, no engine answering ``docker info``
    within 20 s, or images ``hoopcast/<name>:TAG`` of ``images`` not built; None when they can."""
    if shutil.which("docker") is None:
        return "docker CLI not installed"
    try:
        if docker("info", timeout=20, check=False).returncode != 0:
            return "no reachable Docker engine (docker info failed)"
    except subprocess.TimeoutExpired:
        return "Docker engine did not answer docker info within 20 s"
    missing = [
        f"hoopcast/{name}:{TAG}"
        for name in images
        if docker("image", "inspect", f"hoopcast/{name}:{TAG}", check=False).returncode != 0
    ]
    if missing:
        return f"images not built (run scripts/build-images): {', '.join(missing)}"
    return None


def volume_modes(volume: str) -> dict[str, str]:
    """``name -> "mode uid:gid"`` of a volume's folder (key ``.``) and every file in it, read
    in a throw-away ``hoopcast/airflow`` container."""
    out = docker(
        "run", "--rm", "-v", f"{volume}:/s", "--entrypoint", "sh", f"hoopcast/airflow:{TAG}",
        "-c", 'cd /s && stat -c "%n %a %u:%g" . *',
    ).stdout  # fmt: skip
    return {line.split()[0]: " ".join(line.split()[1:]) for line in out.splitlines()}
