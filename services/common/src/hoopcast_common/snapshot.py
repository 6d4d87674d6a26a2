"""The read path that never blocks the pipeline: a published, read-only snapshot of the warehouse.

DuckDB lets one process write a database file; a person with the file open in the DuckDB CLI,
or the Forecasts page reading it, would hold the pipeline up. So people and the UI never open
the writer's file: each writing stage publishes, after its commit, a copy of the database file
to :func:`snapshot_path`, written to a temporary file and renamed over the previous snapshot in
one step (``os.replace``), so a reader sees either the old snapshot or the new one, never a
half-written file.

A DuckLake needs no snapshot: its readers never block its writers (each reader sees the last
committed lake snapshot), so :func:`publish_snapshot` does nothing there and
:func:`open_snapshot` opens the lake itself.
"""

from __future__ import annotations

import logging
import os
import shutil
from pathlib import Path

import duckdb

from hoopcast_common.db import WarehouseTarget, as_warehouse, connect

log = logging.getLogger(__name__)


def snapshot_path(db_path: Path) -> Path:
    """Where the snapshot of the warehouse ``db_path`` is published:
    ``<folder>/<stem>.snapshot.duckdb`` (``/data/hoopcast.snapshot.duckdb`` in the images)."""
    return db_path.with_name(f"{db_path.stem}.snapshot.duckdb")


def publish_snapshot(conn: duckdb.DuckDBPyConnection, db_path: WarehouseTarget) -> Path | None:
    """Publish the warehouse behind ``conn`` (the writer's open connection to ``db_path``,
    outside any transaction) as :func:`snapshot_path` of ``db_path`` and return that path;
    None, and nothing done, for a DuckLake (module docstring).

    ``CHECKPOINT`` writes every committed change into the database file (and empties its
    write-ahead log); the writer holds DuckDB's file lock, so nothing changes the file while it
    is copied byte for byte (``shutil.copyfile``) to a temporary file, which then replaces the
    previous snapshot in one step. The copy is bound by disk speed, not by DuckDB re-encoding
    every table (bench/common/bench_snapshot.py); the snapshot holds every schema, ``raw``
    included.

    Raises:
        duckdb.Error: the checkpoint failed; OSError: the copy failed. The previous snapshot
            is left as it was either way.
    """
    warehouse = as_warehouse(db_path)
    if warehouse.is_lake:
        return None
    db_path = warehouse.path
    target = snapshot_path(db_path)
    tmp = target.with_name(f".{target.name}.{os.getpid()}.tmp")
    tmp.unlink(missing_ok=True)
    conn.execute("CHECKPOINT")
    try:
        shutil.copyfile(db_path, tmp)
        os.replace(tmp, target)
    finally:
        tmp.unlink(missing_ok=True)
    log.info("published the read-only snapshot %s", target)
    return target


def open_snapshot(db_path: WarehouseTarget) -> duckdb.DuckDBPyConnection:
    """A read-only connection to the published snapshot of ``db_path``; for a DuckLake, a
    connection to the lake itself (no migrations applied).

    Raises:
        FileNotFoundError: no stage has published a snapshot yet.
        UpstreamUnavailableError: the lake's catalog is unreachable.
    """
    warehouse = as_warehouse(db_path)
    if warehouse.is_lake:
        return connect(warehouse, read_only=True, migrate=False)
    target = snapshot_path(warehouse.path)
    if not target.exists():
        raise FileNotFoundError(
            f"{target}: no snapshot published yet (a writing stage publishes it after its commit)"
        )
    return duckdb.connect(str(target), read_only=True)
