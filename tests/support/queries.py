"""Reading a warehouse file from a test: one query on a read-only DuckDB connection."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import duckdb


def query(db: Path, sql: str, params: list[Any] | None = None) -> list[tuple[Any, ...]]:
    """Rows of ``sql`` (with ``params``) on a read-only connection to ``db``, closed after."""
    conn = duckdb.connect(str(db), read_only=True)
    try:
        return conn.execute(sql, params or []).fetchall()
    finally:
        conn.close()
