"""The replay clock as a moment, moved over real HTTP: scheduled → in progress → final."""

from __future__ import annotations

import datetime as dt
from typing import Any

import httpx
import pytest
from hoopcast_common.games import EASTERN
from hoopcast_espn_replay.server import running_server
from replay_helpers import API, recording

CLOCK = "/__replay/clock"


def _event(base: str, day: str, event_id: str) -> dict[str, Any]:
    events = httpx.get(
        f"{base}{API}/scoreboard", params={"dates": day, "groups": "50", "limit": "500"}
    ).json()["events"]
    (event,) = [e for e in events if e["id"] == event_id]
    return event  # type: ignore[no-any-return]


def _set(base: str, now: str) -> dict[str, Any]:
    r = httpx.post(f"{base}{CLOCK}", json={"now": now})
    assert r.status_code == 200, r.text
    return r.json()  # type: ignore[no-any-return]


def _scores(competition: dict[str, Any]) -> dict[str, str | None]:
    return {c["homeAway"]: c.get("score") for c in competition["competitors"]}


def test_clock_moves_via_post_and_recorded_summary_waits_for_the_final() -> None:
    # South Carolina State at Xavier, event 401715624: tip-off 2024-12-01T21:30Z (16:30 EST,
    # from the recording), final 68-71 (results row ...,20241201,27).
    start = dt.datetime(2024, 12, 1, 15, 0, tzinfo=EASTERN)
    with running_server(start) as base:
        assert httpx.get(f"{base}{CLOCK}").json() == {"now": "2024-12-01T15:00:00-05:00"}
        summary_url = f"{base}{API}/summary?event=401715624"
        before = httpx.get(summary_url).json()
        status = before["header"]["competitions"][0]["status"]["type"]
        assert (status["name"], status["state"]) == ("STATUS_SCHEDULED", "pre")
        assert "predictor" not in before  # reconstructed, not the recording

        # 1 h after tip-off: in progress, 40% of regulation played (1 h of 2.5 h)
        assert _set(base, "2024-12-01T17:30-05:00") == {"now": "2024-12-01T17:30:00-05:00"}
        live = httpx.get(summary_url).json()["header"]["competitions"][0]
        assert live["status"]["type"]["name"] == "STATUS_IN_PROGRESS"
        assert live["status"]["type"]["state"] == "in"
        assert live["status"]["type"]["completed"] is False
        assert _scores(live) == {"home": "28", "away": "27"}  # int(71 * 0.4), int(68 * 0.4)
        assert all("winner" not in c for c in live["competitors"])
        event = _event(base, "20241201", "401715624")
        assert event["status"]["period"] == 1 and event["status"]["displayClock"] == "4:00"
        assert event["status"]["type"]["detail"] == "4:00 - 1st Half"

        # 3 h after tip-off (UTC form accepted too): final, the recording verbatim
        assert _set(base, "2024-12-02T00:30:00Z") == {"now": "2024-12-01T19:30:00-05:00"}
        assert httpx.get(summary_url).json() == recording("summary/summary_401715624.json")
        assert httpx.get(f"{base}/__replay/stats").json()["now"] == "2024-12-01T19:30:00-05:00"

        # and back: the same URLs follow the clock (nothing cached per clock)
        _set(base, "2024-11-30")
        assert httpx.get(f"{base}{CLOCK}").json() == {"now": "2024-11-30T23:59:59-05:00"}
        again = httpx.get(summary_url).json()
        assert again["header"]["competitions"][0]["status"]["type"]["name"] == "STATUS_SCHEDULED"


def test_an_hour_after_tip_off_in_progress_three_hours_final() -> None:
    # Utah State at UNLV, 2025-01-15 (results row 0,Utah State,62,UNLV,65,20250115,-5.5)
    with running_server(dt.date(2025, 1, 14)) as base:
        events = httpx.get(
            f"{base}{API}/scoreboard", params={"dates": "20250115", "groups": "50", "limit": "500"}
        ).json()["events"]
        (event,) = [e for e in events if e["name"] == "Utah State Aggies at UNLV Rebels"]
        assert event["status"]["type"]["name"] == "STATUS_SCHEDULED"
        assert _scores(event["competitions"][0]) == {"home": None, "away": None}
        tip = dt.datetime.strptime(event["date"], "%Y-%m-%dT%H:%MZ").replace(tzinfo=dt.UTC)

        _set(base, (tip - dt.timedelta(minutes=1)).isoformat())
        assert _event(base, "20250115", event["id"])["status"]["type"]["state"] == "pre"

        _set(base, (tip + dt.timedelta(hours=1)).isoformat())
        live = _event(base, "20250115", event["id"])
        assert live["status"]["type"]["name"] == "STATUS_IN_PROGRESS"
        assert _scores(live["competitions"][0]) == {"home": "26", "away": "24"}  # 65, 62 × 0.4

        _set(base, (tip + dt.timedelta(hours=3)).isoformat())
        final = _event(base, "20250115", event["id"])
        assert final["status"]["type"]["name"] == "STATUS_FINAL"
        assert _scores(final["competitions"][0]) == {"home": "65", "away": "62"}


def test_bare_date_means_every_game_of_the_day_is_final() -> None:
    # Clemson at Georgia Tech, 2025-01-14, synthetic tip-off 23:00 EST (2025-01-15T04:00Z):
    # under the bare date 2025-01-14 it is final like every game of that day (as before the
    # clock became a moment), while at 23:30 EST it is in progress.
    with running_server(dt.date(2025, 1, 14)) as base:
        event = _event(base, "20250114", "401724799")
        assert event["date"] == "2025-01-15T04:00Z"
        assert event["status"]["type"]["name"] == "STATUS_FINAL"
        assert _scores(event["competitions"][0]) == {"home": "59", "away": "70"}
        _set(base, "2025-01-14T23:30-05:00")
        assert _event(base, "20250114", "401724799")["status"]["type"]["state"] == "in"


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ({"now": "yesterday"}, "now='yesterday' is not a date"),
        ({"now": "2025-02-30"}, "now='2025-02-30' is not a date"),
        ({"now": "2025-01-15T25:00-05:00"}, "ISO-8601 moment"),
        ({"now": 20250115}, 'expected a JSON object {"now"'),
        ({"when": "2025-01-15"}, 'expected a JSON object {"now"'),
        (None, "body is not JSON"),
    ],
)
def test_bad_clock_value_is_400_and_leaves_the_clock(body: Any, message: str) -> None:
    with running_server(dt.date(2025, 1, 14)) as base:
        if body is None:
            r = httpx.post(f"{base}{CLOCK}", content=b"now=2025-01-15")
        else:
            r = httpx.post(f"{base}{CLOCK}", json=body)
        assert r.status_code == 400
        assert r.json()["code"] == 400 and message in r.json()["message"]
        assert httpx.get(f"{base}{CLOCK}").json() == {"now": "2025-01-14T23:59:59-05:00"}


def test_factory_takes_a_moment(replay_server_factory: Any) -> None:
    with replay_server_factory(now="2025-01-14T23:30") as base:  # no offset: US Eastern
        assert httpx.get(f"{base}{CLOCK}").json() == {"now": "2025-01-14T23:30:00-05:00"}
        assert _event(base, "20250114", "401724799")["status"]["type"]["state"] == "in"
