"""Orchestration settings: runner mode, env profile, warehouse path, Docker options.

Resolved through :func:`hoopcast_common.settings.load_settings` for the service ``airflow``
(``env/<profile>/common.env``, then ``env/<profile>/airflow.env``, then the Airflow process
environment). Settings read here:

* ``HOOPCAST_RUNNER`` — ``docker`` (default; one container per stage task) or ``local``
  (the stage's console script in a subprocess; machines without Docker).
* ``HOOPCAST_ENV`` — the default env profile of stage tasks (a run's ``profile`` param wins).
* ``HOOPCAST_DB`` — the warehouse the sensors read (relative paths: from the project root).
* ``HOOPCAST_IMAGE_TAG`` (default ``latest``), ``HOOPCAST_DOCKER_NETWORK``,
  ``HOOPCAST_DATA_VOLUME`` (default ``hoopcast-data``), ``HOOPCAST_CPUS_<SERVICE>``,
  ``HOOPCAST_MEMORY_<SERVICE>`` (override the catalog's container limits).
* ``HOOPCAST_ALERT_WEBHOOK_URL`` — optional Slack-compatible webhook for failure alerts.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import Literal

from hoopcast_common.errors import ConfigError
from hoopcast_common.settings import PROFILES, Settings, load_settings, project_root

from hoopcast_airflow.catalog import RESOURCES, Resources

Runner = Literal["docker", "local"]

#: Paths inside the stage containers (DESIGN.md "Images and compose").
CONTAINER_DATA_DIR = "/data"
CONTAINER_DB = "/data/hoopcast.duckdb"
CONTAINER_MODEL_DIR = "/data/models"
DEFAULT_DATA_VOLUME = "hoopcast-data"


def airflow_settings(profile: str | None = None) -> Settings:
    """Settings of the ``airflow`` service under ``profile`` (default ``HOOPCAST_ENV``/local).

    Raises:
        ConfigError: the profile is unknown.
    """
    return load_settings("airflow", profile=profile)


def resolve_profile(requested: str | None) -> str:
    """The env profile of a run: ``requested`` (a run's param) or ``HOOPCAST_ENV`` or local.

    Raises:
        ConfigError: the profile is not one of :data:`hoopcast_common.settings.PROFILES`.
    """
    profile = requested or os.environ.get("HOOPCAST_ENV") or "local"
    if profile not in PROFILES:
        raise ConfigError(f"env profile {profile!r} is not one of {list(PROFILES)}")
    return profile


def runner_mode(settings: Settings) -> Runner:
    """``HOOPCAST_RUNNER`` as ``docker`` or ``local``.

    Raises:
        ConfigError: any other value (names the setting and where it came from).
    """
    raw = (settings.get("HOOPCAST_RUNNER") or "docker").strip().lower()
    if raw not in ("docker", "local"):
        raise ConfigError(
            f"setting HOOPCAST_RUNNER={raw!r} (from "
            f"{settings.sources.get('HOOPCAST_RUNNER', '?')}) must be 'docker' or 'local'"
        )
    return "docker" if raw == "docker" else "local"


def warehouse_path(settings: Settings) -> Path:
    """The DuckDB file the Airflow process reads: ``HOOPCAST_DB`` (relative: project root)."""
    raw = settings.get("HOOPCAST_DB") or "var/hoopcast.duckdb"
    path = Path(raw)
    return path if path.is_absolute() else project_root() / path


def resources_for(service: str, settings: Settings) -> Resources:
    """Container limits of ``service``: the catalog's, overridden by the profile's settings.

    Raises:
        ConfigError: ``HOOPCAST_CPUS_<SERVICE>`` is not a positive number.
    """
    base = RESOURCES[service]
    key = service.upper().replace("-", "_")
    cpus = settings.get_float(f"HOOPCAST_CPUS_{key}", base.cpus)
    if cpus <= 0:
        raise ConfigError(f"setting HOOPCAST_CPUS_{key}={cpus} must be a positive number")
    memory = settings.get(f"HOOPCAST_MEMORY_{key}") or base.memory
    return Resources(cpus=cpus, memory=memory)


def image_for(service: str, settings: Settings) -> str:
    """Image of a stage: ``hoopcast/<service>:<HOOPCAST_IMAGE_TAG or latest>``."""
    return f"hoopcast/{service}:{settings.get('HOOPCAST_IMAGE_TAG') or 'latest'}"


def console_script(name: str) -> Path:
    """Absolute path of a workspace console script (local mode).

    Looks in ``HOOPCAST_VENV_BIN`` when set, else beside the running interpreter (the venv's
    ``bin``).

    Raises:
        ConfigError: the script is not installed there.
    """
    bin_dir = Path(os.environ.get("HOOPCAST_VENV_BIN") or Path(sys.executable).parent)
    path = bin_dir / name
    if not path.is_file():
        raise ConfigError(
            f"console script {name!r} is not installed in {bin_dir} (run `uv sync` from the "
            "project root, or set HOOPCAST_VENV_BIN to the venv's bin folder)"
        )
    return path
