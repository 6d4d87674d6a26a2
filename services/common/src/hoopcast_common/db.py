"""DuckDB access: one warehouse file, versioned migrations, transactions, lock-conflict retry.

DuckDB allows one writing process per database file (DESIGN.md, "Data layers"); writers are
serialised by the Airflow pool ``hoopcast_duckdb``. A process that finds the file locked by
another waits for up to ``lock_timeout`` seconds (setting ``HOOPCAST_DB_LOCK_TIMEOUT``, default
60) and then raises :class:`~hoopcast_common.errors.WarehouseBusyError` (exit 3, retryable).
People and the Airflow sensors read the published snapshot instead
(:mod:`hoopcast_common.snapshot`), which no writer locks.

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
    Retrying,
    retry_if_exception,
    stop_after_delay,
    wait_exponential_jitter,
)

from hoopcast_common.errors import BadInputError, WarehouseBusyError

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


LOCK_TIMEOUT_SETTING = "HOOPCAST_DB_LOCK_TIMEOUT"
"""Setting: seconds a process waits for another process's lock on the warehouse file."""

DEFAULT_LOCK_TIMEOUT_S = 60.0
"""Default of :data:`LOCK_TIMEOUT_SETTING`."""


def is_lock_conflict(exc: BaseException) -> bool:
    """Whether ``exc`` is DuckDB refusing to open a file another process has locked
    (``IOException: Could not set lock on file ...: Conflicting lock is held ...``)."""
    return isinstance(exc, duckdb.IOException) and "lock" in str(exc).lower()


def _open(path: str, read_only: bool, lock_timeout: float) -> duckdb.DuckDBPyConnection:
    """``duckdb.connect``, retried with exponential backoff (0.2 s doubling, at most 5 s
    apart) while the file is locked, for up to ``lock_timeout`` seconds."""
    retrying = Retrying(
        retry=retry_if_exception(is_lock_conflict),
        wait=wait_exponential_jitter(multiplier=0.2, max=5.0),
        stop=stop_after_delay(lock_timeout),
        reraise=True,
    )
    return retrying(duckdb.connect, path, read_only=read_only)


def connect(
    path: Path | str,
    *,
    read_only: bool = False,
    migrate: bool = True,
    lock_timeout: float = DEFAULT_LOCK_TIMEOUT_S,
) -> duckdb.DuckDBPyConnection:
    """Open the warehouse file at ``path``.

    A writable connection creates the file's folder if needed and applies pending migrations
    (unless ``migrate=False``). While another process holds DuckDB's file lock, opening is
    retried with exponential backoff for up to ``lock_timeout`` seconds (stage runs pass the
    ``HOOPCAST_DB_LOCK_TIMEOUT`` setting).

    Raises:
        WarehouseBusyError: the file was still locked by another process after
            ``lock_timeout`` seconds (names the file and the holder DuckDB reports; exit 3).
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
        conn = _open(str(path), read_only, lock_timeout)
    except duckdb.IOException as exc:
        if is_lock_conflict(exc):
            raise WarehouseBusyError(
                f"HOOPCAST_DB={path}: the warehouse is busy: another process held its lock for"
                f" {lock_timeout:g} s ({LOCK_TIMEOUT_SETTING}): {exc}"
            ) from exc
        raise BadInputError(f"HOOPCAST_DB={path}: cannot open as a DuckDB file: {exc}") from exc
    if not read_only and migrate:
        try:
            apply_migrations(conn)
        except BaseException:
            conn.close()
            raise
    return conn


def table_exists(conn: duckdb.DuckDBPyConnection, schema: str, name: str) -> bool:
    """True when the table ``schema.name`` exists (tables only, not views)."""
    # duckdb_tables(), not information_schema.tables: the view costs ~4x more per call
    row = conn.execute(
        "SELECT count(*) FROM duckdb_tables() WHERE schema_name = ? AND table_name = ?",
        [schema, name],
    ).fetchone()
    return bool(row and row[0])


def applied_versions(conn: duckdb.DuckDBPyConnection) -> dict[int, str]:
    """Map of applied migration version → recorded sha256 (empty for a fresh file)."""
    if not table_exists(conn, "ops", "schema_migrations"):
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
