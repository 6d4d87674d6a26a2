"""Contract: reconstructed responses have the real recordings' JSON paths and types.

Generic walk: every JSON path (lists as ``[*]``) under the subtrees the ingestion reads
(services/ingestion/src/hoopcast_ingestion/parse.py: events, status, competitors, box scores,
pickcenter) is collected with its JSON types, first from the real recording, then from
reconstructed responses of the same endpoint; each recorded path must exist in the
reconstruction with the same type(s). The few recorded paths the replay cannot fill (no data
for them in the results file) are listed in ``OMITTED`` with the reason, and the ingestion
reads each of them as optional. Scoreboard ``odds`` has no recording: it is checked against
ESPN's documented shape. Statuses are checked for each state under a moment clock.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import httpx
from hoopcast_common.games import EASTERN
from hoopcast_espn_replay.server import running_server
from replay_helpers import API, recording

TYPE = {
    dict: "object",
    list: "array",
    str: "string",
    bool: "boolean",
    int: "number",
    float: "number",
    type(None): "null",
}


def typed_paths(value: Any, path: str = "$") -> dict[str, set[str]]:
    """JSON path → set of JSON type names found there (list elements merged as ``[*]``)."""
    out: dict[str, set[str]] = {path: {TYPE[type(value)]}}
    children: list[tuple[str, Any]] = []
    if isinstance(value, dict):
        children = [(f"{path}.{k}", v) for k, v in value.items()]
    elif isinstance(value, list):
        children = [(f"{path}[*]", v) for v in value]
    for child_path, child in children:
        for p, types in typed_paths(child, child_path).items():
            out.setdefault(p, set()).update(types)
    return out


def _selected(
    paths: dict[str, set[str]], roots: tuple[str, ...], omitted: dict[str, str]
) -> dict[str, set[str]]:
    return {
        p: t
        for p, t in paths.items()
        if p.startswith(roots) and not any(p.startswith(o) for o in omitted)
    }


def _assert_covers(recorded: dict[str, set[str]], rebuilt: dict[str, set[str]]) -> None:
    problems = [
        f"{p}: recorded {sorted(t)}, reconstructed {sorted(rebuilt.get(p, set())) or 'missing'}"
        for p, t in sorted(recorded.items())
        if not t <= rebuilt.get(p, set())
    ]
    assert not problems, "\n".join(problems)


EV = "$.events[*]"
COMP = f"{EV}.competitions[*]"
SCOREBOARD_ROOTS = (
    f"{EV}.id",
    f"{EV}.date",
    f"{EV}.season",
    f"{EV}.status",
    f"{COMP}.id",
    f"{COMP}.date",
    f"{COMP}.neutralSite",
    f"{COMP}.conferenceCompetition",
    f"{COMP}.status",
    f"{COMP}.competitors",
)
SCOREBOARD_OMITTED = {
    f"{COMP}.competitors[*].leaders": "player leaders: no player data in the results file",
    f"{COMP}.competitors[*].statistics": "scoreboard team stats: not read by the ingestion",
    f"{COMP}.competitors[*].linescores": "half scores: not in the results file",
    f"{COMP}.competitors[*].team.venue": "venues: not in the results file",
}


def test_scoreboard_paths_and_types(replay_server: str) -> None:
    rec = typed_paths(recording("scoreboard/scoreboard_20241201_sdvpy_fixture.json"))
    # a reconstructed date (no recorded event in it), D1-vs-D1 events only for team keys
    doc = httpx.get(
        f"{replay_server}{API}/scoreboard",
        params={"dates": "20250111", "groups": "50", "limit": "500"},
    ).json()
    d1 = [
        e
        for e in doc["events"]
        if all("conferenceId" in c["team"] for c in e["competitions"][0]["competitors"])
    ]
    assert len(d1) > 50
    rebuilt = typed_paths({**doc, "events": d1})
    _assert_covers(_selected(rec, SCOREBOARD_ROOTS, SCOREBOARD_OMITTED), rebuilt)
    # top-level keys as ESPN's
    assert {"leagues", "day", "events", "eventsDate"} <= set(doc)


HC = "$.header.competitions[*]"
SUMMARY_ROOTS = (
    "$.header.id",
    "$.header.season",
    f"{HC}.id",
    f"{HC}.date",
    f"{HC}.neutralSite",
    f"{HC}.conferenceCompetition",
    f"{HC}.status",
    f"{HC}.competitors",
    "$.boxscore.teams[*].team.id",
    "$.boxscore.teams[*].homeAway",
    "$.boxscore.teams[*].statistics",
    "$.boxscore.players",
)
SUMMARY_OMITTED = {
    f"{HC}.competitors[*].linescores": "half scores: not in the results file",
    f"{HC}.competitors[*].rank": "AP rank: not in the results file",
    f"{HC}.competitors[*].team.logos[*].lastUpdated": "logo timestamps: unknown, not read",
    "$.boxscore.players[*]": "player box scores: not in the team box-score data",
}


def test_summary_paths_and_types(replay_server: str) -> None:
    rec = typed_paths(recording("summary/summary_401715624.json"))
    events = httpx.get(
        f"{replay_server}{API}/scoreboard", params={"dates": "20250111", "groups": "50"}
    ).json()["events"]
    rebuilt: dict[str, set[str]] = {}
    for event in events[:10]:
        doc = httpx.get(f"{replay_server}{API}/summary", params={"event": event["id"]}).json()
        assert doc["header"]["id"] == event["id"]
        for p, t in typed_paths(doc).items():
            rebuilt.setdefault(p, set()).update(t)
    _assert_covers(_selected(rec, SUMMARY_ROOTS, SUMMARY_OMITTED), rebuilt)


def test_summary_statistics_names_labels_like_recording(replay_server: str) -> None:
    recorded = {
        s["name"]: s
        for s in recording("summary/summary_401715624.json")["boxscore"]["teams"][0]["statistics"]
    }
    event = httpx.get(
        f"{replay_server}{API}/scoreboard", params={"dates": "20250111", "groups": "50"}
    ).json()["events"][0]
    doc = httpx.get(f"{replay_server}{API}/summary", params={"event": event["id"]}).json()
    stats = doc["boxscore"]["teams"][0]["statistics"]
    names = [s["name"] for s in stats]
    # every column of core.team_game_stats the box-score source has
    assert {
        "fieldGoalsMade-fieldGoalsAttempted",
        "threePointFieldGoalsMade-threePointFieldGoalsAttempted",
        "freeThrowsMade-freeThrowsAttempted",
        "offensiveRebounds",
        "defensiveRebounds",
        "totalRebounds",
        "assists",
        "blocks",
        "turnovers",
    } <= set(names)
    for s in stats:
        assert s["name"] in recorded
        assert {k: v for k, v in s.items() if k != "displayValue"} == {
            k: v for k, v in recorded[s["name"]].items() if k != "displayValue"
        }
    # same order as ESPN's list
    order = list(recorded)
    assert names == sorted(names, key=order.index)


def test_teams_paths_and_types(replay_server: str) -> None:
    # No real men's /teams recording exists (data/espn/README.md); check ESPN's documented
    # shape sports[0].leagues[0].teams[].team.{...} with the types of the recordings' teams.
    doc = httpx.get(f"{replay_server}{API}/teams", params={"limit": "500"}).json()
    paths = typed_paths(doc)
    base = "$.sports[*].leagues[*].teams[*].team"
    expected = {
        "id": "string",
        "uid": "string",
        "slug": "string",
        "abbreviation": "string",
        "displayName": "string",
        "shortDisplayName": "string",
        "name": "string",
        "nickname": "string",
        "location": "string",
        "color": "string",
        "alternateColor": "string",
        "isActive": "boolean",
        "logos": "array",
        "logos[*].href": "string",
    }
    for key, kind in expected.items():
        assert paths.get(f"{base}.{key}") == {kind}, key


def test_ingestion_parser_accepts_reconstructed_responses(replay_server: str) -> None:
    # Consumer-driven check: the ingestion's own normalization (pure functions) reads the
    # reconstructed documents without a single parse error and gets every game and box score.
    import datetime as dt

    import pytest

    parse = pytest.importorskip("hoopcast_ingestion.parse")
    url = f"{replay_server}{API}/scoreboard?dates=20250120-20250121&groups=50&limit=500"
    finals = with_box = 0
    for day in ("20250120", "20250121"):  # the clock's day (final) and the day after (scheduled)
        r = httpx.get(f"{replay_server}{API}/scoreboard", params={"dates": day, "groups": "50"})
        result = parse.parse_scoreboard(r.text, url, dt.datetime.strptime(day, "%Y%m%d").date())
        assert result.errors == []
        games = result.rows["games"]
        assert len(games) == len(r.json()["events"]) > 0
        for game in games:
            if game["completed"]:
                finals += 1
                doc = httpx.get(f"{replay_server}{API}/summary", params={"event": game["event_id"]})
                stats = parse.parse_summary(doc.text, str(doc.url), game["event_id"])
                assert stats.errors == []
                rows = stats.rows.get("team_game_stats", [])
                if rows:
                    assert sorted(r["home_away"] for r in rows) == ["away", "home"]
                    assert all(r["fgm"] is not None and r["points"] is not None for r in rows)
                    with_box += 1
            else:
                assert game["home_score"] is None and game["status"] == "STATUS_SCHEDULED"
    assert finals > 0 and with_box >= 0.9 * finals
    teams = httpx.get(f"{replay_server}{API}/teams", params={"limit": "500"})
    parsed = parse.parse_teams(teams.text, str(teams.url))
    assert parsed.errors == [] and len(parsed.rows["teams"]) == 367


def test_pickcenter_paths_and_types(replay_server: str) -> None:
    # the recorded consensus entry (summary 330452197) against reconstructed entries
    recorded = recording("summary/summary_330452197.json")
    consensus = [p for p in recorded["pickcenter"] if p["provider"]["name"] == "consensus"]
    rec = typed_paths({"pickcenter": consensus})
    omitted = {
        "$.pickcenter[*].awayTeamOdds.winPercentage": "win percentages: not in the results file",
        "$.pickcenter[*].homeTeamOdds.winPercentage": "win percentages: not in the results file",
    }
    events = httpx.get(
        f"{replay_server}{API}/scoreboard", params={"dates": "20250111", "groups": "50"}
    ).json()["events"]
    rebuilt: dict[str, set[str]] = {}
    entries = 0
    for event in events[:10]:
        doc = httpx.get(f"{replay_server}{API}/summary", params={"event": event["id"]}).json()
        entries += len(doc["pickcenter"])
        for p, t in typed_paths({"pickcenter": doc["pickcenter"]}).items():
            rebuilt.setdefault(p, set()).update(t)
    assert entries >= 8
    _assert_covers(_selected(rec, ("$.pickcenter",), omitted), rebuilt)
    # the summary's top-level keys keep ESPN's order around pickcenter
    keys = list(doc)
    assert keys.index("leaders") < keys.index("pickcenter") < keys.index("header")


def test_scoreboard_odds_documented_shape(replay_server: str) -> None:
    # No recorded scoreboard carries odds; ESPN's documented competitions[].odds[] entry:
    # provider {id, name, priority}, details, spread, {away,home}TeamOdds {favorite,
    # underdog, team {id, uid, abbreviation, name, displayName, logo}}.
    doc = httpx.get(
        f"{replay_server}{API}/scoreboard",
        params={"dates": "20250111", "groups": "50", "limit": "500"},
    ).json()
    with_odds = [e for e in doc["events"] if "odds" in e["competitions"][0]]
    assert len(with_odds) > 50
    paths = typed_paths({**doc, "events": with_odds})
    odds = f"{COMP}.odds[*]"
    expected = {
        "provider.id": "string",
        "provider.name": "string",
        "provider.priority": "number",
        "details": "string",
        "spread": "number",
    }
    for side in ("awayTeamOdds", "homeTeamOdds"):
        expected |= {
            f"{side}.favorite": "boolean",
            f"{side}.underdog": "boolean",
            f"{side}.team.id": "string",
            f"{side}.team.uid": "string",
            f"{side}.team.abbreviation": "string",
            f"{side}.team.displayName": "string",
            f"{side}.team.logo": "string",
        }
    for key, kind in expected.items():
        assert paths.get(f"{odds}.{key}") == {kind}, key


def test_status_paths_under_a_moment_clock() -> None:
    # Saturday 2025-01-11 at 17:00 EST: games are final, in progress and scheduled at once;
    # each state's status has the recorded status paths and types, and the ingestion's
    # parser reads every event and the summaries of the games in progress.
    import pytest

    rec = typed_paths(recording("scoreboard/scoreboard_20241201_sdvpy_fixture.json"))
    status_roots = (f"{EV}.status", f"{COMP}.status")
    now = dt.datetime(2025, 1, 11, 17, 0, tzinfo=EASTERN)
    with running_server(now) as base:
        doc = httpx.get(
            f"{base}{API}/scoreboard", params={"dates": "20250111", "groups": "50", "limit": "500"}
        )
        events = doc.json()["events"]
        by_state: dict[str, list[dict[str, Any]]] = {}
        for event in events:
            by_state.setdefault(event["status"]["type"]["state"], []).append(event)
        assert {k: len(v) > 3 for k, v in by_state.items()} == {
            "pre": True,
            "in": True,
            "post": True,
        }
        for state, group in by_state.items():
            rebuilt = typed_paths({"events": group})
            _assert_covers(_selected(rec, status_roots, {}), rebuilt)
            names = {e["status"]["type"]["name"] for e in group}
            assert (
                names
                <= {
                    "pre": {"STATUS_SCHEDULED"},
                    "in": {"STATUS_IN_PROGRESS"},
                    "post": {"STATUS_FINAL"},
                }[state]
            ), state
        parse = pytest.importorskip("hoopcast_ingestion.parse")
        result = parse.parse_scoreboard(doc.text, str(doc.url), dt.date(2025, 1, 11))
        assert result.errors == []
        live = [g for g in result.rows["games"] if g["status"] == "STATUS_IN_PROGRESS"]
        assert len(live) == len(by_state["in"])
        assert all(not g["completed"] and g["home_score"] is not None for g in live)
        for game in live[:3]:
            summary = httpx.get(f"{base}{API}/summary", params={"event": game["event_id"]})
            assert (
                parse.parse_summary(summary.text, str(summary.url), game["event_id"]).errors == []
            )
