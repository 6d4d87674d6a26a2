"""Settings from environment profiles.

Resolution order (later wins; docs/DESIGN.md, "Settings"):

1. ``env/<profile>/common.env``
2. ``env/<profile>/<service>.env``
3. the process environment

The profile comes from ``HOOPCAST_ENV`` (default ``local``); the env folder from
``HOOPCAST_ENV_DIR`` or, failing that, the nearest ``env/`` folder above the working directory
or above this package (a source checkout), then ``/app/env`` (the images).
Files are parsed with python-dotenv; values stay strings until a typed getter reads them.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TypeVar

from dotenv import dotenv_values

from hoopcast_common.errors import ConfigError
from hoopcast_common.warehouse import S3Store, Warehouse, parse_warehouse

T = TypeVar("T")

DEFAULT_PROFILE = "local"
DEFAULT_LOCAL_DB = "var/hoopcast.duckdb"
PROFILES = ("local", "replay", "production")


def find_env_dir() -> Path | None:
    """Return the folder holding the env profiles, or None if there is none.

    Looks at ``HOOPCAST_ENV_DIR``, then ``env/`` in the working directory and its parents,
    then beside the source checkout of this package, then ``/app/env``.
    """
    explicit = os.environ.get("HOOPCAST_ENV_DIR")
    if explicit:
        return Path(explicit)
    candidates: list[Path] = []
    cwd = Path.cwd().resolve()
    candidates.extend(p / "env" for p in (cwd, *cwd.parents))
    here = Path(__file__).resolve()
    candidates.extend(p / "env" for p in here.parents)
    candidates.append(Path("/app/env"))
    for candidate in candidates:
        if (candidate / DEFAULT_PROFILE).is_dir() or (candidate / "replay").is_dir():
            return candidate
    return None


def project_root() -> Path:
    """The project checkout (the folder holding ``env/`` and ``data/``); cwd if unknown."""
    env_dir = find_env_dir()
    return env_dir.parent if env_dir is not None else Path.cwd()


@dataclass(frozen=True)
class Settings:
    """Resolved settings of one service under one profile.

    ``values`` maps setting names (upper-case env var names) to strings; ``sources`` maps each
    name to where its value came from (a file path or ``"environment"``), for error messages.
    """

    service: str
    profile: str
    values: Mapping[str, str] = field(default_factory=dict)
    sources: Mapping[str, str] = field(default_factory=dict)

    def get(self, key: str, default: str | None = None) -> str | None:
        """The raw string value of ``key`` or ``default``."""
        return self.values.get(key, default)

    def require(self, key: str) -> str:
        """The value of ``key``; raises ConfigError naming the key and profile if unset."""
        value = self.values.get(key)
        if value is None or value == "":
            raise ConfigError(
                f"setting {key} is not set for service {self.service!r} in profile "
                f"{self.profile!r} (set it in env/{self.profile}/{self.service}.env, "
                "env/{profile}/common.env or the environment)"
            )
        return value

    def _typed(self, key: str, default: T, kind: str, parse: Callable[[str], T]) -> T:
        raw = self.values.get(key)
        if raw is None or raw == "":
            return default
        try:
            return parse(raw)
        except ValueError as exc:
            raise ConfigError(
                f"setting {key}={raw!r} (from {self.sources.get(key, '?')}) is not a valid "
                f"{kind}: {exc}"
            ) from exc

    def get_int(self, key: str, default: int) -> int:
        """``key`` as an int; ConfigError naming the key and its source if malformed."""
        return self._typed(key, default, "integer", int)

    def get_float(self, key: str, default: float) -> float:
        """``key`` as a float; ConfigError naming the key and its source if malformed."""
        return self._typed(key, default, "number", float)

    def get_bool(self, key: str, default: bool) -> bool:
        """``key`` as a bool (1/0, true/false, yes/no, on/off)."""

        def parse(raw: str) -> bool:
            lowered = raw.strip().lower()
            if lowered in {"1", "true", "yes", "on"}:
                return True
            if lowered in {"0", "false", "no", "off"}:
                return False
            raise ValueError("expected one of 1/0, true/false, yes/no, on/off")

        return self._typed(key, default, "boolean", parse)

    @property
    def db_path(self) -> Path:
        """DuckDB file: ``HOOPCAST_DB``, default ``./var/hoopcast.duckdb`` (DESIGN.md)."""
        raw = self.values.get("HOOPCAST_DB") or DEFAULT_LOCAL_DB
        path = Path(raw)
        return path if path.is_absolute() else Path.cwd() / path

    def secret(self, key: str) -> str | None:
        """A credential: the content of the file named by ``<key>_FILE`` (trailing newline
        removed), else ``key`` from the process environment; None when neither is set.

        Raises:
            ConfigError: ``key`` is set in an env file (secrets never go there), or the
                ``_FILE`` cannot be read. Messages name the setting, never the value.
        """
        file_key = f"{key}_FILE"
        file_path = self.values.get(file_key)
        if file_path:
            try:
                return Path(file_path).read_text(encoding="utf-8").rstrip("\r\n")
            except OSError as exc:
                raise ConfigError(f"setting {file_key}={file_path!r}: cannot read: {exc}") from exc
        value = self.values.get(key)
        if value is None or value == "":
            return None
        if self.sources.get(key) != "environment":
            raise ConfigError(
                f"setting {key} is a secret but is set in {self.sources.get(key)}; give it as"
                f" {file_key} (a file readable only by the service) or in the environment"
            )
        return value

    @property
    def warehouse(self) -> Warehouse:
        """The warehouse of ``HOOPCAST_WAREHOUSE`` (default: the DuckDB file
        :attr:`db_path`); see :mod:`hoopcast_common.warehouse`.

        Raises:
            ConfigError: a malformed ``HOOPCAST_WAREHOUSE`` or missing lake settings.
        """
        raw = self.values.get("HOOPCAST_WAREHOUSE")
        if not raw or not raw.startswith("ducklake:"):
            return parse_warehouse(raw, db_path=self.db_path)
        endpoint = self.values.get("HOOPCAST_LAKE_S3_ENDPOINT") or ""
        url_style = self.values.get("HOOPCAST_LAKE_S3_URL_STYLE") or "path"
        if url_style not in {"path", "vhost"}:
            raise ConfigError(f"setting HOOPCAST_LAKE_S3_URL_STYLE={url_style!r}: path or vhost")
        s3 = S3Store(
            endpoint=endpoint,
            region=self.values.get("HOOPCAST_LAKE_S3_REGION") or "us-east-1",
            url_style=url_style,
            use_ssl=self.get_bool("HOOPCAST_LAKE_S3_USE_SSL", True),
            key_id=self.secret("HOOPCAST_LAKE_S3_KEY_ID"),
            secret=self.secret("HOOPCAST_LAKE_S3_SECRET"),
        )
        return parse_warehouse(
            raw,
            db_path=self.db_path,
            data_path=self.values.get("HOOPCAST_LAKE_DATA_PATH"),
            s3=s3,
            pg_password=self.secret("HOOPCAST_LAKE_PG_PASSWORD"),
        )


def load_settings(
    service: str,
    profile: str | None = None,
    env_dir: Path | None = None,
    environ: Mapping[str, str] | None = None,
) -> Settings:
    """Load the settings of ``service`` under ``profile``.

    Args:
        service: the service name, which is also the env file's stem (``ingestion``,
            ``features``, ``trainer``, ``predictor``, ``espn-replay``, ``airflow``).
        profile: profile name; default ``HOOPCAST_ENV`` or ``local``.
        env_dir: folder of profiles; default :func:`find_env_dir`.
        environ: the process environment to overlay (default ``os.environ``).

    Raises:
        ConfigError: the profile folder does not exist.
    """
    environ = os.environ if environ is None else environ
    profile = profile or environ.get("HOOPCAST_ENV") or DEFAULT_PROFILE
    env_dir = env_dir or find_env_dir()
    values: dict[str, str] = {}
    sources: dict[str, str] = {}
    if env_dir is not None:
        profile_dir = env_dir / profile
        if not profile_dir.is_dir():
            known = sorted(p.name for p in env_dir.iterdir() if p.is_dir())
            raise ConfigError(
                f"HOOPCAST_ENV={profile!r}: no profile folder {profile_dir} (known: {known})"
            )
        for path in (profile_dir / "common.env", profile_dir / f"{service}.env"):
            if path.is_file():
                for key, value in dotenv_values(path).items():
                    if value is not None:
                        values[key] = value
                        sources[key] = str(path)
    for key, value in environ.items():
        values[key] = value
        sources[key] = "environment"
    values["HOOPCAST_ENV"] = profile
    return Settings(service=service, profile=profile, values=values, sources=sources)
