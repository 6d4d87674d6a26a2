"""Normalization of every real recording in data/espn (pure functions, no HTTP)."""

from __future__ import annotations

import datetime as dt
import json
from collections import Counter

import pytest
from hoopcast_ingestion import parse
from ingestion_cli import DATA

# event id → {team id: final score} (data/espn/README.md)
SUMMARIES = {
    "401715624": {"2752": 71, "2569": 68},
    "401706886": {"150": 72, "2305": 75},
    "290710041": {"41": 117, "183": 127},
    "330452197": {"2197": 64, "2046": 71},
}


@pytest.mark.parametrize("event_id", sorted(SUMMARIES))
def test_summary_player_points_add_up_to_the_team_score(event_id: str) -> None:
    body = (DATA / f"summary/summary_{event_id}.json").read_text()
    result = parse.parse_summary(body, f"summary?event={event_id}", event_id)
    assert result.errors == []
    teams = {r["team_id"]: r for r in result.rows["team_game_stats"]}
    assert {t: r["points"] for t, r in teams.items()} == SUMMARIES[event_id]
    player_points: Counter[str] = Counter()
    for row in result.rows["player_game_stats"]:
        player_points[row["team_id"]] += row["points"] or 0
    assert dict(player_points) == SUMMARIES[event_id]
    for row in teams.values():
        assert row["home_away"] in ("home", "away")
        assert row["fgm"] <= row["fga"] and row["tpm"] <= row["tpa"] and row["ftm"] <= row["fta"]
        # points = 2·FGM + 3PM + FTM (a three is a field goal worth one more point)
        assert 2 * row["fgm"] + row["tpm"] + row["ftm"] == row["points"]


def test_summary_for_another_event_is_rejected() -> None:
    body = (DATA / "summary/summary_401715624.json").read_text()
    with pytest.raises(parse.ParseError, match=r"at header\.id: summary is for event 401715624"):
        parse.parse_summary(body, "summary?event=1", "1")


def test_scoreboard_recording() -> None:
    body = (DATA / "scoreboard/scoreboard_20241201_sdvpy_fixture.json").read_text()
    result = parse.parse_scoreboard(body, "scoreboard?dates=20241201", dt.date(2024, 12, 1))
    assert result.errors == []
    (game,) = result.rows["games"]
    assert game["event_id"] == "401715624"
    assert (game["home_team_id"], game["away_team_id"]) == ("2752", "2569")
    assert (game["home_score"], game["away_score"], game["periods"]) == (71, 68, 2)
    assert game["start_time_utc"] == dt.datetime(2024, 12, 1, 21, 30, tzinfo=dt.UTC)
    assert (game["season"], game["season_type"]) == (2025, 2)
    assert {t["team_id"] for t in result.rows["teams"]} == {"2752", "2569"}


def test_scheduled_event_has_no_scores() -> None:
    doc = json.loads((DATA / "scoreboard/scoreboard_20241201_sdvpy_fixture.json").read_text())
    status = doc["events"][0]["competitions"][0]["status"]
    status["type"] = {"id": "1", "name": "STATUS_SCHEDULED", "state": "pre", "completed": False}
    for competitor in doc["events"][0]["competitions"][0]["competitors"]:
        competitor["score"] = "0"  # what ESPN sends before tip-off
    result = parse.parse_scoreboard(json.dumps(doc), "u", dt.date(2024, 12, 1))
    (game,) = result.rows["games"]
    assert (game["home_score"], game["away_score"], game["completed"]) == (None, None, False)


def test_roster_recording() -> None:
    body = (DATA / "roster/roster_2752.json").read_text()
    result = parse.parse_roster(body, "teams/2752/roster", "2752")
    assert result.errors == []
    assert len(result.rows["rosters"]) == 22
    assert {r["season"] for r in result.rows["rosters"]} == {2026}
    # The team is the requested one even where an athlete's $ref points at another team.
    assert {p["team_id"] for p in result.rows["players"]} == {"2752"}
    trey = next(p for p in result.rows["players"] if p["player_id"] == "4711258")
    assert trey["display_name"] == "Trey Green"


def test_truncated_body_names_the_url_and_asks_for_a_refetch() -> None:
    body = (DATA / "roster/roster_2752.json").read_text()[:1000]
    with pytest.raises(parse.ParseError) as info:
        parse.parse_roster(body, "http://x/teams/2752/roster", "2752")
    assert info.value.path == "$" and info.value.refetch
    assert str(info.value).startswith("http://x/teams/2752/roster: at $: malformed JSON")
