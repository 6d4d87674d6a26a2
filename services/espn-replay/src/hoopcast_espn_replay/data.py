"""Load and index the replay's data once at start-up.

Sources (all shipped under the project's ``data/`` folder, see its READMEs):

* results: grdavis CSV, no header, columns ``neutral, away, ascore, home, hscore, date
  (YYYYMMDD, US local calendar date), aspread`` (``data/results/README.md``);
* crosswalk: ``grdavis_name_to_espn_team_id.csv`` (grdavis name → ESPN team id);
* conferences: ``grdavis_conferences.csv`` (``team,conference``, no header; 2024-25 membership);
* teams: ``hoopR_espn_mbb_teams.csv`` (360 ESPN D1 teams, 2023 season);
* box scores: ``data/boxscores/*.parquet`` (real team box scores 2016-17 on, ESPN ids,
  ``espn_game_id`` from 2022-23 on);
* recordings: ``data/espn/{scoreboard,summary,roster}/*.json`` (real ESPN responses).

Everything is loaded with DuckDB and turned into plain Python objects: :class:`ReplayData`
holds the games by event id and by scoreboard date (US Eastern), the teams by id, and the
recordings. Building a response later is a dictionary walk (see :mod:`.espn`).
"""

from __future__ import annotations

import bisect
import csv
import datetime as dt
import gc
import hashlib
import logging
import re
import time
import zlib
from collections import defaultdict
from dataclasses import dataclass, field
from functools import cache, cached_property, lru_cache
from pathlib import Path
from typing import Any

import duckdb
import orjson
from hoopcast_common.dates import season_of
from hoopcast_common.errors import BadInputError

log = logging.getLogger(__name__)

#: Synthetic ESPN event ids: ``9`` + ``YYYYMMDD`` (scoreboard date) + 3-digit ordinal of the
#: game within that date (games sorted by home then away team id). 12 digits; real ESPN event
#: ids are 9 digits (e.g. 401715624), so the two ranges never meet.
SYNTHETIC_EVENT_PREFIX = "9"
#: Synthetic team ids of non-D1 opponents (no ESPN id in the crosswalk): ``99`` + 6 digits
#: from blake2b of the normalised grdavis name (8 digits in all; real ESPN team ids are at most
#: 6 digits, e.g. 112358). Collisions are resolved by probing upwards in sorted name order.
SYNTHETIC_TEAM_PREFIX = "99"

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

BOX_STAT_COLUMNS = ("fgm", "fga", "tpm", "tpa", "ftm", "fta", "orb", "drb", "to", "ast", "blk")


@dataclass(frozen=True)
class DataPaths:
    """Where the replay's inputs live; every path is configurable (CLI / settings)."""

    results: Path
    crosswalk: Path
    boxscores: Path
    conferences: Path
    teams: Path
    espn: Path

    @classmethod
    def under(
        cls,
        data_dir: Path,
        results: Path | None = None,
        crosswalk: Path | None = None,
        boxscores: Path | None = None,
    ) -> DataPaths:
        """The project's layout under ``data_dir`` (``data/`` of a checkout, ``/app/data``
        in images), with optional overrides for the results file, crosswalk and box scores."""
        return cls(
            results=results or data_dir / "results/grdavis_cbb_games_20101101_20260214.csv",
            crosswalk=crosswalk or data_dir / "results/grdavis_name_to_espn_team_id.csv",
            boxscores=boxscores or data_dir / "boxscores",
            conferences=data_dir / "results/grdavis_conferences.csv",
            teams=data_dir / "results/hoopR_espn_mbb_teams.csv",
            espn=data_dir / "espn",
        )

    def check(self) -> None:
        """Raise BadInputError naming the first missing input."""
        for name in ("results", "crosswalk", "conferences", "teams"):
            path: Path = getattr(self, name)
            if not path.is_file():
                raise BadInputError(f"--{name} {path}: no such file")
        for name in ("boxscores", "espn"):
            path = getattr(self, name)
            if not path.is_dir():
                raise BadInputError(f"--{name} {path}: no such folder")


@dataclass
class Team:
    """One team as ESPN shows it (ids are strings, like ESPN's).

    ``is_d1`` teams are listed by ``/teams``; the others are non-D1 opponents with a synthetic
    id. ``conference_id`` is ESPN's group id (e.g. ``"4"`` = Big East), None for non-D1.
    """

    id: str
    location: str
    name: str
    nickname: str
    abbreviation: str
    display_name: str
    short_display_name: str
    color: str | None
    alternate_color: str | None
    logo: str | None
    logo_dark: str | None
    conference_id: str | None
    conference: str | None
    is_d1: bool
    synthetic: bool = False

    @cached_property
    def slug(self) -> str:
        """ESPN-style slug of the display name, e.g. ``xavier-musketeers``."""
        return re.sub(r"[^a-z0-9]+", "-", self.display_name.lower()).strip("-")


@dataclass(frozen=True, slots=True)
class BoxLine:
    """One team's box-score totals in one game (counts; source: data/boxscores)."""

    fgm: int
    fga: int
    tpm: int
    tpa: int
    ftm: int
    fta: int
    orb: int
    drb: int
    tov: int
    ast: int
    blk: int

    @classmethod
    def unpack(cls, packed: str) -> BoxLine:
        """A line from its packed form: the counts of :data:`BOX_STAT_COLUMNS`, comma-joined
        (kept packed in memory so start-up builds one string per team-game, not 11 ints)."""
        return cls(*(int(v) for v in packed.split(",")))


@dataclass(slots=True)
class Game:
    """One game of the results file, with everything the responses need.

    ``date`` is the scoreboard date (US Eastern, the results file's local date);
    ``start_utc`` the reconstructed tip time (or the recorded one); scores are ints of the
    results file; ``box`` maps ``"home"``/``"away"`` to the packed :class:`BoxLine` (see
    :meth:`BoxLine.unpack`) when the real box score is known; ``periods`` is 2 + overtimes
    (from box-score minutes, else 2).
    ``records`` maps ``"home"``/``"away"`` to the (wins, losses) of that team in the season
    before this game (D1 results of the file only).
    """

    event_id: str
    date: dt.date
    start_utc: dt.datetime
    season: int
    season_type: int
    neutral: bool
    conference_competition: bool
    home_id: str
    away_id: str
    home_score: int
    away_score: int
    box: dict[str, str] | None = None
    periods: int = 2
    real_event_id: bool = False
    records: dict[str, tuple[int, int]] = field(default_factory=dict)


@dataclass
class ReplayData:
    """Everything the server serves, indexed once.

    Attributes:
        games: event id → Game.
        games_by_date: scoreboard date → games sorted by tip time then event id.
        teams: team id → Team (D1 and synthetic non-D1).
        season_calendar: season → sorted game dates (the scoreboard's leagues[0].calendar).
        team_results: (team id, season) → sorted [(date, wins after, losses after)].
        summaries: event id → recorded summary JSON (verbatim).
        scoreboards: YYYYMMDD → recorded scoreboard JSON (verbatim).
        rosters: team id → recorded roster JSON (verbatim).
        dropped_rows: why rows of the results file were dropped → count.
        load_seconds: wall time of :func:`load_replay_data`.
    """

    paths: DataPaths
    games: dict[str, Game]
    games_by_date: dict[dt.date, list[Game]]
    teams: dict[str, Team]
    season_calendar: dict[int, list[dt.date]]
    team_results: dict[tuple[str, int], list[tuple[dt.date, int, int]]]
    summaries: dict[str, dict[str, Any]]
    scoreboards: dict[str, dict[str, Any]]
    rosters: dict[str, dict[str, Any]]
    dropped_rows: dict[str, int]
    load_seconds: float = 0.0

    def record_as_of(self, team_id: str, season: int, day: dt.date) -> tuple[int, int]:
        """(wins, losses) of ``team_id`` in ``season`` over games dated on or before ``day``."""
        rows = self.team_results.get((team_id, season))
        if not rows:
            return (0, 0)
        i = bisect.bisect_right(rows, (day, 1 << 30, 1 << 30))
        if i == 0:
            return (0, 0)
        _, wins, losses = rows[i - 1]
        return (wins, losses)


# --------------------------------------------------------------------------- time


def _nth_sunday(year: int, month: int, n: int) -> dt.date:
    first = dt.date(year, month, 1)
    offset = (6 - first.weekday()) % 7
    return first + dt.timedelta(days=offset + 7 * (n - 1))


def eastern_utc_offset(local: dt.datetime) -> dt.timedelta:
    """UTC offset of US Eastern wall-clock time ``local`` (naive): -4 h in DST, else -5 h.

    DST rule of the US since 2007 (second Sunday of March 02:00 to first Sunday of November
    02:00); all replayed seasons start in 2010.
    """
    start, end = _dst_bounds(local.year)
    return _EDT if start <= local < end else _EST


_EDT = dt.timedelta(hours=-4)
_EST = dt.timedelta(hours=-5)


@cache
def _dst_bounds(year: int) -> tuple[dt.datetime, dt.datetime]:
    return (
        dt.datetime.combine(_nth_sunday(year, 3, 2), dt.time(2)),
        dt.datetime.combine(_nth_sunday(year, 11, 1), dt.time(2)),
    )


@lru_cache(maxsize=65536)
def eastern_to_utc(day: dt.date, tip: dt.time) -> dt.datetime:
    """US Eastern wall-clock tip ``tip`` on ``day`` as an aware UTC datetime."""
    local = dt.datetime.combine(day, tip)
    return (local - eastern_utc_offset(local)).replace(tzinfo=dt.UTC)


def _stable_int(text: str) -> int:
    return int.from_bytes(hashlib.blake2b(text.encode(), digest_size=8).digest(), "big")


# Plausible US Eastern tip times (hour, minute) with weights; weekdays are evening-heavy,
# weekends spread over the afternoon. 22:00+ ET stands for West-Coast evening games.
_WEEKDAY_TIPS = [
    ((18, 0), 8),
    ((18, 30), 4),
    ((19, 0), 30),
    ((19, 30), 6),
    ((20, 0), 18),
    ((20, 30), 4),
    ((21, 0), 12),
    ((22, 0), 10),
    ((23, 0), 5),
    ((12, 0), 3),
]
_WEEKEND_TIPS = [
    ((12, 0), 10),
    ((13, 0), 8),
    ((14, 0), 14),
    ((15, 0), 8),
    ((16, 0), 14),
    ((17, 0), 6),
    ((18, 0), 10),
    ((19, 0), 12),
    ((20, 0), 8),
    ((21, 0), 5),
    ((22, 0), 5),
]


def tip_time(day: dt.date, home_id: str, away_id: str) -> dt.time:
    """Deterministic plausible US Eastern tip time of a game (the CSV has no times).

    Picked from weighted weekday / weekend slot lists by CRC-32 of ``YYYY-MM-DD|home|away``,
    so it is stable across restarts, processes and machines.
    """
    times, cumulative = _TIP_TABLES[day.weekday() >= 5]
    pick = zlib.crc32(f"{day.isoformat()}|{home_id}|{away_id}".encode()) % cumulative[-1]
    return times[bisect.bisect_right(cumulative, pick)]


def _tip_table(slots: list[tuple[tuple[int, int], int]]) -> tuple[list[dt.time], list[int]]:
    times = [dt.time(h, m) for (h, m), _ in slots]
    cumulative: list[int] = []
    for _, weight in slots:
        cumulative.append((cumulative[-1] if cumulative else 0) + weight)
    return times, cumulative


_TIP_TABLES = {False: _tip_table(_WEEKDAY_TIPS), True: _tip_table(_WEEKEND_TIPS)}


def selection_sunday(season: int) -> dt.date:
    """Approximate NCAA Selection Sunday of ``season``: the Sunday within 11-17 March."""
    return (
        _nth_sunday(season, 3, 2)
        if _nth_sunday(season, 3, 2).day >= 11
        else _nth_sunday(season, 3, 3)
    )


@lru_cache(maxsize=8192)
def season_type_of(day: dt.date) -> int:
    """ESPN season type of a game date: 3 (postseason) after Selection Sunday, else 2."""
    season = season_of(day)
    return 3 if day > selection_sunday(season) and day.month in (3, 4) else 2


# --------------------------------------------------------------------------- loading


def _norm(name: str) -> str:
    return re.sub(r"\s+", " ", name.strip().lower())


def _read_csv(path: Path) -> list[list[str]]:
    with path.open(newline="", encoding="utf-8") as fh:
        return [row for row in csv.reader(fh) if row]


def _read_csv_dicts(path: Path, required: tuple[str, ...] | list[str]) -> list[dict[str, str]]:
    with path.open(newline="", encoding="utf-8") as fh:
        reader = csv.DictReader(fh)
        missing = [c for c in required if c not in (reader.fieldnames or [])]
        if missing:
            raise BadInputError(f"{path}: missing columns {missing} (has {reader.fieldnames})")
        return list(reader)


def _load_teams(
    paths: DataPaths, last_season_start: dt.date
) -> tuple[dict[str, Team], dict[str, str], dict[str, str]]:
    """D1 teams from hoopR + current D1 programs of the crosswalk; returns
    (teams, grdavis name → team id, team id → grdavis conference)."""
    conference_of_name = {row[0]: row[1] for row in _read_csv(paths.conferences) if len(row) >= 2}
    xwalk_rows = _read_csv_dicts(paths.crosswalk, ("grdavis_name", "espn_team_id"))
    xwalk = [
        (r["grdavis_name"], r["espn_team_id"], r.get("espn_display_name"), r.get("last_date"))
        for r in xwalk_rows
    ]
    name_to_id = {str(n): str(i) for n, i, _, _ in xwalk}
    conference_of_id: dict[str, str] = {}
    for grdavis_name, team_id in name_to_id.items():
        if grdavis_name in conference_of_name:
            conference_of_id.setdefault(team_id, conference_of_name[grdavis_name])

    cols = [
        "team_id",
        "abbreviation",
        "display_name",
        "short_name",
        "mascot",
        "nickname",
        "team",
        "color",
        "alternate_color",
        "logo",
        "logo_dark",
        "group_id",
    ]
    hoopr = [tuple(r.get(c) or None for c in cols) for r in _read_csv_dicts(paths.teams, cols)]
    # grdavis conference name → ESPN group id, by majority of hoopR teams in it.
    votes: dict[str, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    for row in hoopr:
        conf = conference_of_id.get(str(row[0]))
        if conf and row[11]:
            votes[conf][str(row[11])] += 1
    group_of_conf = {c: max(v.items(), key=lambda kv: kv[1])[0] for c, v in votes.items()}

    teams: dict[str, Team] = {}
    for r in hoopr:
        tid = str(r[0])
        conf = conference_of_id.get(tid)
        teams[tid] = Team(
            id=tid,
            location=str(r[6]),
            name=str(r[4] or ""),
            nickname=str(r[5] or r[6]),
            abbreviation=str(r[1]),
            display_name=str(r[2]),
            short_display_name=str(r[3] or r[6]),
            color=r[7],
            alternate_color=r[8],
            logo=r[9],
            logo_dark=r[10],
            conference_id=group_of_conf.get(conf, r[11]) if conf else r[11],
            conference=conf,
            is_d1=True,
        )
    # Crosswalk ids missing from hoopR (2023) that still play in the results' last season
    # are D1 programs that joined since (Le Moyne, Mercyhurst, West Georgia, ...).
    for grdavis_name, tid, display, last in xwalk:
        tid = str(tid)
        if tid in teams or not last or str(last) < last_season_start.strftime("%Y%m%d"):
            continue
        location = str(grdavis_name)
        display = str(display or location)
        mascot = display[len(location) :].strip() if display.startswith(location) else ""
        mascot = mascot or display.rsplit(" ", 1)[-1]
        conf = conference_of_id.get(tid)
        teams[tid] = Team(
            id=tid,
            location=location,
            name=mascot,
            nickname=location,
            abbreviation=re.sub(r"[^A-Z]", "", location.upper())[:4] or location[:4].upper(),
            display_name=display,
            short_display_name=location,
            color=None,
            alternate_color=None,
            logo=f"https://a.espncdn.com/i/teamlogos/ncaa/500/{tid}.png",
            logo_dark=f"https://a.espncdn.com/i/teamlogos/ncaa/500-dark/{tid}.png",
            conference_id=group_of_conf.get(conf) if conf else None,
            conference=conf,
            is_d1=True,
        )
    return teams, name_to_id, conference_of_id


def _synthetic_team(name: str, taken: set[str]) -> Team:
    n = _stable_int(_norm(name)) % 1_000_000
    while True:
        tid = f"{SYNTHETIC_TEAM_PREFIX}{n:06d}"
        if tid not in taken:
            break
        n = (n + 1) % 1_000_000
    taken.add(tid)
    abbreviation = "".join(w[0] for w in re.findall(r"[A-Za-z]+", name)).upper()[:4]
    return Team(
        id=tid,
        location=name,
        name="",
        nickname=name,
        abbreviation=abbreviation or name[:4].upper(),
        display_name=name,
        short_display_name=name,
        color=None,
        alternate_color=None,
        logo=None,
        logo_dark=None,
        conference_id=None,
        conference=None,
        is_d1=False,
        synthetic=True,
    )


@dataclass(slots=True)
class _Contest:
    date: dt.date
    espn_game_id: str | None
    lines: dict[str, str]  # team id ("" when unknown) → packed BoxLine
    mins: float | None
    used: bool = False


def _load_boxscores(
    con: duckdb.DuckDBPyConnection, folder: Path
) -> dict[tuple[dt.date, str], list[_Contest]]:
    files = sorted(folder.glob("*.parquet"))
    index: dict[tuple[dt.date, str], list[_Contest]] = defaultdict(list)
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
        contest = _Contest(date=date, espn_game_id=game_id or None, lines=lines, mins=mins)
        if a_id:
            index[(date, a_id)].append(contest)
        if b_id and b_id != "?":
            index[(date, b_id)].append(contest)
    return index


def _match_box(
    index: dict[tuple[dt.date, str], list[_Contest]],
    day: dt.date,
    home: Team,
    away: Team,
) -> tuple[_Contest, str, str] | None:
    """Find the box-score contest of a game: same date (then ±1 day), same team ids (a
    non-D1 side matches a box-score row without an id). Returns (contest, home key, away key)."""
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


def _periods(mins: float | None) -> int:
    if mins is None or mins < 42.5:
        return 2
    return 2 + min(8, round((mins - 40.0) / 5.0))


def _load_recordings(folder: Path) -> tuple[dict[str, Any], dict[str, Any], dict[str, Any]]:
    summaries: dict[str, Any] = {}
    scoreboards: dict[str, Any] = {}
    rosters: dict[str, Any] = {}
    for path in sorted((folder / "summary").glob("*.json")):
        body = orjson.loads(path.read_bytes())
        summaries[str(body["header"]["id"])] = body
    for path in sorted((folder / "scoreboard").glob("*.json")):
        body = orjson.loads(path.read_bytes())
        day = str(body.get("day", {}).get("date", "")).replace("-", "")
        if day:
            scoreboards[day] = body
    for path in sorted((folder / "roster").glob("*.json")):
        body = orjson.loads(path.read_bytes())
        rosters[str(body["team"]["id"])] = body
    return summaries, scoreboards, rosters


def _recorded_events(
    summaries: dict[str, Any], scoreboards: dict[str, Any]
) -> dict[tuple[str, str], tuple[str, str, dt.date]]:
    """(home id, away id) → (event id, UTC date string, US Eastern date) of recorded events."""
    found: dict[tuple[str, str], tuple[str, str, dt.date]] = {}

    def add(event_id: str, comp: dict[str, Any]) -> None:
        side = {c["homeAway"]: str(c["team"]["id"]) for c in comp["competitors"]}
        when = dt.datetime.strptime(comp["date"], "%Y-%m-%dT%H:%MZ")
        local = when + eastern_utc_offset(when - dt.timedelta(hours=5))
        found[(side["home"], side["away"])] = (event_id, comp["date"], local.date())

    for event_id, body in summaries.items():
        add(event_id, body["header"]["competitions"][0])
    for body in scoreboards.values():
        for event in body.get("events", []):
            add(str(event["id"]), event["competitions"][0])
    return found


def load_replay_data(paths: DataPaths) -> ReplayData:
    """Read every input and build the indexes (cached per paths; a few seconds at most).

    Drops the results rows the results README names as bad: ties (the 2-2 "tie"
    ``1,Alabama State,2,IU Indy,2,20251121,4.5``) and repeated ``(away, home, date)`` keys
    (the later of the two ``Kansas Christian @ Kansas City 20201219`` rows); the counts are in
    ``dropped_rows``.

    Raises:
        BadInputError: an input file is missing or not in the expected format.
    """
    return _load_cached(paths)


@lru_cache(maxsize=4)
def _load_cached(paths: DataPaths) -> ReplayData:
    # ~100k small objects are built here: the cyclic GC would rescan them over and over
    # (about 40% of the load's CPU time). None of them form cycles worth collecting, so the
    # collector is paused while loading.
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        data = _load(paths)
    finally:
        if was_enabled:
            gc.enable()
    return data


def _load(paths: DataPaths) -> ReplayData:
    paths.check()
    t0 = time.perf_counter()
    last = [t0, time.process_time()]

    def phase(name: str) -> None:
        now, cpu = time.perf_counter(), time.process_time()
        log.debug("load phase %-32s %6.3f s wall %6.3f s cpu", name, now - last[0], cpu - last[1])
        last[:] = [now, cpu]

    con = duckdb.connect()
    try:
        try:
            rows = con.execute(
                "SELECT neutral, away, ascore, home, hscore, date,"
                " CAST(try_strptime(date, '%Y%m%d') AS DATE) FROM read_csv(?, header=false,"
                " columns={'neutral': 'INTEGER', 'away': 'VARCHAR', 'ascore': 'INTEGER',"
                " 'home': 'VARCHAR', 'hscore': 'INTEGER', 'date': 'VARCHAR',"
                " 'aspread': 'VARCHAR'})",
                [str(paths.results)],
            ).fetchall()
        except duckdb.Error as exc:
            raise BadInputError(
                f"--results {paths.results}: not a grdavis results CSV "
                f"(neutral,away,ascore,home,hscore,date,aspread): {exc}"
            ) from exc
        dropped: dict[str, int] = defaultdict(int)
        parsed: list[tuple[bool, str, int, str, int, dt.date]] = []
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
                raise BadInputError(f"--results {paths.results}: bad date {date!r} (YYYYMMDD)")
            parsed.append((bool(neutral), away, int(ascore), home, int(hscore), day))
        if not parsed:
            raise BadInputError(f"--results {paths.results}: no games")
        phase("results read")
        last_day = max(p[5] for p in parsed)
        last_season_start = dt.date(season_of(last_day) - 1, 7, 1)
        teams, name_to_id, conference_of_id = _load_teams(paths, last_season_start)
        phase("teams read")
        box_index = _load_boxscores(con, paths.boxscores)
        phase("box scores read")
    finally:
        con.close()

    taken = set(teams)
    team_of_name: dict[str, Team] = {}
    for name in sorted({p[1] for p in parsed} | {p[3] for p in parsed}):
        tid = name_to_id.get(name)
        if tid is None:
            team = _synthetic_team(name, taken)
            teams[team.id] = team
        elif tid not in teams:  # crosswalk id of a former D1 program (e.g. Savannah State)
            team = Team(
                id=tid,
                location=name,
                name="",
                nickname=name,
                abbreviation=name[:4].upper(),
                display_name=name,
                short_display_name=name,
                color=None,
                alternate_color=None,
                logo=f"https://a.espncdn.com/i/teamlogos/ncaa/500/{tid}.png",
                logo_dark=None,
                conference_id=None,
                conference=conference_of_id.get(tid),
                is_d1=False,
            )
            teams[tid] = team
        team_of_name[name] = teams[tid] if tid is not None else team

    summaries, scoreboards, rosters = _load_recordings(paths.espn)
    phase("names mapped, recordings read")
    recorded = _recorded_events(summaries, scoreboards)

    # Build games, grouped by date; assign ids after matching.
    by_date: dict[dt.date, list[Game]] = defaultdict(list)
    pair_seen: set[tuple[dt.date, str, str]] = set()
    season_of_day: dict[dt.date, tuple[int, int]] = {}
    for neutral, away_name, ascore, home_name, hscore, day in parsed:
        home, away = team_of_name[home_name], team_of_name[away_name]
        if (day, home.id, away.id) in pair_seen:
            dropped["duplicate_key"] += 1  # e.g. "Citadel" and "The Citadel" rows
            continue
        pair_seen.add((day, home.id, away.id))
        conf_game = bool(home.conference and away.conference and home.conference == away.conference)
        season = season_of_day.get(day)
        if season is None:
            season = season_of_day[day] = (season_of(day), season_type_of(day))
        game = Game(
            event_id="",
            date=day,
            start_utc=eastern_to_utc(day, tip_time(day, home.id, away.id)),
            season=season[0],
            season_type=season[1],
            neutral=neutral,
            conference_competition=conf_game,
            home_id=home.id,
            away_id=away.id,
            home_score=hscore,
            away_score=ascore,
        )
        match = _match_box(box_index, day, home, away)
        if match is not None:
            contest, hkey, akey = match
            game.box = {"home": contest.lines[hkey], "away": contest.lines[akey]}
            game.periods = _periods(contest.mins)
            if contest.espn_game_id:
                game.event_id = str(contest.espn_game_id)
                game.real_event_id = True
        rec = recorded.get((home.id, away.id))
        if rec is not None and abs((rec[2] - day).days) <= 1:
            game.event_id = rec[0]
            game.real_event_id = True
            game.start_utc = dt.datetime.strptime(rec[1], "%Y-%m-%dT%H:%MZ").replace(tzinfo=dt.UTC)
        by_date[day].append(game)

    phase("games built and matched")
    games: dict[str, Game] = {}
    for day, day_games in by_date.items():
        day_games.sort(key=lambda g: (g.home_id, g.away_id))
        for n, game in enumerate(day_games):
            if not game.event_id or game.event_id in games:
                game.event_id = f"{SYNTHETIC_EVENT_PREFIX}{day:%Y%m%d}{n:03d}"
                game.real_event_id = False
            games[game.event_id] = game
        day_games.sort(key=lambda g: (g.start_utc, g.event_id))

    phase("event ids")
    # Season records (wins/losses before each game) and per-team cumulative results.
    tally: dict[tuple[str, int], list[int]] = defaultdict(lambda: [0, 0])
    team_results: dict[tuple[str, int], list[tuple[dt.date, int, int]]] = defaultdict(list)
    calendar: dict[int, set[dt.date]] = defaultdict(set)
    for day in sorted(by_date):
        calendar[season_of(day)].add(day)
        for game in by_date[day]:
            for side, tid, won in (
                ("home", game.home_id, game.home_score > game.away_score),
                ("away", game.away_id, game.away_score > game.home_score),
            ):
                t = tally[(tid, game.season)]
                game.records[side] = (t[0], t[1])
                t[0 if won else 1] += 1
                team_results[(tid, game.season)].append((day, t[0], t[1]))

    phase("records")
    data = ReplayData(
        paths=paths,
        games=games,
        games_by_date=dict(by_date),
        teams=teams,
        season_calendar={s: sorted(d) for s, d in calendar.items()},
        team_results=dict(team_results),
        summaries=summaries,
        scoreboards=scoreboards,
        rosters=rosters,
        dropped_rows=dict(dropped),
    )
    data.load_seconds = round(time.perf_counter() - t0, 3)
    log.info(
        "replay data: %d games (%d real event ids, %d with box scores), %d teams, dropped %s,"
        " loaded in %.2f s",
        len(games),
        sum(g.real_event_id for g in games.values()),
        sum(g.box is not None for g in games.values()),
        len(teams),
        data.dropped_rows,
        data.load_seconds,
    )
    return data
