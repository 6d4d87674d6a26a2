"""Lines of the results file as ESPN's pickcenter and scoreboard odds, hand-checked."""

from __future__ import annotations

import datetime as dt
from typing import Any

import httpx
from hoopcast_espn_replay.server import running_server
from replay_helpers import API, recording


def _summary(base: str, event_id: str) -> dict[str, Any]:
    r = httpx.get(f"{base}{API}/summary", params={"event": event_id})
    assert r.status_code == 200, r.text
    return r.json()  # type: ignore[no-any-return]


def _competition(base: str, day: str, event_id: str) -> dict[str, Any]:
    events = httpx.get(
        f"{base}{API}/scoreboard", params={"dates": day, "groups": "50", "limit": "500"}
    ).json()["events"]
    (event,) = [e for e in events if e["id"] == event_id]
    return event["competitions"][0]  # type: ignore[no-any-return]


def _consensus(details: str, spread: float, home: tuple[str, str], away: tuple[str, str]) -> Any:
    def side(team_id: str, favorite: bool, underdog: bool, points: str) -> dict[str, Any]:
        return {
            "favorite": favorite,
            "underdog": underdog,
            "current": {"pointSpread": {"alternateDisplayValue": points, "american": points}},
            "teamId": team_id,
        }

    return [
        {
            "provider": {"id": "1004", "name": "consensus", "priority": 0},
            "details": details,
            "spread": spread,
            "awayTeamOdds": side(away[0], spread > 0, spread < 0, away[1]),
            "homeTeamOdds": side(home[0], spread < 0, spread > 0, home[1]),
        }
    ]


def test_pickcenter_home_favourite_before_and_after_the_game() -> None:
    # 0,South Carolina State,68,Xavier,71,20241201,27: aspread 27 = the away team a 27-point
    # underdog, so Xavier (2752, XAV) gives 27: ESPN spread -27 (home team's points).
    expected = _consensus("XAV -27", -27.0, ("2752", "-27"), ("2569", "+27"))
    with running_server(dt.date(2024, 11, 30)) as base:  # the day before: reconstructed
        doc = _summary(base, "401715624")
        assert doc["header"]["competitions"][0]["status"]["type"]["state"] == "pre"
        assert doc["pickcenter"] == expected
        odds = _competition(base, "20241201", "401715624")["odds"]
        assert [(o["details"], o["spread"]) for o in odds] == [("XAV -27", -27.0)]
        assert odds[0]["homeTeamOdds"]["favorite"] is True
        assert odds[0]["homeTeamOdds"]["team"]["id"] == "2752"
        assert odds[0]["awayTeamOdds"]["underdog"] is True
    with running_server(dt.date(2024, 12, 1)) as base:  # after: the recording, verbatim
        assert _summary(base, "401715624") == recording("summary/summary_401715624.json")


def test_pickcenter_away_favourite_same_for_scheduled_and_final() -> None:
    # 1,Michigan,78,Xavier,53,20241127,-1.5 (neutral site): aspread -1.5 = Michigan (130,
    # MICH) favoured by 1.5, so the home team Xavier gets +1.5.
    expected = _consensus("MICH -1.5", 1.5, ("2752", "+1.5"), ("130", "-1.5"))
    for clock, state in ((dt.date(2024, 11, 26), "pre"), (dt.date(2024, 11, 27), "post")):
        with running_server(clock) as base:
            board = httpx.get(
                f"{base}{API}/scoreboard", params={"dates": "20241127", "groups": "50"}
            ).json()["events"]
            (event,) = [e for e in board if e["name"] == "Michigan Wolverines at Xavier Musketeers"]
            doc = _summary(base, event["id"])
            assert doc["header"]["competitions"][0]["status"]["type"]["state"] == state
            assert doc["pickcenter"] == expected
            odds = event["competitions"][0]["odds"][0]
            assert (odds["details"], odds["spread"]) == ("MICH -1.5", 1.5)
            assert odds["awayTeamOdds"]["favorite"] and odds["homeTeamOdds"]["underdog"]


def test_no_line_no_pickcenter_entry_and_no_odds(replay_server: str) -> None:
    # 0,Mercyhurst,59,Saint Francis (PA),73,20250110,NL: no line
    board = httpx.get(
        f"{replay_server}{API}/scoreboard", params={"dates": "20250110", "groups": "50"}
    ).json()["events"]
    (event,) = [e for e in board if e["name"].startswith("Mercyhurst")]
    assert "odds" not in event["competitions"][0]
    assert _summary(replay_server, event["id"])["pickcenter"] == []
    # one line of the file is no spread at all (-133, North Carolina A&T at Howard,
    # 2014-03-11): not served, and counted
    stats = httpx.get(f"{replay_server}/__replay/stats").json()
    assert stats["rejected_lines"] == {"bad_aspread": 1}
    board = httpx.get(
        f"{replay_server}{API}/scoreboard", params={"dates": "20140311", "groups": "50"}
    ).json()["events"]
    (event,) = [e for e in board if e["name"].startswith("North Carolina A&T")]
    assert "odds" not in event["competitions"][0]


def test_recorded_summary_keeps_its_real_pickcenter(replay_server: str) -> None:
    # APSU at EIU, 2013-02-14: the recording has three providers (consensus -5.5,
    # numberfire -6.5, teamrankings -7); the results file says 6.5 (aspread), EIU -6.5.
    doc = _summary(replay_server, "330452197")
    assert doc == recording("summary/summary_330452197.json")
    assert [(p["provider"]["name"], p["details"]) for p in doc["pickcenter"]] == [
        ("consensus", "EIU -5.5"),
        ("numberfire", "EIU -6.5"),
        ("teamrankings", "EIU -7"),
    ]
