"""Teams: ESPN's D1 teams (hoopR table plus newer D1 programs of the crosswalk), conference
group ids, and the mapping of every results-file name to a :class:`~.model.Team` (synthetic
non-D1 teams for names without an ESPN id)."""

from __future__ import annotations

import datetime as dt
import hashlib
import re
from collections import defaultdict

from hoopcast_espn_replay.inputs import DataPaths, read_csv, read_csv_dicts
from hoopcast_espn_replay.model import SYNTHETIC_TEAM_PREFIX, Team

_HOOPR_COLUMNS = [
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


def load_teams(
    paths: DataPaths, last_season_start: dt.date
) -> tuple[dict[str, Team], dict[str, str], dict[str, str]]:
    """D1 teams from hoopR + current D1 programs of the crosswalk; returns
    (teams, grdavis name → team id, team id → grdavis conference).

    Raises:
        BadInputError: the crosswalk or the hoopR table lacks a column.
    """
    conference_of_name = {row[0]: row[1] for row in read_csv(paths.conferences) if len(row) >= 2}
    xwalk_rows = read_csv_dicts(paths.crosswalk, ("grdavis_name", "espn_team_id"))
    xwalk = [
        (r["grdavis_name"], r["espn_team_id"], r.get("espn_display_name"), r.get("last_date"))
        for r in xwalk_rows
    ]
    name_to_id = {str(n): str(i) for n, i, _, _ in xwalk}
    conference_of_id: dict[str, str] = {}
    for grdavis_name, team_id in name_to_id.items():
        if grdavis_name in conference_of_name:
            conference_of_id.setdefault(team_id, conference_of_name[grdavis_name])

    hoopr = [
        tuple(r.get(c) or None for c in _HOOPR_COLUMNS)
        for r in read_csv_dicts(paths.teams, _HOOPR_COLUMNS)
    ]
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


def _norm(name: str) -> str:
    return re.sub(r"\s+", " ", name.strip().lower())


def _stable_int(text: str) -> int:
    return int.from_bytes(hashlib.blake2b(text.encode(), digest_size=8).digest(), "big")


def synthetic_team(name: str, taken: set[str]) -> Team:
    """A non-D1 opponent without an ESPN id: synthetic id ``99NNNNNN`` (see
    :data:`~.model.SYNTHETIC_TEAM_PREFIX`), not in ``taken``; the id is added to ``taken``."""
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


def teams_of_names(
    names: set[str],
    teams: dict[str, Team],
    name_to_id: dict[str, str],
    conference_of_id: dict[str, str],
) -> dict[str, Team]:
    """Results-file name → Team for every name in ``names`` (sorted order, so synthetic ids are
    stable). Names without a crosswalk id get a :func:`synthetic_team`; crosswalk ids of former
    D1 programs (e.g. Savannah State) get a plain non-D1 team with their real id. New teams are
    added to ``teams``."""
    taken = set(teams)
    team_of_name: dict[str, Team] = {}
    for name in sorted(names):
        tid = name_to_id.get(name)
        if tid is None:
            team = synthetic_team(name, taken)
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
    return team_of_name
