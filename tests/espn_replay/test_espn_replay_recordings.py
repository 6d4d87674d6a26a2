"""Real recordings are served verbatim (as parsed JSON) for their own URLs."""

from __future__ import annotations

import httpx
from replay_helpers import API, recording


def test_summary_recordings_verbatim(replay_server: str) -> None:
    for event_id in ("401715624", "401706886", "330452197", "290710041"):
        r = httpx.get(f"{replay_server}{API}/summary", params={"event": event_id})
        assert r.status_code == 200
        assert r.json() == recording(f"summary/summary_{event_id}.json")


def test_roster_recording_verbatim(replay_server: str) -> None:
    r = httpx.get(f"{replay_server}{API}/teams/2752/roster")
    assert r.status_code == 200
    assert r.json() == recording("roster/roster_2752.json")


def test_scoreboard_recording_for_its_exact_url(replay_server: str) -> None:
    r = httpx.get(f"{replay_server}{API}/scoreboard", params={"dates": "20241201"})
    assert r.json() == recording("scoreboard/scoreboard_20241201_sdvpy_fixture.json")


def test_recorded_event_verbatim_inside_full_list(replay_server: str) -> None:
    r = httpx.get(
        f"{replay_server}{API}/scoreboard",
        params={"dates": "20241201", "groups": "50", "limit": "500"},
    )
    events = r.json()["events"]
    assert len(events) > 1
    recorded = recording("scoreboard/scoreboard_20241201_sdvpy_fixture.json")["events"][0]
    matching = [e for e in events if e["id"] == "401715624"]
    assert matching == [recorded]


def test_recording_of_a_future_game_is_not_served(replay_server_factory) -> None:  # type: ignore[no-untyped-def]
    # Under a clock before 2024-12-01 the recorded final must not leak: the game is scheduled.
    with replay_server_factory(now="2024-11-20") as url:
        s = httpx.get(f"{url}{API}/summary", params={"event": "401715624"}).json()
        status = s["header"]["competitions"][0]["status"]["type"]
        assert status["name"] == "STATUS_SCHEDULED"
        assert all("score" not in c for c in s["header"]["competitions"][0]["competitors"])
        sb = httpx.get(f"{url}{API}/scoreboard", params={"dates": "20241201"}).json()
        assert len(sb["events"]) > 1
        assert all(e["status"]["type"]["name"] == "STATUS_SCHEDULED" for e in sb["events"])
