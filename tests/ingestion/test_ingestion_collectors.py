"""Every collector against the replay server serving the real recordings (data/espn).

The day 2024-12-01 holds the recorded game 401715624 (South Carolina State 68 at Xavier 71);
the DAG's step commands ``teams``, ``games``, ``players``, ``stats`` and ``check`` run as real
subprocesses on one warehouse, in that order.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from pathlib import Path

import duckdb
import httpx
import pytest
from ingestion_cli import CliResult, query, run_cli


@pytest.fixture(scope="module")
def dec1(
    tmp_path_factory: pytest.TempPathFactory, replay_server: str
) -> Iterator[tuple[Path, dict[str, CliResult]]]:
    """Warehouse after teams → games (2024-12-01) → players → stats → check."""
    db = tmp_path_factory.mktemp("dec1") / "w.duckdb"
    results: dict[str, CliResult] = {}
    for name, args in (
        ("teams", ("teams", "--as-of", "2025-01-20")),
        ("games", ("games", "--from", "2024-12-01", "--to", "2024-12-01", "--as-of", "2025-01-20")),
        ("players", ("players", "--as-of", "2025-01-20")),
        ("stats", ("stats", "--as-of", "2025-01-20")),
        ("check", ("check", "--as-of", "2025-01-20")),
    ):
        results[name] = run_cli(*args, db=db, base_url=replay_server)
    yield db, results


def test_every_step_succeeds_with_a_json_summary(dec1: tuple[Path, dict[str, CliResult]]) -> None:
    _db, results = dec1
    for name, result in results.items():
        assert result.code == 0, (name, result.stderr[-2000:])
        assert result.summary["stage"] == "ingestion"
        assert result.summary["command"] == name
        assert result.summary["status"] == "success"
        assert result.summary["as_of"] == "2025-01-20"
    for name in ("teams", "games", "players", "stats"):
        counts = results[name].summary["counts"]
        for key in ("requests", "retries", "games_stored", "teams_stored", "parse_errors"):
            assert key in counts, (name, key)
        assert counts["parse_errors"] == 0


def test_teams_collector_stores_the_d1_list(dec1: tuple[Path, dict[str, CliResult]]) -> None:
    db, results = dec1
    n_d1 = query(db, "SELECT count(*) FROM core.teams WHERE is_d1")[0][0]
    assert n_d1 >= 350
    assert results["teams"].summary["counts"]["teams_stored"] == n_d1
    assert query(
        db, "SELECT display_name, abbreviation FROM core.teams WHERE team_id = '2752'"
    ) == [("Xavier Musketeers", "XAV")]


def test_scoreboard_collector_stores_every_listed_event(
    dec1: tuple[Path, dict[str, CliResult]], replay_server: str
) -> None:
    db, results = dec1
    listed = httpx.get(
        f"{replay_server}/apis/site/v2/sports/basketball/mens-college-basketball/scoreboard",
        params={"dates": "20241201", "groups": "50", "limit": "500"},
    ).json()["events"]
    stored = {r[0] for r in query(db, "SELECT event_id FROM core.games")}
    assert stored == {e["id"] for e in listed}
    assert results["games"].summary["counts"]["games_stored"] == len(listed)
    row = query(
        db,
        "SELECT game_date, start_time_utc, season, status, completed, neutral_site,"
        " home_team_id, away_team_id, home_score, away_score FROM core.games"
        " WHERE event_id = '401715624'",
    )[0]
    assert row[0] == dt.date(2024, 12, 1)
    assert row[1] == dt.datetime(2024, 12, 1, 21, 30, tzinfo=dt.UTC)
    assert row[2:] == (2025, "STATUS_FINAL", True, False, "2752", "2569", 71, 68)
    # Every team of every game is known (non-D1 opponents come from the competitors).
    assert query(
        db,
        "SELECT count(*) FROM core.games g WHERE g.home_team_id NOT IN"
        " (SELECT team_id FROM core.teams)"
        " OR g.away_team_id NOT IN (SELECT team_id FROM core.teams)",
    ) == [(0,)]


def test_summary_collector_box_score_adds_up(dec1: tuple[Path, dict[str, CliResult]]) -> None:
    db, _results = dec1
    player_points = dict(
        query(
            db,
            "SELECT team_id, sum(points) FROM core.player_game_stats"
            " WHERE event_id = '401715624' GROUP BY team_id",
        )
    )
    assert player_points == {"2752": 71, "2569": 68}
    team = query(
        db,
        "SELECT home_away, points, fgm, fga, tpm, tpa, ftm, fta, orb, drb, trb, tov, fouls"
        " FROM core.team_game_stats WHERE event_id = '401715624' AND team_id = '2569'",
    )
    assert team == [("away", 68, 23, 54, 7, 21, 15, 22, 10, 22, 32, 18, 27)]
    n_players = query(
        db, "SELECT count(*) FROM core.player_game_stats WHERE event_id = '401715624'"
    )[0][0]
    assert n_players == 33  # 16 + 17 athletes in the recorded box score
    # Every final game of the day got its team box score from the replay's summaries.
    assert query(
        db,
        "SELECT count(*) FROM core.games g WHERE g.completed AND NOT EXISTS"
        " (SELECT 1 FROM raw.responses r WHERE r.endpoint = 'summary'"
        " AND r.request_key = g.event_id AND r.parse_error IS NULL)",
    ) == [(0,)]


def test_roster_collector_stores_players_and_counts_missing_rosters(
    dec1: tuple[Path, dict[str, CliResult]],
) -> None:
    db, results = dec1
    assert query(db, "SELECT season, count(*) FROM core.rosters GROUP BY season") == [(2026, 22)]
    counts = results["players"].summary["counts"]
    n_d1 = query(db, "SELECT count(*) FROM core.teams WHERE is_d1")[0][0]
    # Only Xavier's roster is recorded; every other D1 team answers 404 (no roster).
    assert counts["rosters_missing"] == n_d1 - 1
    assert counts["requests"] == n_d1 + counts["retries"]  # a retry when the machine is slow
    # Trey Green is in the roster and the box score: the summary must not erase roster facts.
    assert query(db, "SELECT display_name FROM core.players WHERE player_id = '4711258'") == [
        ("Trey Green",)
    ]
    height, exp = query(
        db, "SELECT height_in, experience_abbr FROM core.players WHERE player_id = '4711258'"
    )[0]
    assert height is not None and height > 60 and exp in ("FR", "SO", "JR", "SR")


def test_every_response_is_kept_raw(dec1: tuple[Path, dict[str, CliResult]]) -> None:
    db, results = dec1
    requests = sum(r.summary["counts"].get("requests", 0) for r in results.values())
    raw = query(db, "SELECT count(*), count(DISTINCT endpoint) FROM raw.responses")[0]
    assert raw == (requests, 4)
    assert query(db, "SELECT count(*) FROM raw.responses WHERE parse_error IS NOT NULL") == [(0,)]


def test_check_stores_passing_quality_results(dec1: tuple[Path, dict[str, CliResult]]) -> None:
    db, results = dec1
    run_id = results["check"].summary["run_id"]
    rows = query(
        db,
        "SELECT check_name, severity, passed FROM ops.quality_checks WHERE run_id = ?",
        [run_id],
    )
    assert len(rows) >= 8
    assert all(passed for _n, severity, passed in rows if severity == "blocking")
    assert results["check"].summary["counts"]["checks"] == len(rows)


def test_check_exits_2_on_a_blocking_failure(
    dec1: tuple[Path, dict[str, CliResult]], tmp_path: Path
) -> None:
    db, _results = dec1
    broken = tmp_path / "broken.duckdb"
    broken.write_bytes(db.read_bytes())
    conn = duckdb.connect(str(broken))
    conn.execute("UPDATE core.games SET home_score = NULL WHERE event_id = '401715624'")
    conn.close()
    result = run_cli("check", "--as-of", "2025-01-20", db=broken, base_url="http://127.0.0.1:9")
    assert result.code == 2
    assert result.summary["status"] == "bad_input"
    assert "final_games_without_scores" in result.summary["error"]
    assert "box_score_points_differ_from_score" in result.summary["failed_checks"]


def test_teams_and_rosters_are_not_fetched_again_while_fresh(
    dec1: tuple[Path, dict[str, CliResult]], tmp_path: Path
) -> None:
    db, _results = dec1
    copy = tmp_path / "copy.duckdb"
    copy.write_bytes(db.read_bytes())
    # Unreachable ESPN: any request would fail with exit 3.
    fresh = run_cli("players", "--as-of", "2025-01-23", db=copy, base_url="http://127.0.0.1:9")
    assert fresh.code == 0, fresh.stderr[-2000:]
    assert fresh.summary["counts"]["requests"] == 0
    assert fresh.summary["fresh"] == ["rosters"]
    forced = run_cli(
        "teams", "--force", "--as-of", "2025-01-20", db=copy, base_url="http://127.0.0.1:9",
        ESPN_MAX_ATTEMPTS="1",
    )  # fmt: skip
    assert forced.code == 3
