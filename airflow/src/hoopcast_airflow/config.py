"""Orchestration settings: runner mode, env profile, warehouse path, Docker and Kubernetes options.

Resolved through :func:`hoopcast_common.settings.load_settings` for the service ``airflow``
(``env/<profile>/common.env``, then ``env/<profile>/airflow.env``, then the Airflow process
environment). Settings read here:

* ``HOOPCAST_RUNNER`` — ``docker`` (default; one container per stage task), ``local``
  (the stage's console script in a subprocess; machines without Docker) or ``kubernetes``
  (one pod per stage task; :mod:`hoopcast_airflow.pod_operator`).
* ``HOOPCAST_ENV`` — the default env profile of stage tasks (a run's ``profile`` param wins).
* ``HOOPCAST_DB`` — the warehouse the sensors read (relative paths: from the project root).
* ``HOOPCAST_IMAGE_REGISTRY`` (optional prefix of the image names, e.g.
  ``registry.example.com``), ``HOOPCAST_IMAGE_TAG`` (default ``latest``),
  ``HOOPCAST_DOCKER_NETWORK``,
  ``HOOPCAST_DATA_VOLUME`` (default ``hoopcast-data``; empty or ``none``: no data volume, as
  in the compose profile ``cluster`` whose warehouse is a DuckLake), ``HOOPCAST_CPUS_<SERVICE>``,
  ``HOOPCAST_MEMORY_<SERVICE>`` (override the catalog's container limits).
* The warehouse and artefact settings forwarded to stage containers when set for Airflow
  (:data:`FORWARDED_ENV`), and the lake credentials (:data:`STAGE_CREDENTIALS`), read from
  ``<NAME>_FILE`` or ``<NAME>`` by :func:`stage_credentials`.
* ``HOOPCAST_ALERT_WEBHOOK_URL`` — optional Slack-compatible webhook for failure alerts (a
  secret: never logged, never passed to stage processes).
* ``HOOPCAST_DOCKER_URL`` — the Docker API the stage operator talks to (default ``DOCKER_HOST``,
  else the local socket; compose: the ``docker-proxy`` service, which allows only the calls of
  a stage container's life).

* ``HOOPCAST_K8S_*`` — the kubernetes runner's namespace, service account, Secrets, data
  volume claim and cluster access (:func:`kubernetes_settings`); ``HOOPCAST_WAREHOUSE`` and
  ``HOOPCAST_ARTIFACTS`` — the warehouse backend and artefact store handed to its pods.

Local mode hands a stage process only the environment it needs: :func:`stage_process_env`.
"""

from __future__ import annotations

import os
import re
import sys
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Literal, cast, get_args

from hoopcast_common.errors import ConfigError
from hoopcast_common.settings import PROFILES, Settings, load_settings, project_root

from hoopcast_airflow.catalog import RESOURCES, Resources

Runner = Literal["docker", "local", "kubernetes"]

#: The values of ``HOOPCAST_RUNNER``.
RUNNERS: tuple[str, ...] = get_args(Runner)

#: Paths inside the stage containers (DESIGN.md "Images and compose").
CONTAINER_DATA_DIR = "/data"
CONTAINER_DB = "/data/hoopcast.duckdb"
CONTAINER_MODEL_DIR = "/data/models"
DEFAULT_DATA_VOLUME = "hoopcast-data"
DEFAULT_DOCKER_URL = "unix://var/run/docker.sock"

#: Process-environment settings forwarded into stage containers when set for Airflow: the
#: ESPN endpoint, and the warehouse and artefact settings of a DuckLake deployment (the
#: compose profile ``cluster``; names as in :mod:`hoopcast_common.settings`).
FORWARDED_ENV = (
    "ESPN_BASE_URL",
    "HOOPCAST_WAREHOUSE",
    "HOOPCAST_LAKE_DATA_PATH",
    "HOOPCAST_LAKE_S3_ENDPOINT",
    "HOOPCAST_LAKE_S3_REGION",
    "HOOPCAST_LAKE_S3_URL_STYLE",
    "HOOPCAST_LAKE_S3_USE_SSL",
    "HOOPCAST_ARTIFACTS",
)

#: Credentials a stage container gets through ``private_environment`` (never rendered nor
#: logged) when Airflow has them: the DuckLake catalog's PostgreSQL password and the S3 keys.
STAGE_CREDENTIALS = (
    "HOOPCAST_LAKE_PG_PASSWORD",
    "HOOPCAST_LAKE_S3_KEY_ID",
    "HOOPCAST_LAKE_S3_SECRET",
)

#: Setting names that look secret: passed to containers through ``private_environment`` (never
#: rendered nor logged) and never handed to local-mode stage processes.
SECRET_NAME = re.compile(r"(SECRET|TOKEN|PASSWORD|PASSWD|API_KEY|CREDENTIAL|WEBHOOK|FERNET)", re.I)

#: Prefixes of the settings a stage reads (``env/<profile>/*.env``; DESIGN.md "Settings").
STAGE_ENV_PREFIXES = ("HOOPCAST_", "ESPN_", "TRAINER_", "PREDICTOR_", "FEATURES_", "REPLAY_")

#: Process settings a stage process needs besides its own: executables, home, locale, time
#: zone, temp folder, CA bundle and proxies (live ESPN), BLAS/OpenMP threading.
STAGE_ENV_NAMES = frozenset(
    {
        "PATH", "HOME", "USER", "LOGNAME", "LANG", "LANGUAGE", "LC_ALL", "LC_CTYPE", "TZ",
        "TMPDIR", "VIRTUAL_ENV", "SSL_CERT_FILE", "SSL_CERT_DIR", "REQUESTS_CA_BUNDLE",
        "HTTP_PROXY", "HTTPS_PROXY", "NO_PROXY", "http_proxy", "https_proxy", "no_proxy",
        "OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "OPENBLAS_CORETYPE", "OPENBLAS_L2_SIZE",
        "PYTHONDONTWRITEBYTECODE", "PYTHONUNBUFFERED",
    }
)  # fmt: skip


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
    """``HOOPCAST_RUNNER`` as ``docker`` (default), ``local`` or ``kubernetes``.

    Raises:
        ConfigError: any other value (names the value, the setting and where it came from).
    """
    raw = (settings.get("HOOPCAST_RUNNER") or "docker").strip().lower()
    if raw in RUNNERS:
        return cast(Runner, raw)
    raise ConfigError(
        f"setting HOOPCAST_RUNNER={raw!r} (from "
        f"{settings.sources.get('HOOPCAST_RUNNER', '?')}) must be one of {list(RUNNERS)}"
    )


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
    """Image of a stage: ``[<HOOPCAST_IMAGE_REGISTRY>/]hoopcast/<service>:<HOOPCAST_IMAGE_TAG
    or latest>`` (the registry prefix without a trailing slash; unset = the engine's default)."""
    registry = (settings.get("HOOPCAST_IMAGE_REGISTRY") or "").strip().rstrip("/")
    name = f"hoopcast/{service}:{settings.get('HOOPCAST_IMAGE_TAG') or 'latest'}"
    return f"{registry}/{name}" if registry else name


def stage_process_env(environ: Mapping[str, str]) -> dict[str, str]:
    """The environment of a local-mode stage process, from the Airflow process's ``environ``.

    An allow-list: names in :data:`STAGE_ENV_NAMES` and names starting with one of
    :data:`STAGE_ENV_PREFIXES`, less every name matching :data:`SECRET_NAME` (the alert
    webhook). Airflow's own settings (``AIRFLOW__*``: Fernet key, JWT secret, metadata
    database URL) and anything else in Airflow's environment are left out.
    """
    return {
        key: value
        for key, value in environ.items()
        if (key in STAGE_ENV_NAMES or key.startswith(STAGE_ENV_PREFIXES))
        and not SECRET_NAME.search(key)
    }


def data_volume(settings: Settings) -> str | None:
    """The volume mounted at ``/data`` in stage containers: ``HOOPCAST_DATA_VOLUME`` (a named
    volume, or an absolute host path to bind-mount), :data:`DEFAULT_DATA_VOLUME` when unset,
    None (no volume) when set empty or to ``none``."""
    raw = settings.get("HOOPCAST_DATA_VOLUME")
    if raw is None:
        return DEFAULT_DATA_VOLUME
    raw = raw.strip()
    return None if raw.lower() in ("", "none") else raw


def stage_credentials(environ: Mapping[str, str]) -> dict[str, str]:
    """The :data:`STAGE_CREDENTIALS` Airflow has, name → value: each from the file named by
    ``<NAME>_FILE`` in ``environ`` (trailing newline removed), else ``<NAME>`` itself; names
    with neither are left out.

    Raises:
        ConfigError: a ``<NAME>_FILE`` cannot be read or is empty (names the setting and the
            file, never a value).
    """
    found: dict[str, str] = {}
    for name in STAGE_CREDENTIALS:
        file = environ.get(f"{name}_FILE")
        if file:
            try:
                value = Path(file).read_text(encoding="utf-8").rstrip("\r\n")
            except OSError as exc:
                raise ConfigError(f"setting {name}_FILE={file!r}: cannot read: {exc}") from exc
            if not value:
                raise ConfigError(f"setting {name}_FILE={file!r}: the file is empty")
            found[name] = value
        elif environ.get(name):
            found[name] = environ[name]
    return found


def docker_url(settings: Settings) -> str:
    """The Docker API of the stage operator: ``HOOPCAST_DOCKER_URL``, ``DOCKER_HOST`` or the
    local socket (``unix://var/run/docker.sock``)."""
    return (
        settings.get("HOOPCAST_DOCKER_URL") or os.environ.get("DOCKER_HOST") or DEFAULT_DOCKER_URL
    )


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


#: Defaults of the kubernetes runner's settings (``env/<profile>/airflow.env`` may set them).
DEFAULT_K8S_NAMESPACE = "hoopcast"
DEFAULT_K8S_SERVICE_ACCOUNT = "hoopcast-stage"
DEFAULT_K8S_SECRET = "hoopcast-secrets"
DEFAULT_K8S_DATA_CLAIM = "hoopcast-data"


@dataclass(frozen=True)
class KubernetesSettings:
    """Where and how the kubernetes runner starts stage pods.

    Attributes:
        namespace: namespace of the pods (``HOOPCAST_K8S_NAMESPACE``, default ``hoopcast``).
        service_account: service account of the pods (``HOOPCAST_K8S_SERVICE_ACCOUNT``,
            default ``hoopcast-stage``; the stages call no Kubernetes API).
        secret: the Kubernetes Secret holding, under their own names as keys, the profile's
            settings that look secret (``HOOPCAST_K8S_SECRET``, default ``hoopcast-secrets``).
        env_from_secrets: Secrets whose every key becomes an environment variable of each pod
            (``HOOPCAST_K8S_ENV_FROM_SECRETS``, comma-separated, default none; e.g. DuckLake's
            PostgreSQL and S3 credentials).
        data_claim: the PersistentVolumeClaim mounted at ``/data`` while the warehouse or the
            artefact store are files (``HOOPCAST_K8S_DATA_CLAIM``, default ``hoopcast-data``).
        in_cluster: the Kubernetes API from the in-cluster service-account config
            (``HOOPCAST_K8S_IN_CLUSTER``, default true), else the provider's connection
            ``kubernetes_default`` / kube config.
        image_pull_secrets: Secrets for pulling the stage images
            (``HOOPCAST_K8S_IMAGE_PULL_SECRETS``, comma-separated, default none).
        warehouse: ``HOOPCAST_WAREHOUSE`` when set (the warehouse backend, DESIGN.md "Data
            layers"), else None (the DuckDB file ``/data/hoopcast.duckdb`` on the claim).
        artifacts: ``HOOPCAST_ARTIFACTS`` when set (the artefact store), else None (models under
            ``/data/models`` on the claim).
    """

    namespace: str
    service_account: str
    secret: str
    env_from_secrets: tuple[str, ...]
    data_claim: str
    in_cluster: bool
    image_pull_secrets: tuple[str, ...]
    warehouse: str | None
    artifacts: str | None


def _names(settings: Settings, key: str) -> tuple[str, ...]:
    """A comma-separated list setting as a tuple of non-empty names."""
    return tuple(n.strip() for n in (settings.get(key) or "").split(",") if n.strip())


def kubernetes_settings(settings: Settings) -> KubernetesSettings:
    """The kubernetes runner's settings from the ``airflow`` service's ``settings``.

    Raises:
        ConfigError: ``HOOPCAST_K8S_IN_CLUSTER`` is not a boolean.
    """
    return KubernetesSettings(
        namespace=settings.get("HOOPCAST_K8S_NAMESPACE") or DEFAULT_K8S_NAMESPACE,
        service_account=settings.get("HOOPCAST_K8S_SERVICE_ACCOUNT") or DEFAULT_K8S_SERVICE_ACCOUNT,
        secret=settings.get("HOOPCAST_K8S_SECRET") or DEFAULT_K8S_SECRET,
        env_from_secrets=_names(settings, "HOOPCAST_K8S_ENV_FROM_SECRETS"),
        data_claim=settings.get("HOOPCAST_K8S_DATA_CLAIM") or DEFAULT_K8S_DATA_CLAIM,
        in_cluster=settings.get_bool("HOOPCAST_K8S_IN_CLUSTER", True),
        image_pull_secrets=_names(settings, "HOOPCAST_K8S_IMAGE_PULL_SECRETS"),
        warehouse=settings.get("HOOPCAST_WAREHOUSE") or None,
        artifacts=settings.get("HOOPCAST_ARTIFACTS") or None,
    )
