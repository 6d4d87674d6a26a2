"""``hoopcast-ingestion``: stage 1 of hoopcast (ESPN → DuckDB).

Subcommands: ``collect [--from --to]`` (teams, scoreboards, rosters, summaries, pre-game
summaries), the DAG's steps ``teams``, ``games [--from --to]``, ``players``, ``stats`` (box
scores and pre-game lines), ``lines`` (pre-game lines only), ``check`` (core data quality),
and ``storage [--prune]`` (sizes; retention of raw bodies). Every command takes ``--as-of``
(a US Eastern game day, default
:func:`hoopcast_common.dates.default_as_of`), runs through
:func:`hoopcast_common.runs.run_command` (last stdout line = JSON run summary; exit codes 0, 2
bad input, 3 ESPN unavailable, 99 nothing to do) and reads ``HOOPCAST_DB``/``HOOPCAST_ENV``.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
from collections.abc import Awaitable, Callable
from typing import Annotated

import typer
from hoopcast_common.cli import AsOf, Now
from hoopcast_common.clock import run_clock, running_clock
from hoopcast_common.dates import parse_date
from hoopcast_common.db import connect
from hoopcast_common.errors import BadInputError
from hoopcast_common.logging import is_tty
from hoopcast_common.runs import RunContext, run_command
from hoopcast_common.settings import Settings

from hoopcast_ingestion import quality, storage, store
from hoopcast_ingestion.client import ClientConfig, EspnClient
from hoopcast_ingestion.collectors import (
    IngestOptions,
    Ingestor,
    Progress,
    progress_context,
    rederive_lines,
)

log = logging.getLogger(__name__)

STAGE = "ingestion"
app = typer.Typer(
    help="Collect ESPN men's college basketball data into the hoopcast DuckDB warehouse.",
    add_completion=False,
    no_args_is_help=True,
)

From = Annotated[str | None, typer.Option("--from", help="First scoreboard date (forces a range).")]
To = Annotated[str | None, typer.Option("--to", help="Last scoreboard date (forces a range).")]

IngestBody = Callable[[Ingestor, dt.date], Awaitable[None]]


def _options(settings: Settings) -> IngestOptions:
    start_raw = settings.get("HOOPCAST_INGEST_START")
    start = parse_date(start_raw, "HOOPCAST_INGEST_START") if start_raw else None
    if start is None:
        raise BadInputError(
            "setting HOOPCAST_INGEST_START is not set (first date to collect without a "
            f"watermark; set it in env/{settings.profile}/ingestion.env or the environment)"
        )
    summaries_raw = settings.get("HOOPCAST_INGEST_SUMMARIES_FROM")
    options = IngestOptions(
        ingest_start=start,
        lookahead_days=settings.get_int("HOOPCAST_INGEST_LOOKAHEAD_DAYS", 7),
        roster_refresh_days=settings.get_int("HOOPCAST_ROSTER_REFRESH_DAYS", 7),
        batch_size=settings.get_int("HOOPCAST_INGEST_BATCH_SIZE", 250),
        refetches=settings.get_int("HOOPCAST_INGEST_REFETCHES", 3),
        summaries_from=(
            parse_date(summaries_raw, "HOOPCAST_INGEST_SUMMARIES_FROM") if summaries_raw else None
        ),
        lines_max_per_run=settings.get_int("HOOPCAST_LINES_MAX_PER_RUN", 200),
        lines_refresh_hours=settings.get_float("HOOPCAST_LINES_REFRESH_HOURS", 24.0),
    )
    if (
        options.lookahead_days < 0
        or options.batch_size <= 0
        or options.refetches < 0
        or options.lines_max_per_run < 0
        or options.lines_refresh_hours < 0
    ):
        raise BadInputError(
            "settings HOOPCAST_INGEST_LOOKAHEAD_DAYS, HOOPCAST_INGEST_REFETCHES,"
            " HOOPCAST_LINES_MAX_PER_RUN and HOOPCAST_LINES_REFRESH_HOURS must be >= 0"
            " and HOOPCAST_INGEST_BATCH_SIZE > 0"
        )
    return options


def _range(start: str | None, end: str | None) -> tuple[dt.date | None, dt.date | None]:
    first = parse_date(start, "--from") if start else None
    last = parse_date(end, "--to") if end else None
    if first and last and last < first:
        raise BadInputError(f"--to {last} is before --from {first}")
    return first, last


def _run(command: str, as_of_raw: str | None, body: Callable[[RunContext, Settings], None]) -> None:
    """Run ``body(ctx, settings)`` as one logged ingestion run (creates ``HOOPCAST_DB``)."""
    raise typer.Exit(run_command(STAGE, command, as_of_raw, body))


def _ingest(ctx: RunContext, settings: Settings, steps: IngestBody, now: str | None) -> None:
    """Open the warehouse and an ESPN client whose responses are stamped with the run's clock
    (``--now``, :func:`hoopcast_common.clock.run_clock`), run ``steps``, put client counters
    in ``ctx``."""
    config = ClientConfig.from_settings(settings)
    options = _options(settings)
    assert ctx.as_of is not None
    as_of = ctx.as_of
    moment = run_clock(ctx, settings, now)
    conn = connect(settings.warehouse)
    try:
        clock = running_clock(store.clock_start(conn, moment))

        async def main() -> None:
            async with EspnClient(config, clock=clock) as client:
                with progress_context(is_tty()) as bar:
                    ingestor = Ingestor(conn, client, ctx, options, Progress(bar))
                    try:
                        await steps(ingestor, as_of)
                    finally:
                        stats = client.stats()
                        ctx.count("requests", stats["requests"])
                        ctx.count("retries", stats["retries"])
                        ctx.count("throttled", stats["throttled"])
                        ctx.extra["rate_per_s"] = stats["rate_per_s"]
                        ctx.extra["lowest_rate_per_s"] = stats["lowest_rate_per_s"]
                        ctx.extra["base_url"] = config.base_url
                        if ingestor.parse_error_samples:
                            ctx.extra["parse_error_samples"] = ingestor.parse_error_samples[:5]

        asyncio.run(main())
    finally:
        conn.close()
    for key in (
        "games_stored",
        "teams_stored",
        "players_stored",
        "team_stats_stored",
        "player_stats_stored",
        "lines_stored",
        "espn_predictions_stored",
        "parse_errors",
    ):
        ctx.counts.setdefault(key, 0)


@app.command()
def collect(
    as_of: AsOf = None, date_from: From = None, date_to: To = None, now: Now = None
) -> None:
    """Everything: teams, scoreboards (incremental or --from/--to), rosters, summaries of
    final games, then pre-game summaries (betting line, ESPN's predictor) of upcoming games."""

    def body(ctx: RunContext, settings: Settings) -> None:
        first, last = _range(date_from, date_to)

        async def steps(ing: Ingestor, day: dt.date) -> None:
            await ing.collect_teams(day)
            await ing.collect_scoreboards(day, first, last)
            await ing.collect_rosters(day)
            await ing.collect_summaries(day)
            await ing.collect_pregame_summaries(day)

        _ingest(ctx, settings, steps, now)

    _run("collect", as_of, body)


Force = Annotated[
    bool, typer.Option("--force", help="Fetch even when the watermark says it is fresh.")
]


@app.command()
def teams(as_of: AsOf = None, force: Force = False, now: Now = None) -> None:
    """The D1 team list (/teams) into core.teams, once per --as-of day (or --force)."""

    async def steps(ing: Ingestor, day: dt.date) -> None:
        await ing.collect_teams(day, force=force)

    _run("teams", as_of, lambda ctx, s: _ingest(ctx, s, steps, now))


@app.command()
def games(as_of: AsOf = None, date_from: From = None, date_to: To = None, now: Now = None) -> None:
    """Scoreboards (incremental, or the forced --from/--to range) into core.games."""

    def body(ctx: RunContext, settings: Settings) -> None:
        first, last = _range(date_from, date_to)

        async def steps(ing: Ingestor, day: dt.date) -> None:
            await ing.collect_scoreboards(day, first, last)

        _ingest(ctx, settings, steps, now)

    _run("games", as_of, body)


@app.command()
def players(as_of: AsOf = None, force: Force = False, now: Now = None) -> None:
    """Rosters of every D1 team into core.players and core.rosters (404 = no roster), every
    HOOPCAST_ROSTER_REFRESH_DAYS days (or --force); exit 0 with no requests when fresh."""

    async def steps(ing: Ingestor, day: dt.date) -> None:
        await ing.collect_rosters(day, force=force)

    _run("players", as_of, lambda ctx, s: _ingest(ctx, s, steps, now))


@app.command()
def stats(as_of: AsOf = None, now: Now = None) -> None:
    """Summaries of final games not yet stored into the box-score tables, then the pre-game
    summaries due (betting line, ESPN's predictor) of upcoming games (see ``lines``)."""

    async def steps(ing: Ingestor, day: dt.date) -> None:
        await ing.collect_summaries(day)
        await ing.collect_pregame_summaries(day)

    _run("stats", as_of, lambda ctx, s: _ingest(ctx, s, steps, now))


FromRaw = Annotated[
    bool,
    typer.Option(
        "--from-raw",
        help="No HTTP: derive the lines and predictions again from stored raw responses.",
    ),
]


@app.command()
def lines(as_of: AsOf = None, from_raw: FromRaw = False, now: Now = None) -> None:
    """Pre-game summaries of scheduled games from --as-of through the look-ahead into
    core.betting_lines and core.espn_predictions: at most HOOPCAST_LINES_MAX_PER_RUN per
    run, each game once per game day, or every run within HOOPCAST_LINES_REFRESH_HOURS of
    tip-off. With --from-raw: no requests; both tables are derived again from the
    summaries and scoreboards kept in raw.responses."""

    async def steps(ing: Ingestor, day: dt.date) -> None:
        await ing.collect_pregame_summaries(day)

    def rederive(ctx: RunContext, settings: Settings) -> None:
        conn = connect(settings.warehouse)
        try:
            rederive_lines(conn, ctx, settings.get_int("HOOPCAST_INGEST_BATCH_SIZE", 250))
        finally:
            conn.close()

    _run("lines", as_of, rederive if from_raw else lambda ctx, s: _ingest(ctx, s, steps, now))


Prune = Annotated[
    bool,
    typer.Option(
        "--prune",
        help="Empty raw bodies that the retention rule allows (HOOPCAST_RAW_RETENTION_DAYS).",
    ),
]


@app.command("storage")
def storage_command(as_of: AsOf = None, prune: Prune = False) -> None:
    """Rows and bytes per schema/table and raw responses by endpoint; with --prune, empty the
    raw bodies the retention rule allows (older than HOOPCAST_RAW_RETENTION_DAYS, superseded
    by a newer clean body of the same request, normalized without error)."""

    def body(ctx: RunContext, settings: Settings) -> None:
        days = settings.get_int("HOOPCAST_RAW_RETENTION_DAYS", storage.DEFAULT_RETENTION_DAYS)
        if days < 0:
            raise BadInputError(f"setting HOOPCAST_RAW_RETENTION_DAYS={days} must be >= 0")
        assert ctx.as_of is not None
        before = storage.cutoff(ctx.as_of, days)
        conn = connect(settings.warehouse)
        try:
            conn.execute("CHECKPOINT")
            if prune:
                pruned, pruned_bytes = storage.prune(conn, before)
                ctx.count("bodies_pruned", pruned)
                ctx.count("bytes_pruned", pruned_bytes)
            tables = storage.table_sizes(conn)
            raw = storage.raw_sizes(conn, before)
            ctx.extra["file"] = storage.file_size(conn)
        finally:
            conn.close()
        ctx.extra["retention_days"] = days
        ctx.extra["prune_before"] = before.isoformat()
        ctx.extra["tables"] = {
            f"{t.schema}.{t.table}": {"rows": t.rows, "bytes": t.bytes} for t in tables
        }
        ctx.extra["raw_by_endpoint"] = {
            e.endpoint: {
                "responses": e.responses,
                "bodies": e.bodies,
                "body_bytes": e.body_bytes,
                "prunable": e.prunable,
                "prunable_bytes": e.prunable_bytes,
            }
            for e in raw
        }
        ctx.count("tables", len(tables))
        ctx.count("raw_body_bytes", sum(e.body_bytes for e in raw))
        ctx.count("prunable_bodies", sum(e.prunable for e in raw))
        for t in tables:
            log.info("%-40s %12d rows %14d bytes", f"{t.schema}.{t.table}", t.rows, t.bytes)
        for e in raw:
            log.info(
                "raw %-20s %8d responses %8d bodies %14d body bytes, %d prunable (%d bytes)",
                e.endpoint,
                e.responses,
                e.bodies,
                e.body_bytes,
                e.prunable,
                e.prunable_bytes,
            )

    _run("storage", as_of, body)


@app.command()
def check(as_of: AsOf = None) -> None:
    """Core data-quality checks, stored in ops.quality_checks; exit 2 on a blocking failure."""

    def body(ctx: RunContext, settings: Settings) -> None:
        conn = connect(settings.warehouse)
        try:
            results = quality.run_checks(conn)
            quality.store_results(conn, ctx.run_id, results, ctx.as_of)
        finally:
            conn.close()
        failed = [r for r in results if not r.passed]
        ctx.count("checks", len(results))
        ctx.count("checks_failed", len(failed))
        ctx.extra["failed_checks"] = {
            r.check.name: {"severity": r.check.severity, "rows": r.failing_rows} for r in failed
        }
        blocking = [r for r in failed if r.check.severity == "blocking"]
        for r in failed:
            log.warning(
                "check %s (%s) failed: %d rows, e.g. %s",
                r.check.name,
                r.check.severity,
                r.failing_rows,
                ", ".join(r.examples),
            )
        if blocking:
            raise BadInputError(
                "core data quality: blocking checks failed: "
                + ", ".join(f"{r.check.name} ({r.failing_rows} rows)" for r in blocking)
            )

    _run("check", as_of, body)


def main() -> None:
    """Console-script entry point."""
    app()


if __name__ == "__main__":  # pragma: no cover
    main()
