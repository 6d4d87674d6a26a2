"""The read path that never blocks the pipeline: a published, read-only snapshot of the warehouse.

DuckDB lets one process write a database file; a person with the file open in the DuckDB CLI,
or the Forecasts page reading it, would hold the pipeline up. So people and the UI never open
the writer's file: each writing stage publishes, after its commit, a copy of every schema that
readers need (everything but the bulky ``raw`` responses) to :func:`snapshot_path`, written to
a temporary file and renamed over the previous snapshot in one step (``os.replace``), so a
reader sees either the old snapshot or the new one, never a half-written file.
"""

from __future__ import annotations

import logging
import os
from pathlib import Path

import duckdb

log = logging.getLogger(__name__)

SKIPPED_SCHEMAS = ("raw",)
"""Schemas not copied into the snapshot (raw ESPN responses: large, read by no person)."""


def snapshot_path(db_path: Path) -> Path:
    """Where the snapshot of the warehouse ``db_path`` is published:
    ``<folder>/<stem>.snapshot.duckdb`` (``/data/hoopcast.snapshot.duckdb`` in the images)."""
    return db_path.with_name(f"{db_path.stem}.snapshot.duckdb")


def publish_snapshot(conn: duckdb.DuckDBPyConnection, db_path: Path) -> Path:
    """Copy the warehouse behind ``conn`` (the writer's open connection, outside any
    transaction) to :func:`snapshot_path` of ``db_path`` and return that path.

    Copies every base table and view of every schema except :data:`SKIPPED_SCHEMAS`.

    Raises:
        duckdb.Error: the copy failed; the previous snapshot is left as it was.
    """
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
