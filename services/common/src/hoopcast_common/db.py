"""DuckDB access: one warehouse file, versioned migrations, transactions, lock-conflict retry.

DuckDB allows one writing process per database file (DESIGN.md, "Data layers"); writers are
serialised by the Airflow pool ``hoopcast_duckdb`` and readers retry on lock conflicts via
:func:`connect` with ``read_only=True``.

Migrations are the SQL files ``hoopcast_common/migrations/NNNN_name.sql``, applied in version
order, each once, inside its own transaction, and recorded in ``ops.schema_migrations`` with
the file's sha256 so that an edited, already-applied migration is reported instead of silently
diverging.
"""

from __future__ import annotations

import hashlib
import logging
import re
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any

import duckdb
from tenacity import (
    retry,
    retry_if_exception,
    stop_after_delay,
    wait_exponential_jitter,
)

from hoopcast_common.errors import BadInputError

log = logging.getLogger(__name__)

_MIGRATION_NAME = re.compile(r"^(\d{4})_([a-z0-9_]+)\.sql$")


class MigrationError(BadInputError):
    """The database's recorded migrations disagree with the shipped migration files."""


@dataclass(frozen=True)
class Migration:
    """One schema migration: ``version`` (int), ``name``, ``sql`` text and its ``sha256``."""

    version: int
    name: str
    sql: str

    @property
    def sha256(self) -> str:
        """Hex sha256 of the SQL text (recorded when applied)."""
        return hashlib.sha256(self.sql.encode()).hexdigest()


def load_migrations() -> list[Migration]:
    """All shipped migrations, sorted by version.

    Raises:
        MigrationError: two files share a version number.
    """
    found: dict[int, Migration] = {}
    for entry in resources.files("hoopcast_common.migrations").iterdir():
        match = _MIGRATION_NAME.match(entry.name)
        if not match:
            continue
        version = int(match.group(1))
        if version in found:
            raise MigrationError(
                f"two migrations share version {version:04d}: "
                f"{found[version].name} and {match.group(2)}"
            )
        found[version] = Migration(version, match.group(2), entry.read_text(encoding="utf-8"))
    return [found[v] for v in sorted(found)]


def _is_lock_conflict(exc: BaseException) -> bool:
    return isinstance(exc, duckdb.IOException) and "lock" in str(exc).lower()


@retry(
    retry=retry_if_exception(_is_lock_conflict),
    wait=wait_exponential_jitter(multiplier=0.2, max=5.0),
    stop=stop_after_delay(60),
    reraise=True,
)
def _open(path: str, read_only: bool) -> duckdb.DuckDBPyConnection:
    return duckdb.connect(path, read_only=read_only)


def connect(
    path: Path | str, *, read_only: bool = False, migrate: bool = True
) -> duckdb.DuckDBPyConnection:
    """Open the warehouse file at ``path``.

    A writable connection creates the file's folder if needed and applies pending migrations
    (unless ``migrate=False``). Opening retries with exponential backoff for up to 60 s while
    another process holds DuckDB's file lock.

    Raises:
        BadInputError: a read-only open of a file that does not exist, or a path that is not
            a DuckDB file.
        MigrationError: see :func:`apply_migrations`.
    """
    path = Path(path)
    if read_only and not path.exists():
        raise BadInputError(f"HOOPCAST_DB={path}: the database file does not exist yet")
    if not read_only:
        path.parent.mkdir(parents=True, exist_ok=True)
    try:
        conn = _open(str(path), read_only)
    except duckdb.IOException as exc:
        raise BadInputError(f"HOOPCAST_DB={path}: cannot open as a DuckDB file: {exc}") from exc
    if not read_only and migrate:
        try:
            apply_migrations(conn)
        except BaseException:
            conn.close()
            raise
    return conn


def applied_versions(conn: duckdb.DuckDBPyConnection) -> dict[int, str]:
    """Map of applied migration version → recorded sha256 (empty for a fresh file)."""
    exists = conn.execute(
        "SELECT count(*) FROM duckdb_tables() "
        "WHERE schema_name = 'ops' AND table_name = 'schema_migrations'"
    ).fetchone()
    if not exists or exists[0] == 0:
        return {}
    rows = conn.execute("SELECT version, sha256 FROM ops.schema_migrations").fetchall()
    return {int(v): str(s) for v, s in rows}


def apply_migrations(conn: duckdb.DuckDBPyConnection) -> list[int]:
    """Apply every shipped migration not yet recorded; returns the versions applied now.

    Each migration runs in its own transaction together with its ``ops.schema_migrations``
    row, so a failing migration leaves the database at the previous version. Safe to re-run.

    Raises:
        MigrationError: an applied migration's file changed since (sha256 differs).
    """
    conn.execute("CREATE SCHEMA IF NOT EXISTS ops")
    conn.execute(
        "CREATE TABLE IF NOT EXISTS ops.schema_migrations ("
        " version INTEGER PRIMARY KEY, name VARCHAR NOT NULL, sha256 VARCHAR NOT NULL,"
        " applied_at TIMESTAMPTZ NOT NULL DEFAULT current_timestamp)"
    )
    done = applied_versions(conn)
    applied: list[int] = []
    for migration in load_migrations():
        if migration.version in done:
            if done[migration.version] != migration.sha256:
                raise MigrationError(
                    f"migration {migration.version:04d}_{migration.name}.sql changed after it "
                    "was applied to this database; add a new migration instead of editing it"
                )
            continue
        with transaction(conn):
            conn.execute(migration.sql)
            conn.execute(
                "INSERT INTO ops.schema_migrations (version, name, sha256) VALUES (?, ?, ?)",
                [migration.version, migration.name, migration.sha256],
            )
        log.info("applied migration %04d_%s", migration.version, migration.name)
        applied.append(migration.version)
    return applied


@contextmanager
def transaction(conn: duckdb.DuckDBPyConnection) -> Iterator[duckdb.DuckDBPyConnection]:
    """``BEGIN`` … ``COMMIT``, or ``ROLLBACK`` and re-raise on any exception."""
    conn.execute("BEGIN TRANSACTION")
    try:
        yield conn
    except BaseException:
        conn.execute("ROLLBACK")
        raise
    conn.execute("COMMIT")


def table_count(conn: duckdb.DuckDBPyConnection, table: str) -> int:
    """``SELECT count(*)`` of a schema-qualified table name (e.g. ``core.games``)."""
    row = conn.execute(f"SELECT count(*) FROM {table}").fetchone()
    return int(row[0]) if row else 0


def one(
    conn: duckdb.DuckDBPyConnection, sql: str, params: Sequence[Any] | None = None
) -> tuple[Any, ...] | None:
    """First row of a query, or None; the result is fully consumed.

    DuckDB refuses further work on a connection while a result is only partly fetched
    (``ResourceInUseException``), which ``fetchone()`` can leave behind; this reads all rows.
    """
    rows = conn.execute(sql, params or []).fetchall()
    return tuple(rows[0]) if rows else None
