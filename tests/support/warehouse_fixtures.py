"""Fixtures for a warehouse filled by the real ingestion CLI (owned by the ingestion service).

* ``ingested_warehouse_template`` (session): Path of a DuckDB file filled by running
  ``hoopcast-ingestion collect --from 2024-11-04 --to 2025-01-31 --as-of 2025-01-20`` as a
  subprocess (``HOOPCAST_ENV=replay``, ``ESPN_BASE_URL`` = the ``replay_server`` URL). It holds
  the finished games 2024-11-04..2025-01-20 (with team box scores) and the scheduled games
  2025-01-21..2025-01-31 (no scores). Treat it as read-only.
* ``warehouse_db`` (function): Path of a fresh copy of the template under ``tmp_path``, for
  tests that write.

Building the template takes a few thousand local HTTP requests, so the finished file is cached
in pytest's cache folder (``.pytest_cache/d/hoopcast-warehouse``) under a key made of the
ingestion, replay and common sources, the migrations and the shipped data files; any change to
those rebuilds it. Set ``HOOPCAST_TEST_NO_WAREHOUSE_CACHE=1`` to always rebuild.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
TEMPLATE_ARGS = ("collect", "--from", "2024-11-04", "--to", "2025-01-31", "--as-of", "2025-01-20")
_KEYED = (
    "services/ingestion/src",
    "services/espn-replay/src",
    "services/common/src",
    "env/replay",
    "data",
)


def _cache_key() -> str:
    digest = hashlib.sha256(" ".join(TEMPLATE_ARGS).encode())
    for rel in _KEYED:
        base = ROOT / rel
        for path in sorted(base.rglob("*")):
            if path.is_file() and "__pycache__" not in path.parts:
                stat = path.stat()
                digest.update(f"{path.relative_to(ROOT)}:{stat.st_size}".encode())
                if path.suffix in (".py", ".sql", ".env"):
                    digest.update(path.read_bytes())
                else:
                    digest.update(str(stat.st_mtime_ns).encode())
    return digest.hexdigest()[:16]


def build_warehouse(db_path: Path, base_url: str) -> subprocess.CompletedProcess[str]:
    """Run the real ingestion CLI into ``db_path`` against the replay server at ``base_url``.

    Raises:
        RuntimeError: the CLI did not exit 0 (its stderr tail is in the message).
    """
    env = {
        **os.environ,
        "HOOPCAST_ENV": "replay",
        "HOOPCAST_DB": str(db_path),
        "ESPN_BASE_URL": base_url,
        "HOOPCAST_LOG_LEVEL": "WARNING",
    }
    env.pop("HOOPCAST_AS_OF", None)
    exe = Path(sys.executable).with_name("hoopcast-ingestion")
    proc = subprocess.run(
        [str(exe), *TEMPLATE_ARGS], env=env, cwd=ROOT, capture_output=True, text=True, timeout=900
    )
    if proc.returncode != 0:
        raise RuntimeError(
            f"hoopcast-ingestion {' '.join(TEMPLATE_ARGS)} exited {proc.returncode}:\n"
            f"{proc.stderr[-3000:]}\n{proc.stdout[-1000:]}"
        )
    return proc


@pytest.fixture(scope="session")
def ingested_warehouse_template(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Path]:
    """Path of the session's ingested DuckDB warehouse (read-only use; copy before writing)."""
    use_cache = not os.environ.get("HOOPCAST_TEST_NO_WAREHOUSE_CACHE")
    cached: Path | None = None
    if use_cache and request.config.cache is not None:
        folder = request.config.cache.mkdir("hoopcast-warehouse")
        cached = folder / f"warehouse-{_cache_key()}.duckdb"
        if cached.exists():
            target = tmp_path_factory.mktemp("warehouse") / "hoopcast.duckdb"
            shutil.copyfile(cached, target)
            yield target
            return
    base_url: str = request.getfixturevalue("replay_server")
    target = tmp_path_factory.mktemp("warehouse") / "hoopcast.duckdb"
    build_warehouse(target, base_url)
    if cached is not None:
        for old in cached.parent.glob("warehouse-*.duckdb"):
            if old != cached:
                old.unlink(missing_ok=True)
        partial = cached.with_suffix(f".{os.getpid()}.tmp")  # sessions may build at once
        shutil.copyfile(target, partial)
        partial.replace(cached)  # atomic: readers see the old file or the whole new one
    yield target


@pytest.fixture
def warehouse_db(ingested_warehouse_template: Path, tmp_path: Path) -> Path:
    """A fresh writable copy of the ingested warehouse under ``tmp_path``."""
    target = tmp_path / "hoopcast.duckdb"
    shutil.copyfile(ingested_warehouse_template, target)
    return target
