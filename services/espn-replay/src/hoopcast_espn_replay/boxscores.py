"""Real team box scores (``data/boxscores/*.parquet``): loaded in SQL as one row per contest,
then matched to results games by date and ESPN team ids."""

from __future__ import annotations

import datetime as dt
import logging
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path

import duckdb

from hoopcast_espn_replay.model import Team

log = logging.getLogger(__name__)

#: Box-score rows of a few D1 teams have no ESPN team id in some seasons
#: (``data/boxscores/README.md``, "Known quirks"); filled by the row's ``team`` name.
BOX_TEAM_ID_FILL = {
    "Saint Francis": "2598",
    "FDU": "161",
    "IU Indy": "85",
    "East Texas A&M": "2837",
    "LIU": "112358",
    "North Ala.": "2453",
    "California Baptist": "2856",
    "Merrimack": "2771",
}

#: Box-score columns packed into a :class:`~.model.BoxLine`, in its field order.
BOX_STAT_COLUMNS = ("fgm", "fga", "tpm", "tpa", "ftm", "fta", "orb", "drb", "to", "ast", "blk")


@dataclass(slots=True)
class Contest:
    """One box-score game: its date, ESPN event id when known, each team's packed line by
    team id (``""`` for a side without an id) and the minutes played (overtime shows)."""

    date: dt.date
    espn_game_id: str | None
    lines: dict[str, str]
    mins: float | None
    used: bool = False


BoxIndex = dict[tuple[dt.date, str], list[Contest]]
"""(date, ESPN team id) → contests of that team on that date."""


def load_boxscores(con: duckdb.DuckDBPyConnection, folder: Path) -> BoxIndex:
    """Every two-team contest with points of the parquet files under ``folder``, indexed by
    (date, team id) of each side with an id (none at all, with a warning, when the folder
    holds no parquet file)."""
    files = sorted(folder.glob("*.parquet"))
    index: BoxIndex = defaultdict(list)
    if not files:
        log.warning(
            "no box-score parquet files under %s: summaries carry no team statistics", folder
        )
        return index
    fill = ", ".join(f"('{name}', '{tid}')" for name, tid in BOX_TEAM_ID_FILL.items())
    packed = ", ".join(f'CAST(coalesce("{c}", 0) AS INTEGER)' for c in BOX_STAT_COLUMNS)
    # one row per contest: (date, espn_game_id, mins, team A id, A line, team B id, B line)
    rows = con.execute(
        f"""
        WITH fill(team, tid) AS (VALUES {fill}),
        rows AS (
            SELECT contest_id, game_date, espn_game_id, mins, coalesce(pts, 0) AS pts,
                   coalesce(nullif(team_espn_team_id, ''), fill.tid, '') AS tid,
                   concat_ws(',', {packed}) AS line,
                   row_number() OVER (PARTITION BY contest_id ORDER BY r.team) AS rn,
                   count(*) OVER (PARTITION BY contest_id) AS n
            FROM read_parquet(?) r LEFT JOIN fill ON fill.team = r.team
        )
        SELECT a.game_date, coalesce(a.espn_game_id, b.espn_game_id), a.mins,
               a.tid, a.line, b.tid, b.line
        FROM rows a JOIN rows b ON a.contest_id = b.contest_id AND a.rn = 1 AND b.rn = 2
        WHERE a.n = 2 AND (a.pts > 0 OR b.pts > 0)
        """,
        [[str(f) for f in files]],
    ).fetchall()
    for date, game_id, mins, a_id, a_line, b_id, b_line in rows:
        if a_id == b_id:
            b_id = "" if a_id else "?"  # never two lines under one key
        lines = {a_id: a_line, b_id: b_line}
        contest = Contest(date=date, espn_game_id=game_id or None, lines=lines, mins=mins)
        if a_id:
            index[(date, a_id)].append(contest)
        if b_id and b_id != "?":
            index[(date, b_id)].append(contest)
    return index


def match_box(
    index: BoxIndex, day: dt.date, home: Team, away: Team
) -> tuple[Contest, str, str] | None:
    """Find the box-score contest of a game: same date (then ±1 day), same team ids (a
    non-D1 side matches a box-score row without an id); a contest is matched once. Returns
    (contest, home key, away key) or None."""
    anchor, other = (home, away) if not home.synthetic else (away, home)
    if anchor.synthetic:
        return None
    for delta in (0, -1, 1):
        for contest in index.get((day + dt.timedelta(days=delta), anchor.id), ()):
            if contest.used:
                continue
            keys = [k for k in contest.lines if k != anchor.id]
            if len(keys) != 1:
                continue
            other_key = keys[0]
            # the other side must be the same team, or a box-score row without an ESPN id
            # (a non-D1 opponent) when our side is a synthetic non-D1 team
            if other_key != other.id and not (other_key == "" and other.synthetic):
                continue
            contest.used = True
            if anchor is home:
                return contest, anchor.id, other_key
            return contest, other_key, anchor.id
    return None


def periods(mins: float | None) -> int:
    """Periods played from a team's box-score minutes: 2 halves, plus one per 5 minutes of
    overtime beyond 40 (at most 8 overtimes); 2 when unknown."""
    if mins is None or mins < 42.5:
        return 2
    return 2 + min(8, round((mins - 40.0) / 5.0))
