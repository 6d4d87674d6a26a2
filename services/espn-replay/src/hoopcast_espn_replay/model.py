"""What the replay serves, as plain Python objects: teams, games, box-score lines, and
:class:`ReplayData`, which indexes them (built once by :func:`~.data.load_replay_data`).
Building a response is a dictionary walk over these (see :mod:`.espn`)."""

from __future__ import annotations

import bisect
import datetime as dt
import re
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

from hoopcast_common.games import game_day

from hoopcast_espn_replay.inputs import DataPaths

#: Synthetic ESPN event ids: ``9`` + ``YYYYMMDD`` (scoreboard date) + 3-digit ordinal of the
#: game within that date (games sorted by home then away team id). 12 digits; real ESPN event
#: ids are 9 digits (e.g. 401715624), so the two ranges never meet.
SYNTHETIC_EVENT_PREFIX = "9"
#: Synthetic team ids of non-D1 opponents (no ESPN id in the crosswalk): ``99`` + 6 digits
#: from blake2b of the normalised grdavis name (8 digits in all; real ESPN team ids are at most
#: 6 digits, e.g. 112358). Collisions are resolved by probing upwards in sorted name order.
SYNTHETIC_TEAM_PREFIX = "99"


#: ESPN's team keys → :class:`Team` attribute: one place for the team shapes of every document.
ESPN_TEAM_FIELDS = {
    "id": "id",
    "uid": "uid",
    "slug": "slug",
    "location": "location",
    "name": "name",
    "nickname": "nickname",
    "abbreviation": "abbreviation",
    "displayName": "display_name",
    "shortDisplayName": "short_display_name",
}


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

    @property
    def uid(self) -> str:
        """ESPN's uid of the team, e.g. ``s:40~l:41~t:2752`` (sport 40, league 41)."""
        return f"s:40~l:41~t:{self.id}"

    def espn_fields(self, *keys: str) -> dict[str, Any]:
        """The team's values under ESPN's keys ``keys`` (see :data:`ESPN_TEAM_FIELDS`), in
        that order, e.g. ``espn_fields("id", "displayName")``."""
        return {key: getattr(self, ESPN_TEAM_FIELDS[key]) for key in keys}


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
        """A line from its packed form: the counts of
        :data:`~.boxscores.BOX_STAT_COLUMNS`, comma-joined (kept packed in memory so start-up
        builds one string per team-game, not 11 ints)."""
        return cls(*(int(v) for v in packed.split(",")))


@dataclass(slots=True)
class Game:
    """One game of the results file, with everything the responses need.

    ``date`` is the scoreboard date (US Eastern, the results file's local date);
    ``start_utc`` the reconstructed tip time (or the recorded one); ``final_at`` the moment
    the game counts as final under the replay clock (:func:`~.clock.final_at`); scores are
    ints of the results file; ``spread`` the betting line in ESPN's sense (points given to the
    home team: negative when the home team is favoured, ``-aspread`` of the results file;
    None without a line, see :mod:`.results`); ``box`` maps ``"home"``/``"away"`` to the
    packed :class:`BoxLine` (see
    :meth:`BoxLine.unpack`) when the real box score is known; ``periods`` is 2 + overtimes
    (from box-score minutes, else 2).
    ``records`` maps ``"home"``/``"away"`` to the (wins, losses) of that team in the season
    before this game (D1 results of the file only).
    """

    event_id: str
    date: dt.date
    start_utc: dt.datetime
    final_at: dt.datetime
    season: int
    season_type: int
    neutral: bool
    conference_competition: bool
    home_id: str
    away_id: str
    home_score: int
    away_score: int
    spread: float | None = None
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
        team_results: (team id, season) → [(date, final at, wins after, losses after)] in
            game order (date, then tip-off).
        summaries: event id → recorded summary JSON (verbatim).
        scoreboards: YYYYMMDD → recorded scoreboard JSON (verbatim).
        rosters: team id → recorded roster JSON (verbatim).
        dropped_rows: why rows of the results file were dropped → count.
        rejected_lines: why lines (``aspread``) of kept rows were not served → count.
        load_seconds: wall time of :func:`~.data.load_replay_data`.
    """

    paths: DataPaths
    games: dict[str, Game]
    games_by_date: dict[dt.date, list[Game]]
    teams: dict[str, Team]
    season_calendar: dict[int, list[dt.date]]
    team_results: dict[tuple[str, int], list[tuple[dt.date, dt.datetime, int, int]]]
    summaries: dict[str, dict[str, Any]]
    scoreboards: dict[str, dict[str, Any]]
    rosters: dict[str, dict[str, Any]]
    dropped_rows: dict[str, int]
    rejected_lines: dict[str, int] = field(default_factory=dict)
    load_seconds: float = 0.0

    def record_as_of(self, team_id: str, season: int, now: dt.datetime) -> tuple[int, int]:
        """(wins, losses) of ``team_id`` in ``season`` over its games final at ``now`` (an
        aware moment): every game of an earlier game day, and the games of ``now``'s game day
        whose ``final_at`` has passed."""
        rows = self.team_results.get((team_id, season))
        if not rows:
            return (0, 0)
        today = game_day(now)
        i = bisect.bisect_left(rows, today, key=lambda row: row[0])
        wins, losses = rows[i - 1][2:] if i else (0, 0)
        while i < len(rows) and rows[i][0] == today:
            if rows[i][1] <= now:
                wins, losses = rows[i][2:]
            i += 1
        return (wins, losses)
