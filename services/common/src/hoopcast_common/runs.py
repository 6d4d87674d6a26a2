"""Stage runs: the ``ops.stage_runs`` log, exit codes and the last-line JSON run summary.

Every stage command body runs inside :func:`run_stage`, which

* records a ``running`` row in ``ops.stage_runs`` (when the database can be opened),
* maps :class:`~hoopcast_common.errors.HoopcastError` subclasses to the DESIGN.md exit codes
  (2 bad input, 3 upstream unavailable, 99 nothing to do; anything else 1),
* finishes the row with status, counts and error, and
* prints one JSON object as the **last line on stdout** (DockerOperator pushes it to XCom):
  ``{"stage", "command", "as_of", "profile", "run_id", "status", "exit_code", "counts",
  "duration_s", "error", ...extra}``.

:func:`run_command` is the one wrapper the stage CLIs put around :func:`run_stage`: it
configures logging, resolves the settings and ``--as-of`` (printing a failure summary when
they are unusable) and picks the database path to log to.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import os
import sys
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar, overload

import duckdb

from hoopcast_common.dates import default_as_of, parse_date
from hoopcast_common.errors import EXIT_OK, BadInputError, HoopcastError
from hoopcast_common.logging import configure_logging
from hoopcast_common.settings import DEFAULT_PROFILE, Settings, load_settings

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


def _log_start(db_path: Path | None, ctx: RunContext, started: dt.datetime) -> bool:
    if db_path is None:
        return False
    from hoopcast_common.db import connect

    try:
        conn = connect(db_path)
    except HoopcastError:
        raise
    except duckdb.Error as exc:  # pragma: no cover - defensive, reported as bad input below
        log.warning("cannot record stage run in %s: %s", db_path, exc)
        return False
    try:
        conn.execute(
            "INSERT INTO ops.stage_runs (run_id, stage, command, as_of, profile, started_at,"
            " status) VALUES (?, ?, ?, ?, ?, ?, 'running')",
            [ctx.run_id, ctx.stage, ctx.command, ctx.as_of, ctx.profile, started],
        )
    finally:
        conn.close()
    return True


def _log_finish(db_path: Path, ctx: RunContext, status: str, code: int, error: str | None) -> None:
    from hoopcast_common.db import connect

    try:
        conn = connect(db_path)
    except (HoopcastError, duckdb.Error) as exc:
        log.warning("cannot finish stage run record in %s: %s", db_path, exc)
        return
    try:
        conn.execute(
            "UPDATE ops.stage_runs SET finished_at = ?, status = ?, exit_code = ?, counts = ?,"
            " error = ? WHERE run_id = ?",
            [dt.datetime.now(dt.UTC), status, code, json.dumps(ctx.counts), error, ctx.run_id],
        )
    finally:
        conn.close()


def run_stage(
    *,
    stage: str,
    command: str,
    as_of: dt.date | None,
    profile: str,
    db_path: Path | None,
    body: Callable[[RunContext], None],
) -> int:
    """Run ``body`` as one logged stage run and return the process exit code.

    ``db_path`` None means the command does not touch the warehouse (no ``ops`` row).
    The database connection used for the log is opened and closed around ``body`` so that
    ``body`` is free to open its own single writer connection.
    """
    ctx = RunContext(stage=stage, command=command, as_of=as_of, profile=profile)
    started = dt.datetime.now(dt.UTC)
    t0 = time.perf_counter()
    status, code, error = "success", EXIT_OK, None
    logged = False
    try:
        logged = _log_start(db_path, ctx, started)
        body(ctx)
    except HoopcastError as exc:
        status, code, error = exc.status, exc.exit_code, str(exc)
        if code == 99:
            log.info("%s %s: nothing to do: %s", stage, command, exc)
        else:
            log.error("%s %s failed (%s): %s", stage, command, status, exc)
    except KeyboardInterrupt:
        status, code, error = "interrupted", 130, "interrupted"
    except Exception as exc:
        log.exception("%s %s failed with an unexpected error", stage, command)
        status, code, error = "failed", 1, f"{type(exc).__name__}: {exc}"
    if logged and db_path is not None:
        _log_finish(db_path, ctx, status, code, error)
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
        The process exit code (0, 1, 2, 3, 99 or 130; see :func:`run_stage`). The caller
        exits with it (``raise typer.Exit(code)``).
    """
    configure_logging()
    try:
        settings = load_settings(stage)
        as_of = parse_date(as_of_text, "--as-of") if as_of_text else default_as_of(settings.values)
        prepared = settings if prepare is None else prepare(settings)
    except HoopcastError as exc:
        error = exc

        def fail(_ctx: RunContext) -> None:
            raise error

        profile = os.environ.get("HOOPCAST_ENV") or DEFAULT_PROFILE
        return run_stage(
            stage=stage, command=command, as_of=None, profile=profile, db_path=None, body=fail
        )
    db_path = settings.db_path

    def body(ctx: RunContext) -> None:
        if needs_db and not db_path.exists():
            raise BadInputError(f"HOOPCAST_DB={db_path}: no warehouse yet; run ingestion first")
        work(ctx, prepared)

    return run_stage(
        stage=stage,
        command=command,
        as_of=as_of,
        profile=settings.profile,
        db_path=db_path if db_path.exists() or not needs_db else None,
        body=body,
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
