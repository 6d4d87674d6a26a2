"""The compose project of the end-to-end tests: the docker CLI, the compose command, why a
compose test cannot run here, and one compose subcommand run against the project."""

from __future__ import annotations

import os
import shutil
import subprocess
from collections.abc import Sequence
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
COMPOSE_FILE = ROOT / "compose" / "docker-compose.yml"
PROJECT = "hoopcast"


def run(*args: str, timeout: float = 600, check: bool = True) -> subprocess.CompletedProcess[str]:
    """Run a command (text output); raises CalledProcessError when check and it fails."""
    return subprocess.run(args, capture_output=True, text=True, timeout=timeout, check=check)


def compose_cmd() -> list[str] | None:
    """``docker compose`` (v2 plugin) if it works, else ``docker-compose`` (v1), else None."""
    if run("docker", "compose", "version", check=False).returncode == 0:
        return ["docker", "compose"]
    if shutil.which("docker-compose"):
        return ["docker-compose"]
    return None


def compose_problem(images: Sequence[str], tag: str, hint: str) -> str | None:
    """Why a compose test cannot run here (no docker CLI, no engine, no compose, or images
    ``hoopcast/<name>:<tag>`` missing; ``hint`` says how to build them), or None."""
    if shutil.which("docker") is None:
        return "docker CLI not installed"
    if run("docker", "info", check=False, timeout=30).returncode != 0:
        return "no reachable Docker engine"
    if compose_cmd() is None:
        return "neither `docker compose` nor `docker-compose` is available"
    missing = [
        name
        for name in images
        if run("docker", "image", "inspect", f"hoopcast/{name}:{tag}", check=False).returncode
    ]
    if missing:
        return f"images not built ({hint}): {missing}"
    return None


def compose_or_skip(reason: str | None) -> list[str]:
    """The compose command, after skipping the calling test when ``reason`` (a
    :func:`compose_problem`) says it cannot run here."""
    if reason:
        pytest.skip(reason)
    compose = compose_cmd()
    assert compose is not None
    return compose


class ComposeProject:
    """``<compose> -f compose/docker-compose.yml -p hoopcast --profile ...`` with its own
    environment (``env``, a copy of this process's)."""

    def __init__(self, compose: list[str], profiles: Sequence[str]) -> None:
        self.base = [*compose, "-f", str(COMPOSE_FILE), "-p", PROJECT]
        for profile in profiles:
            self.base += ["--profile", profile]
        self.env = dict(os.environ)

    def compose(self, *args: str, timeout: float = 600) -> subprocess.CompletedProcess[str]:
        """Run one compose subcommand of this project (never raises on a non-zero exit)."""
        return subprocess.run(
            [*self.base, *args],
            capture_output=True,
            text=True,
            timeout=timeout,
            env=self.env,
            cwd=ROOT,
            check=False,
        )
