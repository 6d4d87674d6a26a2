"""A read-only Airflow hook on the DuckDB warehouse.

Sensors and checks in the Airflow worker read the warehouse through
:class:`HoopcastDuckDBHook`; stage containers do all writing. The hook reads the snapshot
each writing stage publishes after its commit (:func:`hoopcast_common.snapshot.open_snapshot`),
never the writer's file: a stage holds DuckDB's file lock for its whole run, and a reader of
that file would wait for it (and make the next stage wait in turn).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import duckdb
from airflow.sdk import BaseHook
from hoopcast_common.errors import BadInputError
from hoopcast_common.snapshot import open_snapshot, snapshot_path

from hoopcast_airflow.config import airflow_settings, warehouse_path


class HoopcastDuckDBHook(BaseHook):
    """Read-only SQL on the published snapshot of the hoopcast DuckDB warehouse.

    Args:
        db_path: the warehouse file (its snapshot is read); default ``HOOPCAST_DB`` of the
            ``airflow`` settings of ``profile`` (relative paths from the project root).
        profile: env profile used to resolve ``db_path`` (default ``HOOPCAST_ENV``).
    """

    conn_name_attr = "hoopcast_db"
    hook_name = "hoopcast DuckDB"

    def __init__(self, db_path: Path | str | None = None, profile: str | None = None) -> None:
        super().__init__()
        self.db_path = Path(db_path) if db_path else warehouse_path(airflow_settings(profile))

    def exists(self) -> bool:
        """True when a snapshot has been published (before the first stage run it has not)."""
        return snapshot_path(self.db_path).is_file()

    def get_conn(self) -> duckdb.DuckDBPyConnection:
        """A short-lived read-only connection to the published snapshot.

        Raises:
            BadInputError: no snapshot has been published yet, or it is not a DuckDB file.
        """
        try:
            return open_snapshot(self.db_path)
        except (FileNotFoundError, duckdb.IOException) as exc:
            raise BadInputError(f"HOOPCAST_DB={self.db_path}: {exc}") from exc

    def get_records(self, sql: str, parameters: list[Any] | None = None) -> list[tuple[Any, ...]]:
        """Rows of ``sql`` as tuples, on a short-lived read-only connection to the snapshot.

        Raises:
            BadInputError: no snapshot yet (see :meth:`get_conn`).
            duckdb.Error: the SQL fails (e.g. a table that does not exist yet).
        """
        conn = self.get_conn()
        try:
            return conn.execute(sql, parameters or []).fetchall()
        finally:
            conn.close()

    def get_first(self, sql: str, parameters: list[Any] | None = None) -> tuple[Any, ...] | None:
        """The first row of ``sql`` or None."""
        rows = self.get_records(sql, parameters)
        return rows[0] if rows else None

    def table_exists(self, qualified: str) -> bool:
        """True when ``schema.table`` exists in the warehouse."""
        schema, _, table = qualified.partition(".")
        row = self.get_first(
            "SELECT count(*) FROM information_schema.tables "
            "WHERE table_schema = ? AND table_name = ?",
            [schema, table],
        )
        return bool(row and row[0])

    def columns(self, qualified: str) -> list[str]:
        """Column names of ``schema.table`` (empty when it does not exist)."""
        schema, _, table = qualified.partition(".")
        rows = self.get_records(
            "SELECT column_name FROM information_schema.columns "
            "WHERE table_schema = ? AND table_name = ? ORDER BY ordinal_position",
            [schema, table],
        )
        return [str(r[0]) for r in rows]

    def latest_quality_results(self, table: str) -> list[dict[str, Any]]:
        """The checks of the most recent quality run stored in ``table``.

        ``table`` is ``ops.quality_checks`` (ingestion) or ``features.quality_checks``; both
        have one row per check per run with ``run_id``, ``check_name``, ``severity``
        (``blocking``/``warning``), ``passed`` and ``checked_at``. Returns dicts of every
        column of the latest run's rows (empty when nothing is stored yet).
        """
        if not self.table_exists(table):
            return []
        cols = self.columns(table)
        order = "checked_at" if "checked_at" in cols else "run_id"
        conn = self.get_conn()
        try:
            cursor = conn.execute(
                f"SELECT * FROM {table} WHERE run_id = ("
                f" SELECT run_id FROM {table} ORDER BY {order} DESC LIMIT 1)"
            )
            names = [d[0] for d in cursor.description or []]
            return [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]
        finally:
            conn.close()
