"""Bad input from ESPN and from the command line, and an unreachable ESPN (exit 3).

A local HTTP server (pytest-httpserver) serves the real recordings from data/espn, with the
kinds of damage ESPN's API produces: a truncated body, an event missing keys, an unknown
status. The damaged response is kept in raw.responses with a parse_error naming the URL and
JSON path; every other game is still stored.
"""

from __future__ import annotations

import copy
import json
import socket
from pathlib import Path
from typing import Any

from ingestion_cli import DATA, query, run_cli
from pytest_httpserver import HTTPServer
from werkzeug import Request, Response

PREFIX = "/apis/site/v2/sports/basketball/mens-college-basketball"


def _recorded_scoreboard() -> dict[str, Any]:
    doc: dict[str, Any] = json.loads(
        (DATA / "scoreboard/scoreboard_20241201_sdvpy_fixture.json").read_text()
    )
    return doc


def test_damaged_responses_are_kept_raw_and_the_rest_is_stored(
    httpserver: HTTPServer, tmp_path: Path
) -> None:
    good = _recorded_scoreboard()
    drifted = copy.deepcopy(good)
    broken_event = copy.deepcopy(good["events"][0])
    broken_event["id"] = broken_event["competitions"][0]["id"] = "900000001"
    del broken_event["competitions"][0]["competitors"]  # schema drift
    odd_event = copy.deepcopy(good["events"][0])
    odd_event["id"] = odd_event["competitions"][0]["id"] = "900000002"
    odd_event["competitions"][0]["status"]["type"]["name"] = "STATUS_ABANDONED"
    drifted["events"] += [broken_event, odd_event]
    body = json.dumps(drifted)
    httpserver.expect_request(
        f"{PREFIX}/scoreboard", query_string={"dates": "20241201", "groups": "50", "limit": "500"}
    ).respond_with_data(body, content_type="application/json")
    truncated = json.dumps(_recorded_scoreboard())[:5000]
    httpserver.expect_request(
        f"{PREFIX}/scoreboard", query_string={"dates": "20241202", "groups": "50", "limit": "500"}
    ).respond_with_data(truncated, content_type="application/json")
    httpserver.expect_request(
        f"{PREFIX}/summary", query_string={"event": "401715624"}
    ).respond_with_data((DATA / "summary/summary_401715624.json").read_text())
    base = httpserver.url_for("/").rstrip("/")
    db = tmp_path / "w.duckdb"

    games = run_cli(
        "games", "--from", "2024-12-01", "--to", "2024-12-02", "--as-of", "2025-01-20",
        db=db, base_url=base, HOOPCAST_INGEST_REFETCHES="2",
    )  # fmt: skip
    assert games.code == 0, games.stderr[-2000:]
    counts = games.summary["counts"]
    # 2 bad events + the truncated page fetched 3 times (first try + 2 refetches).
    assert counts["parse_errors"] == 5
    assert counts["refetched"] == 2
    assert counts["games_stored"] == 1
    assert query(db, "SELECT event_id, home_score, away_score FROM core.games") == [
        ("401715624", 71, 68)
    ]
    errors = dict(
        query(
            db,
            "SELECT request_key, parse_error FROM raw.responses WHERE endpoint = 'scoreboard'"
            " AND parse_error IS NOT NULL",
        )
    )
    assert set(errors) == {"20241201", "20241202"}
    assert "dates=20241201" in errors["20241201"]
    assert "events[1].competitions[0].competitors: missing key" in errors["20241201"]
    assert (
        "events[2].competitions[0].status.type.name: unknown status 'STATUS_ABANDONED'"
        in (errors["20241201"])
    )
    assert "dates=20241202" in errors["20241202"] and "at $: malformed JSON" in errors["20241202"]
    # The truncated body is kept as received, once (same sha256 on every refetch).
    assert query(db, "SELECT body, status FROM raw.responses WHERE request_key = '20241202'") == [
        (truncated, 200)
    ]

    stats = run_cli("stats", "--as-of", "2025-01-20", db=db, base_url=base)
    assert stats.code == 0, stats.stderr[-2000:]
    assert stats.summary["counts"]["team_stats_stored"] == 2
    assert stats.summary["counts"]["requests"] == 1


def test_unreachable_espn_exits_3_and_writes_nothing(tmp_path: Path) -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    db = tmp_path / "w.duckdb"
    result = run_cli(
        "collect", "--as-of", "2025-01-20", db=db, base_url=f"http://127.0.0.1:{port}",
        ESPN_MAX_ATTEMPTS="2",
    )  # fmt: skip
    assert result.code == 3
    assert result.summary["status"] == "upstream_unavailable"
    assert "ESPN unreachable" in result.summary["error"]
    assert f"127.0.0.1:{port}" in result.summary["error"]
    assert result.summary["counts"]["requests"] == 2
    assert query(db, "SELECT count(*) FROM core.teams") == [(0,)]
    assert query(db, "SELECT count(*) FROM ops.watermarks") == [(0,)]
    assert query(db, "SELECT status, exit_code FROM ops.stage_runs") == [
        ("upstream_unavailable", 3)
    ]


def test_bad_command_line_and_settings_exit_2(tmp_path: Path) -> None:
    db = tmp_path / "w.duckdb"
    bad_date = run_cli("games", "--as-of", "2025-13-01", db=db, base_url="http://127.0.0.1:9")
    assert bad_date.code == 2
    assert "--as-of='2025-13-01' is not a date" in bad_date.summary["error"]
    reversed_range = run_cli(
        "games", "--from", "2025-01-10", "--to", "2025-01-01", "--as-of", "2025-01-20",
        db=db, base_url="http://127.0.0.1:9",
    )  # fmt: skip
    assert reversed_range.code == 2
    assert "--to 2025-01-01 is before --from 2025-01-10" in reversed_range.summary["error"]
    bad_url = run_cli(
        "teams", "--as-of", "2025-01-20", db=db, base_url="http://127.0.0.1:9/apis/site/v2"
    )
    assert bad_url.code == 2
    assert "ESPN_BASE_URL" in bad_url.summary["error"]
    bad_rate = run_cli(
        "teams", "--as-of", "2025-01-20", db=db, base_url="http://127.0.0.1:9",
        ESPN_RATE_PER_S="fast",
    )  # fmt: skip
    assert bad_rate.code == 2
    assert "ESPN_RATE_PER_S='fast'" in bad_rate.summary["error"]


def test_backfill_interrupted_by_an_outage_resumes_where_it_stopped(
    httpserver: HTTPServer, tmp_path: Path
) -> None:
    outage = {"from": "20250105"}

    def scoreboard(request: Request) -> Response:
        if request.args["dates"] >= outage["from"]:
            return Response('{"code": 503}', status=503)
        return Response('{"events": []}', content_type="application/json")

    httpserver.expect_request(f"{PREFIX}/scoreboard").respond_with_handler(scoreboard)
    base = httpserver.url_for("/").rstrip("/")
    db = tmp_path / "w.duckdb"
    settings = {"HOOPCAST_INGEST_START": "2024-11-01", "ESPN_MAX_ATTEMPTS": "2"}
    first = run_cli("games", "--as-of", "2025-01-20", db=db, base_url=base, **settings)
    assert first.code == 3
    assert first.summary["scoreboard_dates"] == ["2024-11-01", "2025-01-27", 88]
    # The first chunk of 60 dates (2024-11-01..2024-12-30) was stored and is not asked again.
    assert query(db, "SELECT watermark::VARCHAR FROM ops.watermarks") == [("2024-12-30",)]
    outage["from"] = "99999999"
    second = run_cli("games", "--as-of", "2025-01-20", db=db, base_url=base, **settings)
    assert second.code == 0, second.stderr[-2000:]
    assert second.summary["scoreboard_dates"] == ["2024-12-31", "2025-01-27", 28]
    assert query(db, "SELECT watermark::VARCHAR FROM ops.watermarks") == [("2025-01-20",)]
