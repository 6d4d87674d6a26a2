"""Normalization of ESPN site-API JSON into ``core`` rows (pure functions, no I/O).

Shapes follow the real recordings in ``data/espn`` (see its README, "JSON paths the pipeline
needs"). Every accessor knows the JSON path it reads, so schema drift produces a
:class:`ParseError` naming the URL and the exact path (``events[3].competitions[0].status``).
A malformed event inside a scoreboard only drops that event: the parse result carries the
rows of the good events and one error per bad event.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import orjson

Row = dict[str, Any]

# ESPN status names (status.type.name) this pipeline understands; anything else is drift.
KNOWN_STATUSES = frozenset(
    {
        "STATUS_SCHEDULED",
        "STATUS_IN_PROGRESS",
        "STATUS_HALFTIME",
        "STATUS_END_PERIOD",
        "STATUS_FINAL",
        "STATUS_FINAL_OT",
        "STATUS_POSTPONED",
        "STATUS_CANCELED",
        "STATUS_SUSPENDED",
        "STATUS_DELAYED",
        "STATUS_RAIN_DELAY",
        "STATUS_FORFEIT",
        "STATUS_DELAYED_START",
    }
)
KNOWN_STATES = frozenset({"pre", "in", "post"})


class ParseError(ValueError):
    """A response does not have the shape we rely on.

    ``url`` is the request URL, ``path`` the JSON path (``$`` for the document itself);
    ``refetch`` is true when the body was not JSON at all (truncated or an error page), which
    is worth fetching again, unlike schema drift.
    """

    def __init__(self, url: str, path: str, message: str, refetch: bool = False) -> None:
        super().__init__(f"{url}: at {path}: {message}")
        self.url = url
        self.path = path
        self.message = message
        self.refetch = refetch


class Node:
    """A JSON value together with the path it was read from, for precise errors."""

    __slots__ = ("path", "url", "value")

    def __init__(self, value: Any, path: str, url: str) -> None:
        self.value = value
        self.path = path
        self.url = url

    def fail(self, message: str) -> ParseError:
        """A :class:`ParseError` at this node's path."""
        return ParseError(self.url, self.path, message)

    def _child_path(self, key: str | int) -> str:
        if isinstance(key, int):
            return f"{self.path}[{key}]"
        return key if self.path == "$" else f"{self.path}.{key}"

    def __getitem__(self, key: str) -> Node:
        if not isinstance(self.value, dict):
            raise self.fail(f"expected an object, got {type(self.value).__name__}")
        if key not in self.value:
            raise ParseError(self.url, self._child_path(key), "missing key")
        return Node(self.value[key], self._child_path(key), self.url)

    def get(self, key: str) -> Node | None:
        """The child ``key``, or None when absent or null."""
        if not isinstance(self.value, dict):
            raise self.fail(f"expected an object, got {type(self.value).__name__}")
        value = self.value.get(key)
        return None if value is None else Node(value, self._child_path(key), self.url)

    def at(self, index: int) -> Node:
        """Element ``index`` of a list."""
        items = self.list()
        if index >= len(items):
            raise ParseError(self.url, self._child_path(index), "missing list element")
        return items[index]

    def list(self) -> list[Node]:
        """The elements of a list."""
        if not isinstance(self.value, list):
            raise self.fail(f"expected a list, got {type(self.value).__name__}")
        return [Node(v, self._child_path(i), self.url) for i, v in enumerate(self.value)]

    def str(self) -> str:
        """A string (numbers are accepted and converted: ESPN mixes both for ids)."""
        if isinstance(self.value, bool) or not isinstance(self.value, (str, int)):
            raise self.fail(f"expected a string, got {type(self.value).__name__}")
        return str(self.value)

    def bool(self) -> bool:
        """A JSON boolean."""
        if not isinstance(self.value, bool):
            raise self.fail(f"expected a boolean, got {self.value!r}")
        return self.value

    def int(self) -> int:
        """An integer (ESPN sends scores as strings like ``"71"``)."""
        value = self.value
        if isinstance(value, bool):
            raise self.fail(f"expected an integer, got {value!r}")
        if isinstance(value, int):
            return value
        if isinstance(value, float) and value.is_integer():
            return int(value)
        if isinstance(value, str):
            try:
                return int(value.strip())
            except ValueError:
                pass
        raise self.fail(f"expected an integer, got {value!r}")


def _opt_str(node: Node, key: str) -> str | None:
    child = node.get(key)
    return None if child is None else child.str()


def _opt_bool(node: Node, key: str) -> bool | None:
    child = node.get(key)
    return None if child is None else child.bool()


def _opt_int(node: Node, key: str) -> int | None:
    child = node.get(key)
    if child is None or child.value == "":
        return None
    return child.int()


def load_json(body: str, url: str) -> Node:
    """Decode a response body.

    Raises:
        ParseError: at ``$`` when the body is empty or not JSON (names the byte offset).
    """
    if not body.strip():
        raise ParseError(url, "$", "empty body, expected JSON", refetch=True)
    try:
        value = orjson.loads(body)
    except orjson.JSONDecodeError as exc:
        raise ParseError(url, "$", f"malformed JSON: {exc}", refetch=True) from exc
    return Node(value, "$", url)


def parse_espn_datetime(node: Node) -> dt.datetime:
    """ESPN's UTC timestamps: ``2024-12-01T21:30Z`` (minute precision) or with seconds."""
    text = node.str()
    try:
        value = dt.datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError as exc:
        raise node.fail(f"expected an ISO date-time, got {text!r}") from exc
    if value.tzinfo is None:
        value = value.replace(tzinfo=dt.UTC)
    return value.astimezone(dt.UTC)


@dataclass
class ParseResult:
    """Rows derived from one response, keyed by core table, plus per-item errors.

    ``rows["games"]`` etc. are lists of dicts whose keys are column names; ``errors`` are
    problems that dropped part of the response (the rest is still usable).
    """

    rows: dict[str, list[Row]] = field(default_factory=dict)
    errors: list[ParseError] = field(default_factory=list)

    def add(self, table: str, row: Row) -> None:
        """Append ``row`` to ``table``."""
        self.rows.setdefault(table, []).append(row)


# --------------------------------------------------------------------------- teams


def _team_row(team: Node, is_d1: bool | None) -> Row:
    logo = None
    logos = team.get("logos")
    if logos is not None and logos.list():
        logo = _opt_str(logos.at(0), "href")
    if logo is None:
        logo = _opt_str(team, "logo")
    return {
        "team_id": team["id"].str(),
        "uid": _opt_str(team, "uid"),
        "slug": _opt_str(team, "slug"),
        "abbreviation": _opt_str(team, "abbreviation"),
        "display_name": _opt_str(team, "displayName"),
        "short_display_name": _opt_str(team, "shortDisplayName"),
        "name": _opt_str(team, "name"),
        "location": _opt_str(team, "location"),
        "color": _opt_str(team, "color"),
        "alternate_color": _opt_str(team, "alternateColor"),
        "is_active": _opt_bool(team, "isActive"),
        "is_d1": is_d1,
        "conference_id": _opt_str(team, "conferenceId"),
        "logo_url": logo,
    }


def parse_teams(body: str, url: str) -> ParseResult:
    """``/teams?limit=500[&page=N]`` → ``teams`` rows (all D1: ``is_d1`` true).

    Shape: ``sports[0].leagues[0].teams[].team.{id,uid,slug,abbreviation,displayName,...}``.
    """
    doc = load_json(body, url)
    result = ParseResult()
    teams = doc["sports"].at(0)["leagues"].at(0)["teams"]
    for entry in teams.list():
        try:
            result.add("teams", _team_row(entry["team"], True))
        except ParseError as exc:
            result.errors.append(exc)
    return result


# ----------------------------------------------------------------------- scoreboard


def _status(competition: Node, event: Node) -> tuple[str, str, bool, int | None]:
    status = competition.get("status") or event["status"]
    status_type = status["type"]
    name_node = status_type["name"]
    name = name_node.str()
    if name not in KNOWN_STATUSES:
        raise name_node.fail(f"unknown status {name!r}")
    state_node = status_type["state"]
    state = state_node.str()
    if state not in KNOWN_STATES:
        raise state_node.fail(f"unknown status state {state!r}")
    completed = status_type["completed"].bool()
    period = _opt_int(status, "period")
    return name, state, completed, period


def _scoreboard_event(event: Node, game_date: dt.date, result: ParseResult) -> None:
    event_id = event["id"].str()
    competition = event["competitions"].at(0)
    season = event["season"]
    name, state, completed, period = _status(competition, event)
    sides: dict[str, Node] = {}
    for competitor in competition["competitors"].list():
        home_away = competitor["homeAway"].str()
        if home_away not in ("home", "away"):
            raise competitor["homeAway"].fail(f"expected home or away, got {home_away!r}")
        sides[home_away] = competitor
    for side in ("home", "away"):
        if side not in sides:
            raise competition["competitors"].fail(f"no {side} competitor")
    scores: dict[str, int | None] = {}
    for side, competitor in sides.items():
        score = competitor.get("score")
        scores[side] = None if score is None or score.value in ("", None) else score.int()
        if state == "pre":
            scores[side] = None  # ESPN sends "0" before tip-off
    if completed and name == "STATUS_FINAL" and (scores["home"] is None or scores["away"] is None):
        raise competition["competitors"].fail("final game without scores")
    venue = competition.get("venue")
    teams = [(side, _team_row(sides[side]["team"], None)) for side in ("home", "away")]
    home_id = sides["home"].get("id") or sides["home"]["team"]["id"]
    away_id = sides["away"].get("id") or sides["away"]["team"]["id"]
    result.add(
        "games",
        {
            "event_id": event_id,
            "season": season["year"].int(),
            "season_type": _opt_int(season, "type"),
            "game_date": game_date,
            "start_time_utc": parse_espn_datetime(event["date"]),
            "status": name,
            "status_state": state,
            "completed": completed,
            "neutral_site": _opt_bool(competition, "neutralSite"),
            "conference_competition": _opt_bool(competition, "conferenceCompetition"),
            "home_team_id": home_id.str(),
            "away_team_id": away_id.str(),
            "home_score": scores["home"],
            "away_score": scores["away"],
            "periods": period if state == "post" else None,
            "venue_id": None if venue is None else _opt_str(venue, "id"),
            "venue_name": None if venue is None else _opt_str(venue, "fullName"),
            "attendance": _opt_int(competition, "attendance"),
        },
    )
    for _side, row in teams:
        result.add("teams", row)
    _betting_lines(competition.get("odds"), event_id, "scoreboard_odds", result)


def parse_scoreboard(body: str, url: str, game_date: dt.date) -> ParseResult:
    """``/scoreboard?dates=YYYYMMDD&groups=50&limit=500`` → ``games`` and ``teams`` rows.

    ``game_date`` is the requested (US-Eastern) date; ``start_time_utc`` is ``events[].date``.
    Betting lines in ``events[].competitions[0].odds[]`` (when ESPN sends them) become
    ``betting_lines`` rows with source ``scoreboard_odds`` (see :func:`betting_line_row`).
    Teams seen here get ``is_d1`` None (the teams collector is the authority on D1).
    A malformed event is reported in ``errors`` and skipped; the others are kept.

    Raises:
        ParseError: the document itself is unusable (not JSON, no ``events`` list).
    """
    doc = load_json(body, url)
    result = ParseResult()
    for event in doc["events"].list():
        try:
            _scoreboard_event(event, game_date, result)
        except ParseError as exc:
            result.errors.append(exc)
    return result


# -------------------------------------------------------------------------- summary

_MADE_ATTEMPTED = {
    "fieldGoalsMade-fieldGoalsAttempted": ("fgm", "fga"),
    "threePointFieldGoalsMade-threePointFieldGoalsAttempted": ("tpm", "tpa"),
    "freeThrowsMade-freeThrowsAttempted": ("ftm", "fta"),
}
_TEAM_SINGLE = {
    "offensiveRebounds": "orb",
    "defensiveRebounds": "drb",
    "totalRebounds": "trb",
    "assists": "ast",
    "steals": "stl",
    "blocks": "blk",
    "turnovers": "tov",
    "fouls": "fouls",
}
_PLAYER_SINGLE = {
    "minutes": "minutes",
    "offensiveRebounds": "orb",
    "defensiveRebounds": "drb",
    "rebounds": "reb",
    "assists": "ast",
    "steals": "stl",
    "blocks": "blk",
    "turnovers": "tov",
    "fouls": "fouls",
    "points": "points",
}
#: core.player_game_stats counting columns, in table order (after the key and starter flags).
PLAYER_STAT_COLUMNS = [
    "minutes",
    "points",
    "fgm",
    "fga",
    "tpm",
    "tpa",
    "ftm",
    "fta",
    "orb",
    "drb",
    "reb",
    "ast",
    "stl",
    "blk",
    "tov",
    "fouls",
]
#: core.team_game_stats counting columns read from boxscore.teams[].statistics (points aside).
TEAM_STAT_COLUMNS = [
    "fgm",
    "fga",
    "tpm",
    "tpa",
    "ftm",
    "fta",
    "orb",
    "drb",
    "trb",
    "ast",
    "stl",
    "blk",
    "tov",
    "fouls",
]


def _stat_int(node: Node, text: str) -> int | None:
    text = text.strip()
    if text in ("", "-", "--"):
        return None
    try:
        return int(text)
    except ValueError:
        raise node.fail(f"expected an integer statistic, got {text!r}") from None


def _made_attempted(node: Node, text: str) -> tuple[int | None, int | None]:
    text = text.strip()
    if text in ("", "-", "--", "-/-", "--/--"):
        return None, None
    made, sep, attempted = text.partition("-")
    if not sep:
        raise node.fail(f"expected made-attempted like '5-11', got {text!r}")
    return _stat_int(node, made), _stat_int(node, attempted)


def _apply_stat(row: Row, node: Node, key: str, text: str, single: dict[str, str]) -> None:
    if key in _MADE_ATTEMPTED:
        made_col, att_col = _MADE_ATTEMPTED[key]
        row[made_col], row[att_col] = _made_attempted(node, text)
    elif key in single:
        row[single[key]] = _stat_int(node, text)


def parse_summary(body: str, url: str, event_id: str, box_score: bool = True) -> ParseResult:
    """``/summary?event=ID`` → ``team_game_stats``, ``player_game_stats`` and ``players``,
    plus ``betting_lines`` (``pickcenter[]``) and ``espn_predictions`` (``predictor``) —
    see :func:`parse_summary_lines`; with ``box_score`` False (a summary fetched before
    tip-off for its line) only the header check and the line and predictor.

    Team points come from ``header.competitions[0].competitors[].score`` (the box score's team
    statistics have no points); team and player statistics from ``boxscore.teams[]`` and
    ``boxscore.players[].statistics[0].{keys,athletes[].stats[]}`` (strings; ``"5-11"`` is
    made-attempted; an empty list means the player did not play). A final game without a
    box score (``boxscore.teams[].statistics`` empty) yields no rows and no error.

    Raises:
        ParseError: not JSON, the header is for another event, or the box score is missing or
            malformed (a summary is stored whole or not at all).
    """
    doc = load_json(body, url)
    result = ParseResult()
    header = doc["header"]
    header_id = header["id"].str()
    if header_id != event_id:
        raise header["id"].fail(f"summary is for event {header_id}, requested {event_id}")
    parse_summary_lines(doc, event_id, result)
    if not box_score:
        return result
    points: dict[str, int | None] = {}
    for competitor in header["competitions"].at(0)["competitors"].list():
        team_id = (competitor.get("id") or competitor["team"]["id"]).str()
        score = competitor.get("score")
        points[team_id] = None if score is None or score.value == "" else score.int()
    box = doc["boxscore"]
    teams = box["teams"].list()
    if len(teams) != 2:
        raise box["teams"].fail(f"expected 2 teams, got {len(teams)}")
    for team in teams:
        team_id = team["team"]["id"].str()
        statistics = team.get("statistics")
        if statistics is None or not statistics.list():
            continue  # no box score for this game (e.g. before 2016-17 or a non-D1 host)
        home_away = team.get("homeAway")
        row: Row = {
            "event_id": event_id,
            "team_id": team_id,
            "home_away": None if home_away is None else home_away.str(),
            "points": points.get(team_id),
            **dict.fromkeys(TEAM_STAT_COLUMNS),
        }
        for stat in statistics.list():
            name = stat["name"].str()
            display = stat.get("displayValue")
            if display is not None:
                _apply_stat(row, display, name, display.str(), _TEAM_SINGLE)
        result.add("team_game_stats", row)
    if not result.rows.get("team_game_stats"):
        return result
    if any(r["home_away"] is None for r in result.rows["team_game_stats"]):
        # Older summaries omit boxscore.teams[].homeAway: take it from the header.
        sides = {
            (c.get("id") or c["team"]["id"]).str(): c["homeAway"].str()
            for c in header["competitions"].at(0)["competitors"].list()
        }
        for r in result.rows["team_game_stats"]:
            r["home_away"] = r["home_away"] or sides.get(r["team_id"])
            if r["home_away"] is None:
                raise box["teams"].fail(f"team {r['team_id']} is not a competitor")
    players = box.get("players")
    for team_players in [] if players is None else players.list():
        team_id = team_players["team"]["id"].str()
        groups = team_players["statistics"].list()
        if not groups:
            continue
        group = groups[0]
        keys = [k.str() for k in group["keys"].list()]
        for athlete_entry in group["athletes"].list():
            _player_rows(athlete_entry, keys, event_id, team_id, result)
    return result


def _player_rows(
    entry: Node, keys: list[str], event_id: str, team_id: str, out: ParseResult
) -> None:
    athlete = entry["athlete"]
    player_id = athlete["id"].str()
    stats_node = entry.get("stats")
    stats = [] if stats_node is None else stats_node.list()
    row: Row = {
        "event_id": event_id,
        "player_id": player_id,
        "team_id": team_id,
        "starter": _opt_bool(entry, "starter"),
        "did_not_play": _opt_bool(entry, "didNotPlay"),
        **dict.fromkeys(PLAYER_STAT_COLUMNS),
    }
    if stats:
        if len(stats) != len(keys):
            raise stats_node.fail(  # type: ignore[union-attr]
                f"{len(stats)} statistics for {len(keys)} keys"
            )
        for key, stat in zip(keys, stats, strict=True):
            _apply_stat(row, stat, key, stat.str(), _PLAYER_SINGLE)
    elif row["did_not_play"] is None:
        row["did_not_play"] = True
    out.add("player_game_stats", row)
    position = athlete.get("position")
    out.add(
        "players",
        {
            "player_id": player_id,
            "display_name": _opt_str(athlete, "displayName"),
            "full_name": _opt_str(athlete, "fullName"),
            "jersey": _opt_str(athlete, "jersey"),
            "position": None if position is None else _opt_str(position, "abbreviation"),
            "height_in": None,
            "weight_lb": None,
            "experience_years": None,
            "experience_abbr": None,
            "team_id": team_id,
        },
    )


# --------------------------------------------------------------------------- roster


def _opt_float(node: Node, key: str) -> float | None:
    child = node.get(key)
    if child is None:
        return None
    if isinstance(child.value, bool) or not isinstance(child.value, (int, float)):
        raise child.fail(f"expected a number, got {child.value!r}")
    return float(child.value)


def parse_roster(body: str, url: str, team_id: str) -> ParseResult:
    """``/teams/{id}/roster`` → ``players`` and ``rosters`` rows.

    The team is the requested ``team_id`` (athletes' ``teams[0].$ref`` can point at other
    teams for transfers); the season is the response's ``season.year``.

    Raises:
        ParseError: not JSON, or no ``season.year`` / ``athletes`` list.
    """
    doc = load_json(body, url)
    result = ParseResult()
    season = doc["season"]["year"].int()
    for athlete in _roster_athletes(doc["athletes"]):
        try:
            player_id = athlete["id"].str()
            position = athlete.get("position")
            experience = athlete.get("experience")
            jersey = _opt_str(athlete, "jersey")
            pos = None if position is None else _opt_str(position, "abbreviation")
            result.add(
                "players",
                {
                    "player_id": player_id,
                    "display_name": _opt_str(athlete, "displayName"),
                    "full_name": _opt_str(athlete, "fullName"),
                    "jersey": jersey,
                    "position": pos,
                    "height_in": _opt_float(athlete, "height"),
                    "weight_lb": _opt_float(athlete, "weight"),
                    "experience_years": None
                    if experience is None
                    else _opt_int(experience, "years"),
                    "experience_abbr": None
                    if experience is None
                    else _opt_str(experience, "abbreviation"),
                    "team_id": team_id,
                },
            )
            result.add(
                "rosters",
                {
                    "team_id": team_id,
                    "season": season,
                    "player_id": player_id,
                    "jersey": jersey,
                    "position": pos,
                },
            )
        except ParseError as exc:
            result.errors.append(exc)
    return result


def _roster_athletes(athletes: Node) -> Iterator[Node]:
    # Some sports group the roster (athletes[].items[]); men's college basketball is flat.
    for entry in athletes.list():
        if isinstance(entry.value, dict) and "items" in entry.value:
            yield from entry["items"].list()
        else:
            yield entry


# ------------------------------------------------------- betting line and ESPN's predictor


def _number(node: Node) -> float | None:
    """A number ESPN sends as a JSON number or a numeric string (``-5.5``, ``"133"``,
    ``"+250"``); None for ``""``, ``"OFF"`` and the like (no line offered). ``"EVEN"`` is
    American odds +100."""
    value = node.value
    if isinstance(value, bool):
        raise node.fail(f"expected a number, got {value!r}")
    if isinstance(value, (int, float)):
        return float(value)
    if isinstance(value, str):
        text = value.strip()
        if text.upper() == "EVEN":
            return 100.0
        if text in ("", "-", "--") or text.upper() == "OFF":
            return None
        try:
            return float(text)
        except ValueError:
            pass
    raise node.fail(f"expected a number, got {value!r}")


def _opt_number(node: Node, key: str) -> float | None:
    child = node.get(key)
    return None if child is None else _number(child)


def _moneyline(entry: Node, side: str) -> int | None:
    """American moneyline of ``side`` (home | away): ``<side>TeamOdds.moneyLine`` (summary
    ``pickcenter``), else ``moneyline.<side>.close.odds`` (newer scoreboard ``odds``)."""
    team_odds = entry.get(f"{side}TeamOdds")
    value = None if team_odds is None else _opt_number(team_odds, "moneyLine")
    if value is None:
        block = entry.get("moneyline")
        sided = None if block is None else block.get(side)
        close = None if sided is None else sided.get("close")
        value = None if close is None else _opt_number(close, "odds")
    if value is not None and not value.is_integer():
        raise entry.fail(f"{side} moneyline {value!r} is not whole American odds")
    return None if value is None else int(value)


def betting_line_row(entry: Node, event_id: str, source: str) -> Row:
    """One provider's betting line → a ``betting_lines`` row (without ``fetched_at`` and
    ``response_id``, which come from the stored response).

    ``entry`` is an element of a summary's ``pickcenter[]`` or a scoreboard's
    ``events[].competitions[0].odds[]``: ``provider.{id,name}``, ``spread`` (from the home
    team's side: -5.5 means the home team is favoured by 5.5 points; ESPN's ``details`` then
    names the home team, e.g. ``"EIU -5.5"``), ``overUnder`` (the total, points),
    ``homeTeamOdds.moneyLine``/``awayTeamOdds.moneyLine`` (American odds), ``details``.

    Raises:
        ParseError: no ``provider.id``, or a value of the wrong type (names the JSON path).
    """
    provider = entry["provider"]
    return {
        "event_id": event_id,
        "provider_id": provider["id"].str(),
        "source": source,
        "provider_name": _opt_str(provider, "name"),
        "home_spread": _opt_number(entry, "spread"),
        "total": _opt_number(entry, "overUnder"),
        "home_moneyline": _moneyline(entry, "home"),
        "away_moneyline": _moneyline(entry, "away"),
        "details": _opt_str(entry, "details"),
    }


def _betting_lines(lines: Node | None, event_id: str, source: str, result: ParseResult) -> None:
    """Add a ``betting_lines`` row per entry of ``lines``; a malformed entry is an error in
    ``result`` and the other entries are kept."""
    if lines is None:
        return
    try:
        entries = lines.list()
    except ParseError as exc:
        result.errors.append(exc)
        return
    for entry in entries:
        try:
            row = betting_line_row(entry, event_id, source)
        except ParseError as exc:
            result.errors.append(exc)
            continue
        if any(row[k] is not None for k in ("home_spread", "total", "home_moneyline")):
            result.add("betting_lines", row)


def _percent(node: Node) -> float | None:
    value = _number(node)
    if value is None:
        return None
    if not 0.0 <= value <= 100.0:
        raise node.fail(f"expected a percentage in [0, 100], got {node.value!r}")
    return round(value / 100.0, 6)


def espn_prediction_row(predictor: Node, event_id: str, home_team_id: str | None) -> Row | None:
    """ESPN's matchup predictor (a summary's ``predictor``) → an ``espn_predictions`` row
    (without ``fetched_at``/``response_id``), or None when it gives no home projection.

    ``predictor.homeTeam.gameProjection`` is the home team's win chance in percent as a string
    (``"72.4"`` → ``home_win_prob`` 0.724); ``predictor.awayTeam.gameProjection`` likewise.

    Raises:
        ParseError: a projection outside [0, 100] or not a number, or ``homeTeam.id`` that is
            not the home competitor ``home_team_id`` of the summary's header.
    """
    home = predictor.get("homeTeam")
    if home is None:
        return None
    projection = home.get("gameProjection")
    home_prob = None if projection is None else _percent(projection)
    if home_prob is None:
        return None
    team_id = _opt_str(home, "id")
    if home_team_id is not None and team_id is not None and team_id != home_team_id:
        raise home["id"].fail(f"predictor home team {team_id} is not the home team {home_team_id}")
    away = predictor.get("awayTeam")
    away_projection = None if away is None else away.get("gameProjection")
    return {
        "event_id": event_id,
        "home_team_id": team_id or home_team_id,
        "home_win_prob": home_prob,
        "away_win_prob": None if away_projection is None else _percent(away_projection),
    }


def parse_summary_lines(doc: Node, event_id: str, result: ParseResult) -> None:
    """Add the betting lines (``pickcenter[]``) and ESPN's predictor of a summary ``doc`` to
    ``result``; problems are errors in ``result`` that drop only the bad entry."""
    _betting_lines(doc.get("pickcenter"), event_id, "pickcenter", result)
    predictor = doc.get("predictor")
    if predictor is None:
        return
    try:
        home_team_id = None
        for competitor in doc["header"]["competitions"].at(0)["competitors"].list():
            if competitor["homeAway"].str() == "home":
                home_team_id = (competitor.get("id") or competitor["team"]["id"]).str()
        row = espn_prediction_row(predictor, event_id, home_team_id)
    except ParseError as exc:
        result.errors.append(exc)
        return
    if row is not None:
        result.add("espn_predictions", row)
