"""Reconstructed summaries (real box scores from 2016-17 on) and the team endpoints."""

from __future__ import annotations

import re

import duckdb
import httpx
from replay_helpers import API, DATA


def _summary(base: str, event_id: str) -> dict:  # type: ignore[type-arg]
    r = httpx.get(f"{base}{API}/summary", params={"event": event_id})
    assert r.status_code == 200, r.text
    return r.json()  # type: ignore[no-any-return]


def _first_event(base: str, day: str) -> dict:  # type: ignore[type-arg]
    events = httpx.get(f"{base}{API}/scoreboard", params={"dates": day, "groups": "50"}).json()
    return events["events"][0]  # type: ignore[no-any-return]


def test_box_score_values_are_the_real_ones(replay_server: str) -> None:
    # a 2025 game with a real ESPN id from the box scores (not a recording)
    row = duckdb.sql(
        f"SELECT espn_game_id, team_espn_team_id, fgm, fga, tpm, tpa, ftm, fta, orb, drb, ast,"
        f" \"to\", blk FROM '{DATA}/boxscores/ncaa_mbb_team_box_2025.parquet'"
        " WHERE game_date = DATE '2025-01-11' AND espn_game_id IS NOT NULL"
        " AND team_espn_team_id = '2752'"
    ).fetchall()[0]
    doc = _summary(replay_server, row[0])
    team = next(t for t in doc["boxscore"]["teams"] if t["team"]["id"] == "2752")
    stats = {s["name"]: s["displayValue"] for s in team["statistics"]}
    fgm, fga, tpm, tpa, ftm, fta, orb, drb, ast, tov, blk = (int(v) for v in row[2:])
    assert stats["fieldGoalsMade-fieldGoalsAttempted"] == f"{fgm}-{fga}"
    assert stats["fieldGoalPct"] == f"{100 * fgm / fga:.1f}"
    assert stats["threePointFieldGoalsMade-threePointFieldGoalsAttempted"] == f"{tpm}-{tpa}"
    assert stats["freeThrowsMade-freeThrowsAttempted"] == f"{ftm}-{fta}"
    assert stats["offensiveRebounds"] == str(orb)
    assert stats["totalRebounds"] == str(orb + drb)
    assert (stats["assists"], stats["turnovers"], stats["blocks"]) == (str(ast), str(tov), str(blk))


def test_box_scores_from_2016_17_on_only(replay_server: str) -> None:
    new = _summary(replay_server, _first_event(replay_server, "20170114")["id"])
    assert all(t["statistics"] for t in new["boxscore"]["teams"])
    assert new["header"]["competitions"][0]["boxscoreAvailable"] is True
    old = _summary(replay_server, _first_event(replay_server, "20150110")["id"])
    assert [t["statistics"] for t in old["boxscore"]["teams"]] == [[], []]
    assert old["header"]["competitions"][0]["status"]["type"]["name"] == "STATUS_FINAL"


def test_display_value_formats_like_espn(replay_server: str) -> None:
    doc = _summary(replay_server, _first_event(replay_server, "20230114")["id"])
    for team in doc["boxscore"]["teams"]:
        for stat in team["statistics"]:
            pattern = (
                r"\d+-\d+"
                if "-" in stat["name"]
                else r"\d+\.\d"
                if stat["name"].endswith("Pct")
                else r"\d+"
            )
            assert re.fullmatch(pattern, stat["displayValue"]), stat


def test_scheduled_summary_has_no_box_score(replay_server: str) -> None:
    event = _first_event(replay_server, "20250125")
    doc = _summary(replay_server, event["id"])
    comp = doc["header"]["competitions"][0]
    assert comp["status"]["type"]["name"] == "STATUS_SCHEDULED"
    assert all("statistics" not in t for t in doc["boxscore"]["teams"])
    assert all("score" not in c and "winner" not in c for c in comp["competitors"])


def test_unknown_event_is_an_espn_like_404(replay_server: str) -> None:
    r = httpx.get(f"{replay_server}{API}/summary", params={"event": "123456789"})
    assert r.status_code == 404
    assert r.json()["code"] == 404 and "123456789" in r.json()["message"]


def test_teams_list_paged_like_espn(replay_server: str) -> None:
    first = httpx.get(f"{replay_server}{API}/teams").json()
    assert len(first["sports"][0]["leagues"][0]["teams"]) == 50
    every = httpx.get(f"{replay_server}{API}/teams", params={"limit": "500"}).json()
    teams = [t["team"] for t in every["sports"][0]["leagues"][0]["teams"]]
    ids = {t["id"] for t in teams}
    hoopr = {
        r[0]
        for r in duckdb.sql(
            "SELECT CAST(team_id AS VARCHAR) FROM "
            f"read_csv('{DATA}/results/hoopR_espn_mbb_teams.csv')"
        ).fetchall()
    }
    assert hoopr <= ids  # all 360 hoopR D1 teams, plus new D1 programs (e.g. Mercyhurst 2385)
    assert "2385" in ids and len(ids) == len(teams)
    xavier = next(t for t in teams if t["id"] == "2752")
    assert xavier["displayName"] == "Xavier Musketeers" and xavier["logos"]


def test_team_and_404s(replay_server: str) -> None:
    r = httpx.get(f"{replay_server}{API}/teams/2752")
    assert r.status_code == 200 and r.json()["team"]["abbreviation"] == "XAV"
    for path in ("/teams/99999999999", "/teams/150/roster", "/nosuchthing"):
        r = httpx.get(f"{replay_server}{API}{path}")
        assert r.status_code == 404, path
        assert r.json()["code"] == 404


def test_non_d1_opponent_has_stable_synthetic_id(replay_server: str) -> None:
    # 2024-11-04 has games against non-D1 opponents (no crosswalk id)
    events = httpx.get(
        f"{replay_server}{API}/scoreboard", params={"dates": "20241104", "groups": "50"}
    ).json()["events"]
    non_d1 = [
        c["team"]
        for e in events
        for c in e["competitions"][0]["competitors"]
        if c["id"].startswith("99") and len(c["id"]) == 8
    ]
    assert non_d1
    team = non_d1[0]
    assert "conferenceId" not in team
    r = httpx.get(f"{replay_server}{API}/teams/{team['id']}")
    assert r.status_code == 200 and r.json()["team"]["displayName"] == team["displayName"]
