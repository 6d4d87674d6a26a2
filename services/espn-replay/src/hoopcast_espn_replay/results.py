"""The results file (grdavis CSV format, ``data/results/README.md``): read with DuckDB, bad
rows dropped and counted, betting lines (``aspread``) turned into ESPN's spread."""

from __future__ import annotations

import datetime as dt
import logging
from collections import defaultdict
from pathlib import Path
from typing import NamedTuple

import duckdb
from hoopcast_common.errors import BadInputError

log = logging.getLogger(__name__)

#: Largest believable point spread. The file's lines run from -27 to 47.5 but for one value of
#: -133 (North Carolina A&T at Howard, 2014-03-11), which is no spread (a total, perhaps).
MAX_ABS_SPREAD = 60.0


class ResultRow(NamedTuple):
    """One kept row of the results file: neutral flag, team names (grdavis), scores, the
    game date (US local calendar date) and the line as ESPN's ``spread`` (see
    :func:`espn_spread`), None without one."""

    neutral: bool
    away: str
    away_score: int
    home: str
    home_score: int
    day: dt.date
    spread: float | None


def espn_spread(aspread: str | None) -> float | None:
    """ESPN's ``spread`` (points given to the home team) of an ``aspread`` cell.

    ``aspread`` is the away team's point spread (``data/results/README.md``: positive = away
    underdog, e.g. ``27`` for South Carolina State at Xavier, 2024-12-01). ESPN's pickcenter
    ``spread`` is the home team's: the same number with the opposite sign (APSU at EIU,
    2013-02-14: ``aspread`` 6.5, ESPN's recorded summary 330452197 gives ``"EIU -6.5"``,
    ``spread: -6.5`` from numberfire, -5.5 consensus).

    Returns None for ``NL`` (no line) or an empty cell.

    Raises:
        ValueError: the cell is not a number, or its size is beyond :data:`MAX_ABS_SPREAD`.
    """
    text = (aspread or "").strip()
    if text in ("", "NL"):
        return None
    value = float(text)
    if not abs(value) <= MAX_ABS_SPREAD:
        raise ValueError(f"spread {text} beyond ±{MAX_ABS_SPREAD:g}")
    return -value if value else 0.0


def read_results(
    con: duckdb.DuckDBPyConnection, path: Path
) -> tuple[list[ResultRow], dict[str, int], dict[str, int]]:
    """The rows of the results file at ``path``, the counts of dropped rows by reason, and
    the counts of rejected lines by reason (the row is kept without a line; each is logged as
    a warning naming the row).

    Drops the rows the results README names as bad: incomplete rows, ties (the 2-2 "tie"
    ``1,Alabama State,2,IU Indy,2,20251121,4.5``) and repeated ``(away, home, date)`` keys
    (the later of the two ``Kansas Christian @ Kansas City 20201219`` rows).

    Raises:
        BadInputError: the file is not in the grdavis format, has a bad date, or no games.
    """
    try:
        rows = con.execute(
            "SELECT neutral, away, ascore, home, hscore, date,"
            " CAST(try_strptime(date, '%Y%m%d') AS DATE), aspread FROM read_csv(?, header=false,"
            " columns={'neutral': 'INTEGER', 'away': 'VARCHAR', 'ascore': 'INTEGER',"
            " 'home': 'VARCHAR', 'hscore': 'INTEGER', 'date': 'VARCHAR',"
            " 'aspread': 'VARCHAR'})",
            [str(path)],
        ).fetchall()
    except duckdb.Error as exc:
        raise BadInputError(
            f"--results {path}: not a grdavis results CSV "
            f"(neutral,away,ascore,home,hscore,date,aspread): {exc}"
        ) from exc
    dropped: dict[str, int] = defaultdict(int)
    rejected: dict[str, int] = defaultdict(int)
    parsed: list[ResultRow] = []
    seen: set[tuple[str, str, str]] = set()
    for neutral, away, ascore, home, hscore, date, day, aspread in rows:
        if None in (away, home, ascore, hscore, date):
            dropped["incomplete"] += 1
            continue
        if ascore == hscore:
            dropped["tie"] += 1
            continue
        key = (away, home, date)
        if key in seen:
            dropped["duplicate_key"] += 1
            continue
        seen.add(key)
        if day is None:
            raise BadInputError(f"--results {path}: bad date {date!r} (YYYYMMDD)")
        try:
            spread = espn_spread(aspread)
        except ValueError as exc:
            rejected["bad_aspread"] += 1
            log.warning(
                "--results %s: %s at %s %s: line not served (%s)", path, away, home, date, exc
            )
            spread = None
        parsed.append(ResultRow(bool(neutral), away, int(ascore), home, int(hscore), day, spread))
    if not parsed:
        raise BadInputError(f"--results {path}: no games")
    return parsed, dropped, rejected
