"""The read path that never blocks the pipeline: a published, read-only snapshot of the warehouse.

DuckDB lets one process write a database file; a person with the file open in the DuckDB CLI,
or the Forecasts page reading it, would hold the pipeline up. So people and the UI never open
the writer's file: each writing stage publishes, after its commit, a copy of every schema that
readers need (everything but the bulky ``raw`` responses) to :func:`snapshot_path`, written to
a temporary file and renamed over the previous snapshot in one step (``os.replace``), so a
reader sees either the old snapshot or the new one, never a half-written file.

A DuckLake needs no snapshot: its readers never block its writers (each reader sees the last
committed lake snapshot), so :func:`publish_snapshot` does nothing there and
:func:`open_snapshot` opens the lake itself.
"""

from __future__ import annotations

import logging
import os
from pathlib import Path

import duckdb

from hoopcast_common.db import WarehouseTarget, as_warehouse, connect

log = logging.getLogger(__name__)

SKIPPED_SCHEMAS = ("raw",)
"""Schemas not copied into the snapshot (raw ESPN responses: large, read by no person)."""


def snapshot_path(db_path: Path) -> Path:
    """Where the snapshot of the warehouse ``db_path`` is published:
    ``<folder>/<stem>.snapshot.duckdb`` (``/data/hoopcast.snapshot.duckdb`` in the images)."""
    return db_path.with_name(f"{db_path.stem}.snapshot.duckdb")


def publish_snapshot(conn: duckdb.DuckDBPyConnection, db_path: WarehouseTarget) -> Path | None:
    """Copy the warehouse behind ``conn`` (the writer's open connection, outside any
    transaction) to :func:`snapshot_path` of ``db_path`` and return that path; None, and
    nothing done, for a DuckLake (module docstring).

    Copies every base table and view of every schema except :data:`SKIPPED_SCHEMAS`.

    Raises:
        duckdb.Error: the copy failed; the previous snapshot is left as it was.
    """
    warehouse = as_warehouse(db_path)
    if warehouse.is_lake:
        return None
    db_path = warehouse.path
    target = snapshot_path(db_path)
    tmp = target.with_name(f".{target.name}.{os.getpid()}.tmp")
    tmp.unlink(missing_ok=True)
    alias = "hoopcast_snapshot"
    current = conn.execute("SELECT current_database()").fetchone()
    source = str(current[0]) if current else "memory"
    conn.execute(f"ATTACH '{tmp}' AS {alias}")
    try:
        skipped = ", ".join(f"'{s}'" for s in SKIPPED_SCHEMAS)
        schemas = [
            str(r[0])
            for r in conn.execute(
                "SELECT DISTINCT schema_name FROM duckdb_schemas() WHERE database_name = ?"
                f" AND NOT internal AND schema_name NOT IN ({skipped})",
                [source],
            ).fetchall()
        ]
        for schema in schemas:
            conn.execute(f'CREATE SCHEMA IF NOT EXISTS {alias}."{schema}"')
        tables = conn.execute(
            "SELECT schema_name, table_name FROM duckdb_tables() WHERE database_name = ?"
            f" AND schema_name NOT IN ({skipped}) ORDER BY 1, 2",
            [source],
        ).fetchall()
        for schema, table in tables:
            conn.execute(
                f'CREATE TABLE {alias}."{schema}"."{table}" AS'
                f' SELECT * FROM "{source}"."{schema}"."{table}"'
            )
        views = conn.execute(
            "SELECT schema_name, sql FROM duckdb_views() WHERE database_name = ?"
            f" AND NOT internal AND schema_name NOT IN ({skipped}) ORDER BY view_oid",
            [source],
        ).fetchall()
        conn.execute(f"USE {alias}")
        try:
            for _schema, sql in views:
                conn.execute(str(sql))
        finally:
            conn.execute(f'USE "{source}"')
    finally:
        conn.execute(f"DETACH {alias}")
    os.replace(tmp, target)
    log.info("published the read-only snapshot %s (%d tables)", target, len(tables))
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
