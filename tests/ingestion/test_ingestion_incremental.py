"""Incremental collection: watermarks, open dates, only new summaries, no duplicate rows."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from ingestion_cli import query, run_cli

TABLES = (
    "core.teams",
    "core.games",
    "core.players",
    "core.rosters",
    "core.team_game_stats",
    "core.player_game_stats",
    "raw.responses",
)
SETTINGS = {"HOOPCAST_INGEST_START": "2025-01-14", "HOOPCAST_INGEST_LOOKAHEAD_DAYS": "3"}


def _counts(db: Path) -> dict[str, int]:
    return {t: query(db, f"SELECT count(*) FROM {t}")[0][0] for t in TABLES}


def test_incremental_data_collection(
    tmp_path: Path, replay_server: str, replay_server_factory: Any
) -> None:
    db = tmp_path / "w.duckdb"
    # First run: 2025-01-14 (HOOPCAST_INGEST_START) .. 2025-01-20 + 3 days of scheduled games.
    first = run_cli("collect", "--as-of", "2025-01-20", db=db, base_url=replay_server, **SETTINGS)
    assert first.code == 0, first.stderr[-2000:]
    assert first.summary["scoreboard_dates"] == ["2025-01-14", "2025-01-23", 10]
    after_first = _counts(db)
    assert after_first["core.games"] == first.summary["counts"]["games_stored"]
    assert query(db, "SELECT collector, watermark::VARCHAR FROM ops.watermarks ORDER BY 1") == [
        ("rosters", "2025-01-20"),
        ("scoreboard", "2025-01-20"),
        ("summaries", "2025-01-20"),
        ("teams", "2025-01-20"),
    ]
    scheduled = query(
        db, "SELECT count(*) FROM core.games WHERE game_date > '2025-01-20' AND NOT completed"
    )[0][0]
    assert scheduled > 0
    # Every scheduled game of the look-ahead had its summary fetched before tip-off (for its
    # betting line), within the per-run bound.
    assert first.summary["counts"]["pregame_summaries"] == min(scheduled, 200)

    # The first run's clock is 09:00 US Eastern of its game day (no --now); what it fetched is
    # stamped with it.
    assert query(
        db, "SELECT min(fetched_at) >= TIMESTAMPTZ '2025-01-20 14:00:00+00' FROM raw.responses"
    ) == [(True,)]
    # Same game day again, two hours later: only the look-ahead scoreboards change; nothing
    # else is fetched (teams and rosters are fresh, every final game's summary is stored).
    second = run_cli(
        "collect",
        "--as-of",
        "2025-01-20",
        "--now",
        "2025-01-20T11:00-05:00",
        db=db,
        base_url=replay_server,
        **SETTINGS,
    )
    assert second.code == 0, second.stderr[-2000:]
    assert second.summary["scoreboard_dates"] == ["2025-01-21", "2025-01-23", 3]
    # (retries are possible when the shared machine is slow: they are extra requests)
    # No pre-game summary again: each was fetched on this game day and none tips off within
    # 24 hours of the run's clock (2025-01-20 11:00 US Eastern; the first are on 01-21).
    assert second.summary["counts"]["pregame_summaries"] == 0
    assert second.summary["counts"]["requests"] - second.summary["counts"]["retries"] == 3
    assert second.summary["counts"].get("team_stats_stored", 0) == 0
    assert _counts(db) == after_first  # unchanged bodies only bump last_fetched_at
    assert (
        query(db, "SELECT count(*) FROM raw.responses WHERE last_fetched_at > fetched_at")[0][0]
        == 3
    )

    # Two days later (the replay clock moves on): the scheduled games of 01-21/01-22 are final
    # now; exactly their summaries are fetched and their scores filled in, no row duplicated.
    with replay_server_factory(now="2025-01-22") as later_url:
        third = run_cli("collect", "--as-of", "2025-01-22", db=db, base_url=later_url, **SETTINGS)
    assert third.code == 0, third.stderr[-2000:]
    assert third.summary["scoreboard_dates"] == ["2025-01-21", "2025-01-25", 5]
    finals_new = query(
        db,
        "SELECT count(*) FROM core.games WHERE game_date IN ('2025-01-21', '2025-01-22')"
        " AND completed AND home_score IS NOT NULL",
    )[0][0]
    assert finals_new > 0
    # One /teams page (a new logical day), 5 scoreboards, one summary per newly final game,
    # and the pre-game summaries of every game still to come in the look-ahead (01-23 ..
    # 01-25), within the per-run bound of 200: those of 01-23 were last fetched on game day
    # 01-20 (by the pipeline's clock), so they are due again on this new game day.
    counts = third.summary["counts"]
    upcoming = query(
        db,
        "SELECT count(*) FROM core.games WHERE game_date BETWEEN '2025-01-23' AND '2025-01-25'"
        " AND NOT completed",
    )[0][0]
    new_scheduled = min(upcoming, 200)
    assert counts["pregame_summaries"] == new_scheduled > 0
    assert counts["requests"] - counts["retries"] == 1 + 5 + finals_new + new_scheduled
    assert third.summary["counts"]["team_stats_stored"] == 2 * finals_new
    total, distinct = query(db, "SELECT count(*), count(DISTINCT event_id) FROM core.games")[0]
    assert total == distinct
    assert query(
        db, "SELECT count(*) FROM core.games WHERE game_date <= '2025-01-22' AND NOT completed"
    ) == [(0,)]
    assert query(
        db, "SELECT watermark::VARCHAR FROM ops.watermarks WHERE collector = 'scoreboard'"
    ) == [("2025-01-22",)]


def test_box_score_horizon_limits_summaries(tmp_path: Path, replay_server: str) -> None:
    """HOOPCAST_INGEST_SUMMARIES_FROM: scoreboards for every date, summaries only from it on."""
    db = tmp_path / "w.duckdb"
    settings = {**SETTINGS, "HOOPCAST_INGEST_SUMMARIES_FROM": "2025-01-18"}
    run = run_cli("collect", "--as-of", "2025-01-20", db=db, base_url=replay_server, **settings)
    assert run.code == 0, run.stderr[-2000:]
    before, after = query(
        db,
        "SELECT count(*) FILTER (WHERE game_date < '2025-01-18'),"
        " count(*) FILTER (WHERE game_date >= '2025-01-18') FROM core.games WHERE completed",
    )[0]
    assert before > 0 and after > 0  # finals on both sides of the horizon are stored
    stats_dates = query(
        db,
        "SELECT min(g.game_date)::VARCHAR, count(DISTINCT s.event_id) FROM core.team_game_stats s"
        " JOIN core.games g USING (event_id)",
    )[0]
    assert stats_dates[0] >= "2025-01-18"
    summaries = query(db, "SELECT count(*) FROM raw.responses WHERE endpoint = 'summary'")[0][0]
    assert summaries == after  # one summary per final game on or after the horizon, no more
    assert stats_dates[1] <= after

    bad = run_cli(
        "collect",
        "--as-of",
        "2025-01-20",
        db=tmp_path / "bad.duckdb",
        base_url=replay_server,
        **{**SETTINGS, "HOOPCAST_INGEST_SUMMARIES_FROM": "18/01/2025"},
    )
    assert bad.code == 2
    assert "HOOPCAST_INGEST_SUMMARIES_FROM" in bad.summary["error"]
