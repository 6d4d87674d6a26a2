"""Build ESPN-shaped JSON documents (as Python dicts) from :class:`~.model.ReplayData`.

Shapes follow the real recordings in ``data/espn`` (scoreboard ``events[]``, summary
``header`` + ``boxscore.teams[].statistics[]`` + ``pickcenter``, roster) and, for ``/teams``
and the scoreboard's ``odds``, ESPN's documented shapes (``data/espn/README.md``,
:mod:`.lines`). ``now`` is always the replay clock, an aware moment. Recorded events are
served verbatim; everything else is reconstructed from the results file (see
``docs/guides/espn-replay.md``).
"""

from __future__ import annotations

import datetime as dt
from typing import Any, Literal

from hoopcast_common.dates import season_of
from hoopcast_common.games import EASTERN, game_day

from hoopcast_espn_replay import lines
from hoopcast_espn_replay.clock import FINAL_AFTER, Phase, phase_of
from hoopcast_espn_replay.model import BoxLine, Game, ReplayData, Team

LEAGUE = {
    "id": "41",
    "uid": "s:40~l:41",
    "name": "NCAA Men's Basketball",
    "abbreviation": "NCAAM",
    "midsizeName": "NCAAM Basketball",
    "slug": "mens-college-basketball",
}
SEASON_TYPE_NAMES = {
    2: ("Regular Season", "reg", "regular-season"),
    3: ("Postseason", "post", "post-season"),
}
_MONTHS = "January February March April May June July August September October November December"


def iso_minute(when: dt.datetime) -> str:
    """ESPN's UTC timestamp format, e.g. ``2024-12-01T21:30Z``."""
    return when.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%MZ")


def error_body(code: int, message: str) -> dict[str, Any]:
    """ESPN-like JSON error body ``{"code": 404, "message": "..."}``: the shape
    site.api.espn.com answers errors with, e.g. ``{"code":404,"message":"Failed to get events
    endpoint."}`` for a scoreboard it cannot serve."""
    return {"code": code, "message": message}


# --------------------------------------------------------------------------- teams


def team_logos(team: Team) -> list[dict[str, Any]]:
    """ESPN ``logos[]`` of a team (empty for teams without a known logo)."""
    logos: list[dict[str, Any]] = []
    if team.logo:
        logos.append(
            {"href": team.logo, "width": 500, "height": 500, "alt": "", "rel": ["full", "default"]}
        )
    if team.logo_dark:
        logos.append(
            {
                "href": team.logo_dark,
                "width": 500,
                "height": 500,
                "alt": "",
                "rel": ["full", "dark"],
            }
        )
    return logos


def team_links(team: Team) -> list[dict[str, Any]]:
    """ESPN clubhouse link of a team."""
    return [
        {
            "rel": ["clubhouse"],
            "href": f"https://www.espn.com/mens-college-basketball/team/_/id/{team.id}/{team.slug}",
            "text": "Clubhouse",
            "isExternal": False,
            "isPremium": False,
        }
    ]


def team_list_entry(team: Team) -> dict[str, Any]:
    """One ``/teams`` list entry: ``{"team": {id, uid, slug, abbreviation, ...}}``."""
    body: dict[str, Any] = {
        **team.espn_fields(
            "id",
            "uid",
            "slug",
            "abbreviation",
            "displayName",
            "shortDisplayName",
            "name",
            "nickname",
            "location",
        ),
        "color": team.color or "000000",
        "alternateColor": team.alternate_color or "ffffff",
        "isActive": True,
        "isAllStar": False,
        "logos": team_logos(team),
        "links": team_links(team),
    }
    return {"team": body}


def teams_document(data: ReplayData, limit: int, page: int, now: dt.datetime) -> dict[str, Any]:
    """``/teams``: D1 teams sorted by display name, paged like ESPN (``limit`` per page,
    ``page`` from 1); the league's season is the one of the replay clock ``now``."""
    season = season_of(game_day(now))
    d1 = sorted((t for t in data.teams.values() if t.is_d1), key=lambda t: t.display_name)
    start = (page - 1) * limit
    chunk = d1[start : start + limit]
    league = {
        **LEAGUE,
        "shortName": "NCAAM",
        "year": season,
        "season": {
            "year": season,
            "displayName": f"{season - 1}-{season % 100:02d}",
        },
        "teams": [team_list_entry(t) for t in chunk],
    }
    return {
        "sports": [
            {
                "id": "40",
                "uid": "s:40",
                "name": "Basketball",
                "slug": "basketball",
                "leagues": [league],
            }
        ]
    }


def team_document(team: Team, data: ReplayData, now: dt.datetime) -> dict[str, Any]:
    """``/teams/{id}``: ``{"team": {...}}`` with the team's current record as of ``now``."""
    body = team_list_entry(team)["team"]
    wins, losses = data.record_as_of(team.id, season_of(game_day(now)), now)
    body["record"] = {
        "items": [{"description": "Overall Record", "type": "total", "summary": f"{wins}-{losses}"}]
    }
    if team.conference_id:
        body["groups"] = {"id": team.conference_id, "parent": {"id": "50"}, "isConference": True}
    return {"team": body}


def _team_look(team: Team) -> dict[str, Any]:
    """``color``, ``alternateColor`` and ``logo`` of a scoreboard or box-score team block, each
    only when the team data has it (ESPN leaves them out for teams without a look)."""
    look: dict[str, Any] = {}
    if team.color:
        look["color"] = team.color
    if team.alternate_color:
        look["alternateColor"] = team.alternate_color
    if team.logo:
        look["logo"] = team.logo
    return look


def competitor_team(team: Team) -> dict[str, Any]:
    """``competitors[].team`` of a scoreboard event (keys as in the recording)."""
    body: dict[str, Any] = {
        **team.espn_fields(
            "id", "uid", "location", "name", "abbreviation", "displayName", "shortDisplayName"
        ),
        "isActive": True,
        "links": team_links(team),
        **_team_look(team),
    }
    if team.conference_id:
        body["conferenceId"] = team.conference_id
    return body


# --------------------------------------------------------------------------- status


def _ordinal(n: int) -> str:
    suffix = "th" if 11 <= n % 100 <= 13 else {1: "st", 2: "nd", 3: "rd"}.get(n % 10, "th")
    return f"{n}{suffix}"


def phase(game: Game, now: dt.datetime) -> Phase:
    """Where ``game`` stands at ``now`` (:func:`~.clock.phase_of`)."""
    return phase_of(game.start_utc, game.final_at, now)


#: Seconds of game clock in regulation (two 20-minute halves).
_REGULATION_S = 2400


def played_share(game: Game, now: dt.datetime) -> float:
    """Share of regulation played at ``now`` of a game in progress: wall time since tip-off
    over :data:`~.clock.FINAL_AFTER`, in [0, 1)."""
    return min(max((now - game.start_utc) / FINAL_AFTER, 0.0), 1.0 - 1e-9)


def partial_score(score: int, share: float) -> int:
    """The running score of a game in progress: the final score scaled by the share of
    regulation played, rounded down (so it rises from 0 towards the final score and never
    reaches it before the game is final)."""
    return int(score * share)


def status_of(game: Game, now: dt.datetime) -> dict[str, Any]:
    """``status`` of a game under the replay clock ``now`` (:func:`phase`): STATUS_FINAL
    (detail "Final", "Final/OT", "Final/2OT"...); STATUS_IN_PROGRESS with the game clock of
    :func:`played_share` (period 1 or 2, detail ``"12:34 - 2nd Half"``); else
    STATUS_SCHEDULED (detail with the US Eastern tip time, as ESPN writes it)."""
    state = phase(game, now)
    if state is Phase.IN_PROGRESS:
        played = int(_REGULATION_S * played_share(game, now))
        period = 1 if played < _REGULATION_S // 2 else 2
        left = period * _REGULATION_S // 2 - played
        clock = f"{left // 60}:{left % 60:02d}"
        detail = f"{clock} - {_ordinal(period)} Half"
        return {
            "clock": float(left),
            "displayClock": clock,
            "period": period,
            "type": {
                "id": "2",
                "name": "STATUS_IN_PROGRESS",
                "state": "in",
                "completed": False,
                "description": "In Progress",
                "detail": detail,
                "shortDetail": detail,
            },
        }
    if state is Phase.FINAL:
        overtimes = game.periods - 2
        detail = (
            "Final"
            if overtimes <= 0
            else ("Final/OT" if overtimes == 1 else f"Final/{overtimes}OT")
        )
        return {
            "clock": 0.0,
            "displayClock": "0:00",
            "period": game.periods,
            "type": {
                "id": "3",
                "name": "STATUS_FINAL",
                "state": "post",
                "completed": True,
                "description": "Final",
                "detail": detail,
                "shortDetail": detail,
            },
        }
    local = game.start_utc.astimezone(EASTERN)
    zone = local.tzname()
    clock = local.strftime("%I:%M %p").lstrip("0")
    month = _MONTHS.split()[local.month - 1]
    return {
        "clock": 0.0,
        "displayClock": "0:00",
        "period": 0,
        "type": {
            "id": "1",
            "name": "STATUS_SCHEDULED",
            "state": "pre",
            "completed": False,
            "description": "Scheduled",
            "detail": f"{local:%a}, {month} {_ordinal(local.day)} at {clock} {zone}",
            "shortDetail": f"{local.month}/{local.day} - {clock} {zone}",
        },
    }


def _season_block(game: Game) -> dict[str, Any]:
    return {
        "year": game.season,
        "type": game.season_type,
        "slug": SEASON_TYPE_NAMES[game.season_type][2],
    }


# --------------------------------------------------------------------------- scoreboard


def scoreboard_event(game: Game, data: ReplayData, now: dt.datetime) -> dict[str, Any]:
    """One reconstructed scoreboard ``events[]`` object (shape of the recording's event),
    with ``competitions[0].odds`` (:func:`~.lines.scoreboard_odds`) when the game has a
    line."""
    home, away = data.teams[game.home_id], data.teams[game.away_id]
    status = status_of(game, now)
    when = iso_minute(game.start_utc)
    comp: dict[str, Any] = {
        "id": game.event_id,
        "uid": f"s:40~l:41~e:{game.event_id}~c:{game.event_id}",
        "date": when,
        "type": {"id": "1", "abbreviation": "STD"},
        "timeValid": True,
        "neutralSite": game.neutral,
        "conferenceCompetition": game.conference_competition,
        "playByPlayAvailable": False,
        "recent": False,
        "competitors": competitors(game, data, now, "scoreboard"),
        "notes": [],
        "status": status,
        "format": {"regulation": {"periods": 2}},
        "startDate": when,
    }
    odds = lines.scoreboard_odds(game, data)
    if odds is not None:
        comp["odds"] = odds
    return {
        "id": game.event_id,
        "uid": f"s:40~l:41~e:{game.event_id}",
        "date": when,
        "name": f"{away.display_name} at {home.display_name}",
        "shortName": f"{away.abbreviation} {'VS' if game.neutral else '@'} {home.abbreviation}",
        "season": _season_block(game),
        "competitions": [comp],
        "links": [
            {
                "language": "en-US",
                "rel": ["summary"],
                "href": f"https://www.espn.com/mens-college-basketball/game/_/gameId/{game.event_id}",
                "text": "Gamecast",
                "shortText": "Gamecast",
                "isExternal": False,
                "isPremium": False,
            }
        ],
        "status": status,
    }


def recorded_scoreboard_event(event_id: str, data: ReplayData) -> dict[str, Any] | None:
    """The verbatim ``events[]`` object of a scoreboard recording, if one holds ``event_id``."""
    for body in data.scoreboards.values():
        for event in body.get("events", []):
            if str(event.get("id")) == event_id:
                return dict(event)
    return None


def _league_block(data: ReplayData, day: dt.date) -> dict[str, Any]:
    season = season_of(day)
    stype = 3 if any(g.season_type == 3 for g in data.games_by_date.get(day, ())) else 2
    name, abbreviation, _ = SEASON_TYPE_NAMES[stype]
    start = dt.date(season - 1, 7, 13)
    end = dt.date(season, 4, 9)
    return {
        **LEAGUE,
        "season": {
            "year": season,
            "startDate": f"{start.isoformat()}T07:00Z",
            "endDate": f"{end.isoformat()}T06:59Z",
            "displayName": f"{season - 1}-{str(season)[-2:]}",
            "type": {"id": str(stype), "type": stype, "name": name, "abbreviation": abbreviation},
        },
        "calendarType": "day",
        "calendarIsWhitelist": True,
        "calendarStartDate": f"{start.isoformat()}T07:00Z",
        "calendarEndDate": f"{end.isoformat()}T06:59Z",
        "calendar": [f"{d.isoformat()}T08:00Z" for d in data.season_calendar.get(season, [])],
    }


def scoreboard_document(
    data: ReplayData,
    days: list[dt.date],
    now: dt.datetime,
    group: str | None,
    limit: int | None,
) -> dict[str, Any]:
    """``/scoreboard`` for ``days`` (one date or ESPN's range form), games of conference
    ``group`` only unless it is None or ``"50"`` (all D1), at most ``limit`` events.

    Recorded events (the 2024-12-01 scoreboard recording holds one) are put in verbatim when
    final under the clock; everything else is reconstructed."""
    events: list[dict[str, Any]] = []
    for day in days:
        for game in data.games_by_date.get(day, ()):
            if group not in (None, "", "50"):
                ids = {
                    data.teams[game.home_id].conference_id,
                    data.teams[game.away_id].conference_id,
                }
                if group not in ids:
                    continue
            event = None
            if game.real_event_id and phase(game, now) is Phase.FINAL:
                event = recorded_scoreboard_event(game.event_id, data)
            events.append(event or scoreboard_event(game, data, now))
    if limit is not None:
        events = events[:limit]
    first = days[0]
    league = _league_block(data, first)
    return {
        "leagues": [league],
        "day": {"date": first.isoformat()},
        "events": events,
        "eventsDate": {
            "date": events[0]["date"] if events else f"{first.isoformat()}T08:00Z",
            "seasonType": league["season"]["type"]["type"],
        },
    }


# --------------------------------------------------------------------------- summary

_STAT_SPECS: list[tuple[str, str, str | None]] = [
    ("fieldGoalsMade-fieldGoalsAttempted", "FG", None),
    ("fieldGoalPct", "Field Goal %", "FG%"),
    ("threePointFieldGoalsMade-threePointFieldGoalsAttempted", "3PT", None),
    ("threePointFieldGoalPct", "Three Point %", "3P%"),
    ("freeThrowsMade-freeThrowsAttempted", "FT", None),
    ("freeThrowPct", "Free Throw %", "FT%"),
    ("totalRebounds", "Rebounds", "REB"),
    ("offensiveRebounds", "Offensive Rebounds", "OR"),
    ("defensiveRebounds", "Defensive Rebounds", "DR"),
    ("assists", "Assists", "AST"),
    ("blocks", "Blocks", "BLK"),
    ("turnovers", "Turnovers", "TO"),
    ("totalTurnovers", "Total Turnovers", "ToTO"),
]


def _pct(made: int, attempted: int) -> str:
    return f"{100.0 * made / attempted:.1f}" if attempted else "0.0"


def box_statistics(line: BoxLine) -> list[dict[str, Any]]:
    """``boxscore.teams[].statistics[]`` from a real team box-score line, with ESPN's names,
    labels, abbreviations and displayValue formats (``"25-58"``, ``"43.1"``, ``"12"``).

    Only the statistics the box-score source has are given (no steals, fouls, technicals,
    points off turnovers...)."""
    values = {
        "fieldGoalsMade-fieldGoalsAttempted": f"{line.fgm}-{line.fga}",
        "fieldGoalPct": _pct(line.fgm, line.fga),
        "threePointFieldGoalsMade-threePointFieldGoalsAttempted": f"{line.tpm}-{line.tpa}",
        "threePointFieldGoalPct": _pct(line.tpm, line.tpa),
        "freeThrowsMade-freeThrowsAttempted": f"{line.ftm}-{line.fta}",
        "freeThrowPct": _pct(line.ftm, line.fta),
        "totalRebounds": str(line.orb + line.drb),
        "offensiveRebounds": str(line.orb),
        "defensiveRebounds": str(line.drb),
        "assists": str(line.ast),
        "blocks": str(line.blk),
        "turnovers": str(line.tov),
        "totalTurnovers": str(line.tov),
    }
    stats: list[dict[str, Any]] = []
    for name, label, abbreviation in _STAT_SPECS:
        stat: dict[str, Any] = {"name": name, "displayValue": values[name]}
        if abbreviation:
            stat["abbreviation"] = abbreviation
        stat["label"] = label
        stats.append(stat)
    return stats


def _summary_team(team: Team) -> dict[str, Any]:
    return {
        **team.espn_fields(
            "id",
            "uid",
            "slug",
            "location",
            "name",
            "abbreviation",
            "displayName",
            "shortDisplayName",
        ),
        **_team_look(team),
    }


def _header_team(team: Team) -> dict[str, Any]:
    """``header.competitions[0].competitors[].team`` of a summary (keys as in the recording)."""
    return {
        **team.espn_fields(
            "id", "uid", "location", "name", "nickname", "abbreviation", "displayName"
        ),
        "color": team.color or "000000",
        "alternateColor": team.alternate_color or "ffffff",
        "logos": team_logos(team),
        "links": team_links(team),
    }


def competitors(
    game: Game, data: ReplayData, now: dt.datetime, document: Literal["scoreboard", "summary"]
) -> list[dict[str, Any]]:
    """``competitions[0].competitors[]`` of a scoreboard event or a summary header, home first.

    Both: ``id``, ``uid``, ``order`` (home 0, away 1), ``homeAway``, ``team``, and when the
    game is final under the replay clock ``now`` ``winner`` and ``score`` (a string); in
    progress, the running ``score`` of :func:`partial_score` and no ``winner``; D1 teams
    get their win-loss record after this game when final, else as of ``now``
    (:meth:`~.model.ReplayData.record_as_of`). Scoreboard only: ``type``, ``team`` =
    :func:`competitor_team`, ``curatedRank`` (99 = unranked) and
    ``records[{name, abbreviation, type, summary}]``. Summary only: the header ``team``,
    ``record[{type, summary, displayValue}]`` and ``possession``. Key order as recorded.
    """
    state = phase(game, now)
    final = state is Phase.FINAL
    share = played_share(game, now) if state is Phase.IN_PROGRESS else 1.0
    scoreboard = document == "scoreboard"
    sides = (
        ("home", data.teams[game.home_id], game.home_score, game.away_score),
        ("away", data.teams[game.away_id], game.away_score, game.home_score),
    )
    result = []
    for order, (side, team, score, other) in enumerate(sides):
        wins, losses = game.records[side]
        if final:
            wins, losses = (wins + 1, losses) if score > other else (wins, losses + 1)
        else:
            wins, losses = data.record_as_of(team.id, game.season, now)
        record = f"{wins}-{losses}"
        competitor: dict[str, Any] = team.espn_fields("id", "uid")
        if scoreboard:
            competitor["type"] = "team"
        competitor["order"] = order
        competitor["homeAway"] = side
        if final:
            competitor["winner"] = score > other
        competitor["team"] = competitor_team(team) if scoreboard else _header_team(team)
        if final:
            competitor["score"] = str(score)
        elif state is Phase.IN_PROGRESS:
            competitor["score"] = str(partial_score(score, share))
        if scoreboard:
            competitor["curatedRank"] = {"current": 99}
            if team.is_d1:
                competitor["records"] = [
                    {"name": "overall", "abbreviation": "Game", "type": "total", "summary": record}
                ]
        else:
            if team.is_d1:
                competitor["record"] = [
                    {"type": "total", "summary": record, "displayValue": record}
                ]
            competitor["possession"] = False
        result.append(competitor)
    return result


def summary_document(game: Game, data: ReplayData, now: dt.datetime) -> dict[str, Any]:
    """Reconstructed ``/summary?event=ID``: ``header`` (id, season, competitions[0] with
    competitors, status) and ``boxscore.teams[]`` — with ``statistics`` from the real box
    score when the game is final under the clock and its box score is known (2016-17 on),
    an empty list when final without one, and no ``statistics`` key when scheduled or in
    progress — and ``pickcenter`` (:func:`~.lines.pickcenter`) whatever the game's state."""
    final = phase(game, now) is Phase.FINAL
    status = status_of(game, now)
    box_teams = []
    for side, team_id in (("away", game.away_id), ("home", game.home_id)):  # ESPN: away first
        box_team: dict[str, Any] = {"team": _summary_team(data.teams[team_id])}
        if final:
            box_team["statistics"] = (
                box_statistics(BoxLine.unpack(game.box[side])) if game.box else []
            )
        box_team["displayOrder"] = 2 if side == "home" else 1
        box_team["homeAway"] = side
        box_teams.append(box_team)
    when = iso_minute(game.start_utc)
    header = {
        "id": game.event_id,
        "uid": f"s:40~l:41~e:{game.event_id}",
        "season": {"year": game.season, "type": game.season_type},
        "timeValid": True,
        "competitions": [
            {
                "id": game.event_id,
                "uid": f"s:40~l:41~e:{game.event_id}~c:{game.event_id}",
                "date": when,
                "neutralSite": game.neutral,
                "conferenceCompetition": game.conference_competition,
                "boxscoreAvailable": bool(final and game.box),
                "commentaryAvailable": False,
                "liveAvailable": False,
                "shotChartAvailable": False,
                "timeoutsAvailable": False,
                "possessionArrowAvailable": False,
                "onWatchESPN": False,
                "recent": False,
                "wallclockAvailable": False,
                "boxscoreSource": "full" if final and game.box else "none",
                "playByPlaySource": "none",
                "competitors": competitors(game, data, now, "summary"),
                "status": {"type": status["type"]},
            }
        ],
        "links": [
            {
                "rel": ["summary"],
                "href": f"https://www.espn.com/mens-college-basketball/game/_/gameId/{game.event_id}",
                "text": "Gamecast",
                "shortText": "Summary",
                "isExternal": False,
                "isPremium": False,
            }
        ],
        "league": {**LEAGUE, "isTournament": False},
    }
    return {
        "boxscore": {"teams": box_teams, "players": []},
        "format": {
            "regulation": {"periods": 2, "displayName": "Half", "slug": "half", "clock": 1200.0}
        },
        "gameInfo": {},
        "leaders": [],
        "pickcenter": lines.pickcenter(game, data),
        "header": header,
        "plays": [],
        "standings": {},
    }
