"""Small DuckDB helpers shared by the trainer and the predictor."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import duckdb


def one(
    conn: duckdb.DuckDBPyConnection, sql: str, params: Sequence[Any] | None = None
) -> tuple[Any, ...] | None:
    """First row of a query, or None; the result is fully consumed.

    DuckDB 2.0 refuses further work on a connection while a result is only partly fetched
    (``ResourceInUseException``), which ``fetchone()`` leaves behind; this reads all rows.
    """
    rows = conn.execute(sql, params or []).fetchall()
    return tuple(rows[0]) if rows else None
