"""Real ESPN responses under ``data/espn`` (served verbatim for their own URLs), and the
events they record (so the matching results games keep their real event id and tip time)."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import orjson
from hoopcast_common.games import game_day

from hoopcast_espn_replay.clock import parse_espn_time


def load_recordings(folder: Path) -> tuple[dict[str, Any], dict[str, Any], dict[str, Any]]:
    """(event id → summary, ``YYYYMMDD`` → scoreboard, team id → roster) of the recordings
    under ``folder``/{summary,scoreboard,roster}/*.json, parsed."""
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


def recorded_start(body: dict[str, Any]) -> dt.datetime:
    """Tip-off (aware UTC) of a recorded summary: ``header.competitions[0].date``."""
    return parse_espn_time(body["header"]["competitions"][0]["date"])


def recorded_events(
    summaries: dict[str, Any], scoreboards: dict[str, Any]
) -> dict[tuple[str, str], tuple[str, dt.datetime, dt.date]]:
    """(home id, away id) → (event id, tip-off in UTC, US Eastern date) of recorded events."""
    found: dict[tuple[str, str], tuple[str, dt.datetime, dt.date]] = {}

    def add(event_id: str, comp: dict[str, Any]) -> None:
        side = {c["homeAway"]: str(c["team"]["id"]) for c in comp["competitors"]}
        when = parse_espn_time(comp["date"])
        found[(side["home"], side["away"])] = (event_id, when, game_day(when))

    for event_id, body in summaries.items():
        add(event_id, body["header"]["competitions"][0])
    for body in scoreboards.values():
        for event in body.get("events", []):
            add(str(event["id"]), event["competitions"][0])
    return found
