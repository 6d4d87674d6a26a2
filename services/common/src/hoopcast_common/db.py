"""Warehouse access: the one connection factory, versioned migrations, transactions.

The warehouse is a DuckDB file or a DuckLake (:mod:`hoopcast_common.warehouse`, setting
``HOOPCAST_WAREHOUSE``); :func:`connect` opens either, so stage SQL names ``schema.table`` the
same way on both.

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
from hoopcast_common.warehouse import (
    Warehouse,
    attach_lake,
    duckdb_warehouse,
    is_lake_connection,
)

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


WarehouseTarget = Warehouse | Path | str
"""What :func:`connect` opens: a :class:`~hoopcast_common.warehouse.Warehouse` (from
``Settings.warehouse``) or the path of a DuckDB file."""


def as_warehouse(target: WarehouseTarget) -> Warehouse:
    """``target`` as a :class:`~hoopcast_common.warehouse.Warehouse` (a path is a DuckDB file)."""
    return target if isinstance(target, Warehouse) else duckdb_warehouse(target)


def connect(
    target: WarehouseTarget,
    *,
    read_only: bool = False,
    migrate: bool = True,
    lock_timeout: float = DEFAULT_LOCK_TIMEOUT_S,
) -> duckdb.DuckDBPyConnection:
    """Open the warehouse ``target``: a DuckDB file, or a DuckLake attached as ``lake`` and
    made the default database (``USE lake``) of a fresh in-memory DuckDB.

    A lake has no file lock (its writers commit optimistically, see :func:`transaction`), so
    ``read_only`` and ``lock_timeout`` apply to DuckDB files only; pending migrations are
    applied to a lake on every writable open as to a file.

    Raises (lake): UpstreamUnavailableError naming the PostgreSQL catalog endpoint (exit 3);
    ConfigError when an extension is missing.

    A writable connection to a file creates the file's folder if needed and applies pending
    migrations (unless ``migrate=False``). While another process holds DuckDB's file lock,
    opening is retried with exponential backoff for up to ``lock_timeout`` seconds (stage runs
    pass the ``HOOPCAST_DB_LOCK_TIMEOUT`` setting).

    Raises:
        WarehouseBusyError: the file was still locked by another process after
            ``lock_timeout`` seconds (names the file and the holder DuckDB reports; exit 3).
        BadInputError: a read-only open of a file that does not exist, or a path that is not
            a DuckDB file.
        MigrationError: see :func:`apply_migrations`.
    """
    warehouse = as_warehouse(target)
    if warehouse.is_lake:
        conn = duckdb.connect(
            ":memory:",
            config={"autoinstall_known_extensions": False, "autoload_known_extensions": False},
        )
        try:
            attach_lake(conn, warehouse)
            if migrate and not read_only:
                apply_migrations(conn)
        except BaseException:
            conn.close()
            raise
        return conn
    path = warehouse.path
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


def table_exists(
    conn: duckdb.DuckDBPyConnection, schema: str, name: str, *, views: bool = False
) -> bool:
    """True when the table ``schema.name`` (or, with ``views``, a view of that name) exists in
    the connection's current database (the DuckDB file, or the attached lake)."""
    # duckdb_tables(), not information_schema.tables: the view costs ~4x more per call
    relations = "SELECT database_name, schema_name, table_name FROM duckdb_tables()"
    if views:
        relations += " UNION ALL SELECT database_name, schema_name, view_name FROM duckdb_views()"
    row = conn.execute(
        f"SELECT count(*) FROM ({relations}) r(database_name, schema_name, table_name)"
        " WHERE database_name = current_database() AND schema_name = ? AND table_name = ?",
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

    On a DuckLake each migration's SQL is first passed through :func:`lake_ddl` (no
    PRIMARY KEY/UNIQUE/CHECK, no sequences there); the recorded sha256 is the file's.

    Raises:
        MigrationError: an applied migration's file changed since (sha256 differs).
    """
    lake = is_lake_connection(conn)
    conn.execute("CREATE SCHEMA IF NOT EXISTS ops")
    if lake:
        _create_lake_writer(conn)
    key = "" if lake else " PRIMARY KEY"
    conn.execute(
        "CREATE TABLE IF NOT EXISTS ops.schema_migrations ("
        f" version INTEGER NOT NULL{key}, name VARCHAR NOT NULL, sha256 VARCHAR NOT NULL,"
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
            conn.execute(lake_ddl(migration.sql) if lake else migration.sql)
            conn.execute(
                "INSERT INTO ops.schema_migrations (version, name, sha256) VALUES (?, ?, ?)",
                [migration.version, migration.name, migration.sha256],
            )
        log.info("applied migration %04d_%s", migration.version, migration.name)
        applied.append(migration.version)
    return applied


_SEQUENCE_STMT = re.compile(r"CREATE\s+SEQUENCE[^;]*;", re.IGNORECASE)
_NEXTVAL_DEFAULT = re.compile(r"\s+DEFAULT\s+nextval\s*\([^)]*\)", re.IGNORECASE)
_COLUMN_KEY = re.compile(r"\s+(PRIMARY\s+KEY|UNIQUE)\b(?!\s*\()", re.IGNORECASE)
_TABLE_CONSTRAINT = re.compile(r",?\s*\b(PRIMARY\s+KEY|UNIQUE|CHECK)\s*\(", re.IGNORECASE)
_COMMENT = re.compile(r"--[^\n]*")


def lake_ddl(sql: str) -> str:
    """A migration's SQL as DuckLake accepts it: comments, ``CREATE SEQUENCE`` statements,
    ``DEFAULT nextval(...)``, ``PRIMARY KEY``/``UNIQUE`` and ``CHECK (...)`` constraints
    removed; everything else unchanged.

    Safe because every write path keeps its keys unique itself (MERGE on the key, or DELETE
    then INSERT, inside :func:`transaction`, which serialises lake writers; ids that a
    sequence gives on DuckDB are given by the writer: docs/DESIGN.md, "Warehouse backends").
    """
    sql = _COMMENT.sub("", sql)
    sql = _SEQUENCE_STMT.sub("", sql)
    sql = _NEXTVAL_DEFAULT.sub("", sql)
    sql = _COLUMN_KEY.sub("", sql)
    out: list[str] = []
    pos = 0
    while match := _TABLE_CONSTRAINT.search(sql, pos):
        out.append(sql[pos : match.start()])
        depth, end = 1, match.end()
        while depth and end < len(sql):
            depth += {"(": 1, ")": -1}.get(sql[end], 0)
            end += 1
        pos = end
    out.append(sql[pos:])
    return "".join(out)


LAKE_WRITER_TABLE = "ops.lake_writer"
"""One-row table every DuckLake write transaction updates (:func:`transaction`)."""


@contextmanager
def transaction(conn: duckdb.DuckDBPyConnection) -> Iterator[duckdb.DuckDBPyConnection]:
    """``BEGIN`` … ``COMMIT``, or ``ROLLBACK`` and re-raise on any exception.

    On a DuckLake the transaction also updates the one row of :data:`LAKE_WRITER_TABLE`, so two
    write transactions that overlap in time conflict at commit (DuckLake refuses a commit that
    deletes rows another commit deleted since): one commits, the other raises
    :class:`~hoopcast_common.errors.WarehouseBusyError` (exit 3) and leaves nothing. Writers
    are thereby serialised as on a DuckDB file, which is what keeps keys unique on a lake.
    """
    lake = is_lake_connection(conn)
    conn.execute("BEGIN TRANSACTION")
    try:
        if lake:
            _claim_lake_writer(conn)
        yield conn
    except BaseException:
        conn.execute("ROLLBACK")
        raise
    try:
        conn.execute("COMMIT")
    except duckdb.TransactionException as exc:
        if not lake:
            raise
        raise WarehouseBusyError(
            "the DuckLake warehouse is busy: another writer committed a conflicting change"
            f" first; nothing of this transaction was written (retry): {exc}"
        ) from exc


def _create_lake_writer(conn: duckdb.DuckDBPyConnection) -> None:
    """Create :data:`LAKE_WRITER_TABLE` with its one row (first open of a new lake)."""
    conn.execute(
        f"CREATE TABLE IF NOT EXISTS {LAKE_WRITER_TABLE} (writer INTEGER NOT NULL,"
        " claimed_at TIMESTAMPTZ NOT NULL, claims BIGINT NOT NULL)"
    )
    conn.execute(
        f"INSERT INTO {LAKE_WRITER_TABLE} SELECT 1, now(), 0"
        f" WHERE NOT EXISTS (SELECT 1 FROM {LAKE_WRITER_TABLE})"
    )


def _claim_lake_writer(conn: duckdb.DuckDBPyConnection) -> None:
    conn.execute(f"UPDATE {LAKE_WRITER_TABLE} SET claimed_at = now(), claims = claims + 1")


def next_id(conn: duckdb.DuckDBPyConnection, table: str, column: str) -> int:
    """The first free id of ``table.column`` (``max + 1``, 1 for an empty table).

    The writer's way of numbering rows where a DuckDB file uses a sequence (a DuckLake has
    none); unique because it is called inside :func:`transaction`, which serialises writers.
    """
    row = one(conn, f"SELECT coalesce(max({column}), 0) + 1 FROM {table}")
    return int(row[0]) if row else 1


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


def merge_rows(
    conn: duckdb.DuckDBPyConnection,
    table: str,
    source: str,
    key: Sequence[str],
    columns: Sequence[str],
    updates: Sequence[str] | None = None,
    *,
    params: Sequence[Any] | None = None,
) -> None:
    """Upsert by ``key``: ``MERGE INTO table USING (source)``, updating matched rows and
    inserting the others. The one upsert of both backends (a DuckLake has no PRIMARY KEY, so
    no ``INSERT … ON CONFLICT``/``INSERT OR REPLACE``).

    Args:
        table: schema-qualified target table (alias ``t`` in ``updates``).
        source: a query or registered relation with the ``columns`` (alias ``s``); at most
            one row per key (MERGE refuses to update one row twice).
        key: the columns identifying a row.
        columns: the columns inserted; matched rows get every non-key one of them (``col =
            s.col``) unless ``updates`` gives the SET list (expressions over ``t`` and ``s``).
        params: values of the ``?`` placeholders in ``source``.

    Call inside :func:`transaction`, which on a DuckLake serialises writers and so keeps the
    key unique.
    """
    sets = (
        list(updates) if updates is not None else [f"{c} = s.{c}" for c in columns if c not in key]
    )
    on = " AND ".join(f"t.{k} = s.{k}" for k in key)
    source_sql = (
        source if source.lstrip().upper().startswith("SELECT") else f"SELECT * FROM {source}"
    )
    matched = f" WHEN MATCHED THEN UPDATE SET {', '.join(sets)}" if sets else ""
    conn.execute(
        f"MERGE INTO {table} AS t USING ({source_sql}) AS s ON ({on}){matched}"
        f" WHEN NOT MATCHED THEN INSERT ({', '.join(columns)})"
        f" VALUES ({', '.join('s.' + c for c in columns)})",
        list(params or []),
    )
