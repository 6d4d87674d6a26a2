"""``hoopcast-espn-replay``: run the offline ESPN replay server.

Settings (``env/<profile>/espn-replay.env``, then the environment): ``REPLAY_NOW`` (clock:
a date ``YYYY-MM-DD``, meaning the end of that game day, or an ISO-8601 moment such as
``2026-02-07T09:00-05:00``; default the end of today, UTC date), ``REPLAY_HOST`` (default
127.0.0.1), ``REPLAY_PORT`` (default 8765),
``REPLAY_DATA_DIR`` (default the project's ``data/``), ``REPLAY_FAULTS``, ``REPLAY_SEED``,
``REPLAY_FAULT_DELAY``. Command-line options win over settings. Bad input exits 2 with a
message naming it.
"""

from __future__ import annotations

import logging
import time
from pathlib import Path
from typing import Annotated

import typer
from hoopcast_common.dates import today_utc
from hoopcast_common.errors import BadInputError
from hoopcast_common.logging import configure_logging
from hoopcast_common.settings import load_settings

from hoopcast_espn_replay.app import clock_text
from hoopcast_espn_replay.clock import clock_from, parse_clock
from hoopcast_espn_replay.inputs import DataPaths
from hoopcast_espn_replay.server import (
    DEFAULT_FAULT_DELAY_S,
    DEFAULT_PORT,
    build_state,
    default_data_dir,
    serve,
)

log = logging.getLogger("hoopcast_espn_replay")
app = typer.Typer(add_completion=False, help=__doc__)


@app.command()
def run(
    port: Annotated[int | None, typer.Option(help="TCP port (default REPLAY_PORT or 8765)")] = None,
    now: Annotated[
        str | None,
        typer.Option(
            help="replay clock: YYYY-MM-DD (end of that day, US Eastern) or an ISO-8601 moment"
            " such as 2026-02-07T09:00-05:00 (default REPLAY_NOW or today UTC)"
        ),
    ] = None,
    host: Annotated[
        str | None, typer.Option(help="bind address (default REPLAY_HOST or 127.0.0.1)")
    ] = None,
    data_dir: Annotated[
        Path | None, typer.Option(help="data folder (default REPLAY_DATA_DIR or data/)")
    ] = None,
    results: Annotated[Path | None, typer.Option(help="results CSV in grdavis format")] = None,
    crosswalk: Annotated[Path | None, typer.Option(help="grdavis name → ESPN team id CSV")] = None,
    boxscores: Annotated[
        Path | None, typer.Option(help="folder of team box-score parquet files")
    ] = None,
    faults: Annotated[
        float | None, typer.Option(help="fault rate 0..1 (default REPLAY_FAULTS or 0)")
    ] = None,
    seed: Annotated[
        int | None, typer.Option(help="fault RNG seed (default REPLAY_SEED or 0)")
    ] = None,
    fault_delay: Annotated[
        float | None, typer.Option(help="seconds a delay fault holds an answer (default 30)")
    ] = None,
) -> None:
    """Serve ESPN's men's college basketball site API offline."""
    configure_logging()
    try:
        settings = load_settings("espn-replay")
        clock = (
            parse_clock(now, "--now")
            if now
            else (
                parse_clock(settings.values["REPLAY_NOW"], "REPLAY_NOW")
                if settings.get("REPLAY_NOW")
                else clock_from(today_utc())
            )
        )
        folder = data_dir or Path(settings.get("REPLAY_DATA_DIR") or default_data_dir())
        paths = DataPaths.under(folder, results=results, crosswalk=crosswalk, boxscores=boxscores)
        t0 = time.perf_counter()
        state = build_state(
            clock,
            paths,
            faults=faults if faults is not None else settings.get_float("REPLAY_FAULTS", 0.0),
            seed=seed if seed is not None else settings.get_int("REPLAY_SEED", 0),
            fault_delay_s=fault_delay
            if fault_delay is not None
            else settings.get_float("REPLAY_FAULT_DELAY", DEFAULT_FAULT_DELAY_S),
        )
        bind_host = host or settings.get("REPLAY_HOST") or "127.0.0.1"
        bind_port = port if port is not None else settings.get_int("REPLAY_PORT", DEFAULT_PORT)
    except BadInputError as exc:
        typer.echo(f"hoopcast-espn-replay: error: {exc}", err=True)
        raise typer.Exit(2) from exc
    log.info(
        "replay server ready in %.2f s: now=%s, %d games, faults=%s seed=%s; http://%s:%d",
        time.perf_counter() - t0,
        clock_text(clock),
        len(state.data.games),
        state.faults.rate,
        state.faults.seed,
        bind_host,
        bind_port,
    )
    serve(state, bind_host, bind_port)


def main() -> None:
    """Console-script entry point."""
    app(prog_name="hoopcast-espn-replay")


if __name__ == "__main__":  # pragma: no cover
    main()
