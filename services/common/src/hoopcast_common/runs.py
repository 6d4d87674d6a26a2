"""Stage runs: the ``ops.stage_runs`` log, exit codes and the last-line JSON run summary.

Every stage command body runs inside :func:`run_stage`, which

* opens the warehouse and keeps that connection for the whole run, so the process holds
  DuckDB's file lock from start to finish (the body's own connections share it: DuckDB gives
  connections of one process to one file the same database instance). A busy warehouse is
  :class:`~hoopcast_common.errors.WarehouseBusyError` (exit 3, retried by Airflow);
* marks every ``running`` row left in ``ops.stage_runs`` as ``abandoned`` (see below), then
  records its own ``running`` row;
* maps :class:`~hoopcast_common.errors.HoopcastError` subclasses to the DESIGN.md exit codes
  (2 bad input, 3 upstream unavailable or warehouse busy, 99 nothing to do; anything else 1);
  SIGTERM (``docker stop``, Airflow killing a task) and SIGINT stop the body, roll back its
  open transaction and record ``interrupted`` (exit 143 and 130);
* finishes the row with status, counts and error and, after a successful run, publishes the
  read-only snapshot (:func:`hoopcast_common.snapshot.publish_snapshot`) that people and the
  Airflow sensors read;
* prints one JSON object as the **last line on stdout** (DockerOperator pushes it to XCom):
  ``{"stage", "command", "as_of", "profile", "run_id", "status", "exit_code", "counts",
  "duration_s", "error", ...extra}``.

Abandoned runs: a process killed with SIGKILL (or the OOM killer, or a lost container) cannot
record anything, so its row would stay ``running`` for ever. On the embedded backend (one
DuckDB file) a stage run holds the file's write lock from its first statement to its last, so
a process that has just acquired the lock knows that no other stage run is alive: every
``running`` row it finds belongs to a process that died, and it marks it ``abandoned``. (A
backend with several concurrent writers, such as DuckLake, could not reason so and would need
a heartbeat instead.)

:func:`run_command` is the one wrapper the stage CLIs put around :func:`run_stage`: it
configures logging, resolves the settings and ``--as-of`` (printing a failure summary when
they are unusable) and picks the database path to log to.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import os
import signal
import sys
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from types import FrameType
from typing import Any, TypeVar, overload

import duckdb

from hoopcast_common.dates import default_as_of, parse_date
from hoopcast_common.db import (
    DEFAULT_LOCK_TIMEOUT_S,
    LOCK_TIMEOUT_SETTING,
    WarehouseTarget,
    as_warehouse,
    connect,
    transaction,
)
from hoopcast_common.errors import EXIT_OK, BadInputError, HoopcastError
from hoopcast_common.logging import configure_logging
from hoopcast_common.settings import DEFAULT_PROFILE, Settings, load_settings
from hoopcast_common.snapshot import publish_snapshot
from hoopcast_common.warehouse import storage_errors

log = logging.getLogger(__name__)


@dataclass
class RunContext:
    """What a command body gets: ids, the logical date, and counters for the summary.

    ``counts`` are integers keyed by what was counted (``requests``, ``games_stored``...);
    ``extra`` holds other JSON-serialisable facts for the summary (paths, model versions).
    """

    stage: str
    command: str
    as_of: dt.date | None
    profile: str
    run_id: str = field(default_factory=lambda: uuid.uuid4().hex)
    counts: dict[str, int] = field(default_factory=dict)
    extra: dict[str, Any] = field(default_factory=dict)

    def count(self, key: str, n: int = 1) -> None:
        """Add ``n`` to counter ``key``."""
        self.counts[key] = self.counts.get(key, 0) + n


EXIT_INTERRUPTED_SIGINT = 130
EXIT_INTERRUPTED_SIGTERM = 143
"""Exit codes of an interrupted run (128 + signal number, the shell's convention)."""


class StageTerminated(BaseException):
    """SIGTERM arrived during a stage run (raised by the handler :func:`run_stage` installs).

    A BaseException, so that a body's ``except Exception`` does not swallow it while open
    transactions (:func:`hoopcast_common.db.transaction`) still roll back.
    """


@contextmanager
def _sigterm_interrupts() -> Iterator[None]:
    """While active, SIGTERM raises :class:`StageTerminated` in the main thread.

    Outside the main thread (signal handlers cannot be installed there) it does nothing.
    The previous handler is restored on exit.
    """
    if threading.current_thread() is not threading.main_thread():
        yield
        return

    def handler(signum: int, _frame: FrameType | None) -> None:
        raise StageTerminated(f"stopped by signal {signal.Signals(signum).name}")

    previous = signal.signal(signal.SIGTERM, handler)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)


def _begin(
    db_path: WarehouseTarget, ctx: RunContext, started: dt.datetime, lock_timeout: float
) -> duckdb.DuckDBPyConnection:
    """Open the run's lock-holding connection, mark stale ``running`` rows ``abandoned`` and
    insert this run's ``running`` row; returns the open connection.

    On a DuckLake, where runs may overlap (no file lock), other runs' ``running`` rows are
    left alone: only a file's lock proves that nobody else is running.

    Raises:
        WarehouseBusyError: another process kept the file locked for ``lock_timeout`` s.
        BadInputError, MigrationError: see :func:`hoopcast_common.db.connect`.
    """
    conn = connect(db_path, lock_timeout=lock_timeout)
    try:
        with transaction(conn):
            stale = (
                []
                if as_warehouse(db_path).is_lake
                else conn.execute(
                    "SELECT run_id, stage, command, started_at FROM ops.stage_runs"
                    " WHERE status = 'running'"
                ).fetchall()
            )
            if stale:
                conn.execute(
                    "UPDATE ops.stage_runs SET status = 'abandoned', finished_at = ?, error = ?"
                    " WHERE status = 'running'",
                    [
                        started,
                        f"the process ended without recording an outcome (killed); found by"
                        f" run {ctx.run_id}",
                    ],
                )
            conn.execute(
                "INSERT INTO ops.stage_runs (run_id, stage, command, as_of, profile, started_at,"
                " status) VALUES (?, ?, ?, ?, ?, ?, 'running')",
                [ctx.run_id, ctx.stage, ctx.command, ctx.as_of, ctx.profile, started],
            )
    except BaseException:
        conn.close()
        raise
    for run_id, stage, command, run_started in stale:
        log.warning(
            "stage run %s (%s %s, started %s) was still 'running' with nobody holding the"
            " warehouse lock: marked 'abandoned'",
            run_id,
            stage,
            command,
            run_started,
        )
    return conn


def _finish(
    conn: duckdb.DuckDBPyConnection,
    db_path: WarehouseTarget,
    ctx: RunContext,
    status: str,
    code: int,
    error: str | None,
) -> None:
    """Record the run's outcome on its connection and, after a success, publish the snapshot.

    Failures here are logged, never raised: the body's work is committed already.
    """
    try:
        with transaction(conn):
            conn.execute(
                "UPDATE ops.stage_runs SET finished_at = ?, status = ?, exit_code = ?,"
                " counts = ?, error = ? WHERE run_id = ?",
                [dt.datetime.now(dt.UTC), status, code, json.dumps(ctx.counts), error, ctx.run_id],
            )
    except (duckdb.Error, HoopcastError) as exc:
        log.warning("cannot finish stage run record in %s: %s", db_path, exc)
        return
    if status != "success":
        return
    try:
        publish_snapshot(conn, db_path)
    except (duckdb.Error, OSError) as exc:
        log.warning("cannot publish the snapshot of %s (the previous one stays): %s", db_path, exc)


def run_stage(
    *,
    stage: str,
    command: str,
    as_of: dt.date | None,
    profile: str,
    db_path: WarehouseTarget | None,
    body: Callable[[RunContext], None],
    lock_timeout: float = DEFAULT_LOCK_TIMEOUT_S,
) -> int:
    """Run ``body`` as one logged stage run and return the process exit code.

    ``db_path`` None means the command does not touch the warehouse (no ``ops`` row, no lock,
    no snapshot). Otherwise the run's connection holds the warehouse lock until the run is
    recorded; ``body`` opens its own connections (same process, same database instance).
    ``lock_timeout``: seconds to wait for another process's lock (``HOOPCAST_DB_LOCK_TIMEOUT``).
    """
    ctx = RunContext(stage=stage, command=command, as_of=as_of, profile=profile)
    started = dt.datetime.now(dt.UTC)
    t0 = time.perf_counter()
    status, code, error = "success", EXIT_OK, None
    conn: duckdb.DuckDBPyConnection | None = None
    with _sigterm_interrupts():
        try:
            if db_path is not None:
                with storage_errors(as_warehouse(db_path)):
                    conn = _begin(db_path, ctx, started, lock_timeout)
            body(ctx)
        except HoopcastError as exc:
            status, code, error = exc.status, exc.exit_code, str(exc)
            if code == 99:
                log.info("%s %s: nothing to do: %s", stage, command, exc)
            else:
                log.error("%s %s failed (%s): %s", stage, command, status, exc)
        except KeyboardInterrupt:
            status, code, error = "interrupted", EXIT_INTERRUPTED_SIGINT, "interrupted (SIGINT)"
        except StageTerminated as exc:
            status, code, error = "interrupted", EXIT_INTERRUPTED_SIGTERM, f"interrupted: {exc}"
            log.error("%s %s %s", stage, command, error)
        except Exception as exc:
            log.exception("%s %s failed with an unexpected error", stage, command)
            status, code, error = "failed", 1, f"{type(exc).__name__}: {exc}"
    # Outside the SIGTERM handler: a SIGTERM while the outcome is recorded ends the process
    # (the next run then finds the row 'running' and marks it abandoned).
    if conn is not None and db_path is not None:
        try:
            _finish(conn, db_path, ctx, status, code, error)
        finally:
            conn.close()
    summary: dict[str, Any] = {
        "stage": stage,
        "command": command,
        "as_of": ctx.as_of.isoformat() if ctx.as_of else None,
        "profile": profile,
        "run_id": ctx.run_id,
        "status": status,
        "exit_code": code,
        "counts": ctx.counts,
        "duration_s": round(time.perf_counter() - t0, 3),
        "error": error,
        **ctx.extra,
    }
    sys.stderr.flush()
    print(json.dumps(summary, default=str), flush=True)
    return code


Prepared = TypeVar("Prepared")


@overload
def run_command(
    stage: str,
    command: str,
    as_of_text: str | None,
    work: Callable[[RunContext, Settings], None],
    *,
    needs_db: bool = False,
) -> int: ...


@overload
def run_command(
    stage: str,
    command: str,
    as_of_text: str | None,
    work: Callable[[RunContext, Prepared], None],
    *,
    prepare: Callable[[Settings], Prepared],
    needs_db: bool = False,
) -> int: ...


def run_command(
    stage: str,
    command: str,
    as_of_text: str | None,
    work: Callable[[RunContext, Any], None],
    *,
    prepare: Callable[[Settings], Any] | None = None,
    needs_db: bool = False,
) -> int:
    """Run one stage CLI command: resolve its settings, then ``work`` inside :func:`run_stage`.

    Steps: configure logging; load the settings of ``stage`` (``env/<profile>/<stage>.env``,
    profile from ``HOOPCAST_ENV``), parse ``as_of_text`` (``--as-of``, default
    :func:`~hoopcast_common.dates.default_as_of`) and call ``prepare(settings)`` when given.
    If any of these raises a :class:`~hoopcast_common.errors.HoopcastError` (bad profile, bad
    date, bad setting) the run summary is still printed — ``as_of`` null, ``profile`` the
    ``HOOPCAST_ENV`` value (default ``local``), no ``ops.stage_runs`` row — and its exit code
    returned. Otherwise ``work(ctx, prepared)`` runs through :func:`run_stage`, where
    ``prepared`` is ``prepare(settings)`` or the :class:`~hoopcast_common.settings.Settings`.

    Args:
        stage: stage name (``ingestion``, ``features``...), also the settings service name.
        command: the subcommand, for the summary and ``ops.stage_runs``.
        as_of_text: the ``--as-of`` option as typed, or None.
        work: the command body; it opens its own database connections.
        prepare: resolves stage configuration from the settings before the run starts, so
            that a bad configuration fails like a bad ``--as-of`` (e.g. the trainer's
            ``TrainerConfig``).
        needs_db: the database ``HOOPCAST_DB`` must already exist (stages after ingestion
            that refuse to create an empty warehouse): when it does not, no ``ops`` row is
            written and the run fails with :class:`~hoopcast_common.errors.BadInputError`
            (exit 2). When False the run is logged to ``HOOPCAST_DB``, creating the file.

    Returns:
        The process exit code (0, 1, 2, 3, 99, 130 or 143; see :func:`run_stage`). The caller
        exits with it (``raise typer.Exit(code)``).
    """
    configure_logging()
    try:
        settings = load_settings(stage)
        as_of = parse_date(as_of_text, "--as-of") if as_of_text else default_as_of(settings.values)
        prepared = settings if prepare is None else prepare(settings)
        lock_timeout = settings.get_float(LOCK_TIMEOUT_SETTING, DEFAULT_LOCK_TIMEOUT_S)
    except HoopcastError as exc:
        error = exc

        def fail(_ctx: RunContext) -> None:
            raise error

        profile = os.environ.get("HOOPCAST_ENV") or DEFAULT_PROFILE
        return run_stage(
            stage=stage, command=command, as_of=None, profile=profile, db_path=None, body=fail
        )
    try:
        warehouse = settings.warehouse
    except HoopcastError as exc:
        bad = exc

        def fail_warehouse(_ctx: RunContext) -> None:
            raise bad

        return run_stage(
            stage=stage,
            command=command,
            as_of=as_of,
            profile=settings.profile,
            db_path=None,
            body=fail_warehouse,
        )
    exists = warehouse.is_lake or warehouse.path.exists()

    def body(ctx: RunContext) -> None:
        if needs_db and not exists:
            raise BadInputError(
                f"HOOPCAST_DB={warehouse.path}: no warehouse yet; run ingestion first"
            )
        with storage_errors(warehouse):
            work(ctx, prepared)

    return run_stage(
        stage=stage,
        command=command,
        as_of=as_of,
        profile=settings.profile,
        db_path=warehouse if exists or not needs_db else None,
        body=body,
        lock_timeout=lock_timeout,
    )


def last_json_line(output: str) -> dict[str, Any]:
    """Parse the run summary: the last non-empty stdout line that is a JSON object.

    Raises:
        ValueError: no line of ``output`` is a JSON object.
    """
    for line in reversed(output.strip().splitlines()):
        line = line.strip()
        if line.startswith("{"):
            try:
                value = json.loads(line)
            except json.JSONDecodeError:
                continue
            if isinstance(value, dict):
                return value
    raise ValueError("no JSON run summary line in the output")
