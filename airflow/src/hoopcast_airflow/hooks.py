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
from hoopcast_common.quality import RESULT_COLUMNS, RESULTS_TABLE, latest_results_sql
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

    def latest_quality_results(self, stage: str) -> list[dict[str, Any]]:
        """The checks of ``stage``'s (``ingestion`` | ``features``) most recent quality run.

        Reads the one results table ``ops.quality_checks`` (:mod:`hoopcast_common.quality`)
        by its column names (:data:`~hoopcast_common.quality.RESULT_COLUMNS`): one dict per
        check of the latest run, empty when nothing is stored yet.
        """
        if not self.table_exists(RESULTS_TABLE):
            return []
        sql, params = latest_results_sql(stage)
        rows = self.get_records(sql, params)
        return [dict(zip(RESULT_COLUMNS, row, strict=True)) for row in rows]
