"""The results file (grdavis CSV format, ``data/results/README.md``): read with DuckDB, bad
rows dropped and counted."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from pathlib import Path
from typing import NamedTuple

import duckdb
from hoopcast_common.errors import BadInputError


class ResultRow(NamedTuple):
    """One kept row of the results file: neutral flag, team names (grdavis), scores, and the
    game date (US local calendar date)."""

    neutral: bool
    away: str
    away_score: int
    home: str
    home_score: int
    day: dt.date


def read_results(
    con: duckdb.DuckDBPyConnection, path: Path
) -> tuple[list[ResultRow], dict[str, int]]:
    """The rows of the results file at ``path``, and the counts of dropped rows by reason.

    Drops the rows the results README names as bad: incomplete rows, ties (the 2-2 "tie"
    ``1,Alabama State,2,IU Indy,2,20251121,4.5``) and repeated ``(away, home, date)`` keys
    (the later of the two ``Kansas Christian @ Kansas City 20201219`` rows).

    Raises:
        BadInputError: the file is not in the grdavis format, has a bad date, or no games.
    """
    try:
        rows = con.execute(
            "SELECT neutral, away, ascore, home, hscore, date,"
            " CAST(try_strptime(date, '%Y%m%d') AS DATE) FROM read_csv(?, header=false,"
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
    parsed: list[ResultRow] = []
    seen: set[tuple[str, str, str]] = set()
    for neutral, away, ascore, home, hscore, date, day in rows:
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
        parsed.append(ResultRow(bool(neutral), away, int(ascore), home, int(hscore), day))
    if not parsed:
        raise BadInputError(f"--results {path}: no games")
    return parsed, dropped
