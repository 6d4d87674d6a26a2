"""``hoopcast-features``: build the feature tables and check their quality.

Commands (docs/DESIGN.md, "Stage CLI contract" and "Stage CLI subcommands"):

* ``build [--full-refresh] [--layer team|player|game] [--as-of D]`` — recompute what changed
  since the last build (every layer by default, in order team → player → game), run the
  quality checks on the result and publish it; ``--layer`` builds one layer only and requires
  the layers before it to be up to date (the Airflow DAG runs one task per layer, then
  ``check``). Exit 99 when no input changed, 2 on a blocking check failure (tables kept).
* ``check [--as-of D]`` — run every quality check on the published tables; exit 2 when a
  blocking check fails.

The database is ``HOOPCAST_DB``; the last stdout line is the JSON run summary.
"""

from __future__ import annotations

import datetime as dt
import enum
import sys
from collections.abc import Callable
from typing import Annotated

import duckdb
import typer
from hoopcast_common.cli import AsOf
from hoopcast_common.db import connect
from hoopcast_common.errors import BadInputError, ConfigError
from hoopcast_common.runs import RunContext, run_command
from hoopcast_common.settings import Settings

app = typer.Typer(add_completion=False, no_args_is_help=True, help=__doc__)

STAGE = "features"


class Layer(enum.StrEnum):
    """A feature layer selectable with ``--layer``."""

    team = "team"
    player = "player"
    game = "game"


Work = Callable[[duckdb.DuckDBPyConnection, RunContext, dt.date], None]
"""A command body: (writable connection, run context, as-of date) → None."""


def _execute(command: str, as_of_text: str | None, work: Work) -> None:
    """Run ``work(conn, ctx, as_of)`` on a tuned writable connection as one logged run.

    The warehouse must exist already (exit 2 otherwise, see
    :func:`hoopcast_common.runs.run_command` ``needs_db``).
    """

    def body(ctx: RunContext, settings: Settings) -> None:
        assert ctx.as_of is not None
        conn = connect(settings.db_path)
        try:
            _tune(conn, settings)
            work(conn, ctx, ctx.as_of)
        finally:
            conn.close()

    raise typer.Exit(run_command(STAGE, command, as_of_text, body, needs_db=True))


def _tune(conn: duckdb.DuckDBPyConnection, settings: Settings) -> None:
    """Apply the DuckDB resource settings of the features env file, when set.

    ``HOOPCAST_FEATURES_THREADS`` (int ≥ 1, default 1: with one thread DuckDB's floating-point
    sums add up in one order, so incremental builds equal full refreshes exactly) and
    ``HOOPCAST_FEATURES_MEMORY_LIMIT`` (DuckDB size string such as ``2GB``) bound the build
    inside a container's CPU and memory limits.

    Raises:
        ConfigError: a value is malformed (names the setting and its env file).
    """
    threads = settings.get_int("HOOPCAST_FEATURES_THREADS", 1)
    if threads < 1:
        raise ConfigError(f"setting HOOPCAST_FEATURES_THREADS={threads} must be >= 1")
    conn.execute(f"SET threads = {threads}")
    memory = settings.get("HOOPCAST_FEATURES_MEMORY_LIMIT")
    if memory:
        try:
            conn.execute(f"SET memory_limit = '{memory.replace(chr(39), '')}'")
        except duckdb.Error as exc:
            raise ConfigError(
                f"setting HOOPCAST_FEATURES_MEMORY_LIMIT={memory!r} (from "
                f"{settings.sources.get('HOOPCAST_FEATURES_MEMORY_LIMIT', '?')}) is not a "
                f"DuckDB memory size: {exc}"
            ) from exc


@app.command("build")
def build_command(
    full_refresh: Annotated[
        bool, typer.Option("--full-refresh", help="recompute every season from scratch")
    ] = False,
    layer: Annotated[
        Layer | None,
        typer.Option("--layer", help="build only this layer (earlier layers must be current)"),
    ] = None,
    as_of: AsOf = None,
) -> None:
    """Recompute the features of games whose inputs changed, check them, publish them."""
    from hoopcast_features.build import LAYERS, build

    layers = LAYERS if layer is None else (layer.value,)

    def work(conn: duckdb.DuckDBPyConnection, ctx: RunContext, day: dt.date) -> None:
        build(conn, ctx, layers=layers, full_refresh=full_refresh, as_of=day)

    _execute("build", as_of, work)


@app.command("check")
def check_command(as_of: AsOf = None) -> None:
    """Run the quality checks on the published feature tables (exit 2 on blocking failure)."""
    from hoopcast_common.db import table_exists
    from hoopcast_common.quality import blocking_failures

    from hoopcast_features import team_seasons
    from hoopcast_features.build import LAYERS, TABLES
    from hoopcast_features.quality import flags, run_checks

    def work(conn: duckdb.DuckDBPyConnection, ctx: RunContext, day: dt.date) -> None:
        missing = [t for t in TABLES.values() if not table_exists(conn, "features", t)]
        if missing:
            raise BadInputError(
                f"features tables not built yet ({', '.join(missing)}): run "
                "`hoopcast-features build` first"
            )
        results = run_checks(
            conn,
            run_id=ctx.run_id,
            as_of=day,
            layers=LAYERS,
            relations={layer: f"features.{TABLES[layer]}" for layer in LAYERS},
            team_seasons=team_seasons.PUBLISHED,
        )
        ctx.count("checks_run", len(results))
        ctx.count("checks_failed", len([r for r in results if not r.passed]))
        ctx.extra["failed_checks"] = [r.check.name for r in results if not r.passed]
        ctx.extra["flagged_games"] = len(flags(results))
        blocking = blocking_failures(results)
        if blocking:
            raise BadInputError(
                "blocking feature quality checks failed: "
                + ", ".join(f"{r.check.name} ({r.detail})" for r in blocking)
            )

    _execute("check", as_of, work)


def main() -> None:
    """Console-script entry point."""
    app(prog_name="hoopcast-features")
    sys.exit(0)  # pragma: no cover - typer exits itself
