"""The read path that never blocks the pipeline: a published, read-only snapshot of the warehouse.

DuckDB lets one process write a database file; a person with the file open in the DuckDB CLI,
or the Forecasts page reading it, would hold the pipeline up. So people and the UI never open
the writer's file: each writing stage publishes, after its commit, a copy of the database file
to :func:`snapshot_path`, written to a temporary file and renamed over the previous snapshot in
one step (``os.replace``), so a reader sees either the old snapshot or the new one, never a
half-written file.
"""

from __future__ import annotations

import logging
import os
import shutil
from pathlib import Path

import duckdb

log = logging.getLogger(__name__)


def snapshot_path(db_path: Path) -> Path:
    """Where the snapshot of the warehouse ``db_path`` is published:
    ``<folder>/<stem>.snapshot.duckdb`` (``/data/hoopcast.snapshot.duckdb`` in the images)."""
    return db_path.with_name(f"{db_path.stem}.snapshot.duckdb")


def publish_snapshot(conn: duckdb.DuckDBPyConnection, db_path: Path) -> Path:
    """Publish the warehouse behind ``conn`` (the writer's open connection to ``db_path``,
    outside any transaction) as :func:`snapshot_path` of ``db_path`` and return that path.

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


def open_snapshot(db_path: Path) -> duckdb.DuckDBPyConnection:
    """A read-only connection to the published snapshot of ``db_path``.

    Raises:
        FileNotFoundError: no stage has published a snapshot yet.
    """
    target = snapshot_path(db_path)
    if not target.exists():
        raise FileNotFoundError(
            f"{target}: no snapshot published yet (a writing stage publishes it after its commit)"
        )
    return duckdb.connect(str(target), read_only=True)
