"""``hoopcast-predictor show``: the Upcoming section of the Forecasts page in a terminal.

Reads the published read-only snapshot of the warehouse
(:func:`hoopcast_common.snapshot.open_snapshot`), never the writer's file, so it can run while
the pipeline writes. The rows are :func:`hoopcast_common.forecasts.upcoming` (one per game per
model, team names, probabilities in [0, 1]); formats: ``table`` (a rich table; colours on a
TTY), ``csv`` and ``json`` (columns :data:`hoopcast_common.forecasts.UPCOMING_COLUMNS`).
Unlike the stage commands it prints no JSON run summary: stdout is the listing. Exit 2 when no
snapshot is published yet or an option is wrong.
"""

from __future__ import annotations

import csv
import datetime as dt
import json
import sys
from enum import StrEnum
from typing import Annotated, TextIO

import typer
from hoopcast_common import forecasts
from hoopcast_common.settings import load_settings
from hoopcast_common.snapshot import open_snapshot
from rich.console import Console
from rich.table import Table


class Format(StrEnum):
    """Output formats of ``show``."""

    table = "table"
    csv = "csv"
    json = "json"


def _pct(value: float | None) -> str:
    return "–" if value is None else f"{100 * value:.0f}%"


def _signed(value: float | None) -> str:
    return "–" if value is None else f"{value:+.1f}"


def _spread(value: float | None) -> str:
    if value is None:
        return "–"
    return "PK" if value == 0 else f"{value:+g}"


def render_table(rows: list[forecasts.UpcomingForecast], as_of: dt.date, days: int) -> Table:
    """The rows as a rich table (what ``--format table`` prints)."""
    table = Table(title=f"Upcoming: game day {as_of} and the {days} days after it")
    for header, justify in (
        ("Date", "left"),
        ("Tip-off ET", "left"),
        ("Away @ Home", "left"),
        ("Neutral", "left"),
        ("Home win", "right"),
        ("Margin", "right"),
        ("Line", "right"),
        ("Edge", "right"),
        ("ESPN", "right"),
        ("Model", "left"),
    ):
        table.add_column(header, justify=justify)  # type: ignore[arg-type]
    for r in rows:
        model = f"{r.model_name} {r.model_version}"
        if r.model_role != "production":
            model += f" ({r.model_role})"
        table.add_row(
            r.game_date.isoformat(),
            r.tipoff_et or "–",
            f"{r.away_team} @ {r.home_team}",
            "yes" if r.neutral_site else "",
            _pct(r.home_win_prob),
            _signed(r.predicted_margin),
            _spread(r.line_spread),
            _signed(r.edge_points),
            _pct(r.espn_home_win_prob),
            model,
        )
    return table


def write_csv(rows: list[forecasts.UpcomingForecast], out: TextIO) -> None:
    """The rows as CSV with a header of :data:`~hoopcast_common.forecasts.UPCOMING_COLUMNS`."""
    writer = csv.DictWriter(out, fieldnames=list(forecasts.UPCOMING_COLUMNS))
    writer.writeheader()
    for r in rows:
        writer.writerow({k: "" if v is None else v for k, v in r.as_json().items()})


def show(
    as_of: Annotated[
        str | None,
        typer.Option(
            "--as-of", help="Game day YYYY-MM-DD (default: the latest forecast run's game day)"
        ),
    ] = None,
    days: Annotated[
        int, typer.Option("--days", min=0, max=30, help="Days after the game day")
    ] = forecasts.DEFAULT_DAYS,
    team: Annotated[
        str | None, typer.Option("--team", help="Only games of teams whose name contains this")
    ] = None,
    fmt: Annotated[Format, typer.Option("--format", help="table, csv or json")] = Format.table,
) -> None:
    """Show the upcoming forecasts (the Forecasts page's Upcoming section) in the terminal."""
    day: dt.date | None = None
    if as_of:
        try:
            day = dt.date.fromisoformat(as_of)
        except ValueError:
            typer.echo(f"--as-of {as_of!r}: expected a date YYYY-MM-DD", err=True)
            raise typer.Exit(2) from None
    db = load_settings("predictor").warehouse
    try:
        conn = open_snapshot(db)
    except FileNotFoundError as exc:
        typer.echo(str(exc), err=True)
        raise typer.Exit(2) from None
    try:
        game_day, now = forecasts.resolve_view(conn, day, dt.datetime.now(dt.UTC))
        rows = forecasts.upcoming(conn, game_day, now, days=days, team=team)
    finally:
        conn.close()
    if fmt is Format.csv:
        write_csv(rows, sys.stdout)
    elif fmt is Format.json:
        payload = {"as_of": game_day.isoformat(), "days": days, "rows": rows}
        sys.stdout.write(json.dumps(forecasts.jsonable(payload), indent=1) + "\n")
    else:
        # a pipe or file gets the full width (rich would wrap to 80 columns off a TTY)
        console = Console() if sys.stdout.isatty() else Console(width=220)
        console.print(render_table(rows, game_day, days))
        if not rows:
            typer.echo(f"no forecast from {game_day} in the next {days} days", err=True)
