"""The one definition of a final game and of the upcoming window, on a real DuckDB file."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from hoopcast_common import games
from hoopcast_common.db import connect

UTC = dt.UTC

# event_id, game_date, start (UTC), status, completed, home, away
ROWS = [
    ("reg", "2026-02-06", "2026-02-07 00:00", "STATUS_FINAL", True, 70, 60),
    ("ot", "2026-02-06", "2026-02-07 01:00", "STATUS_FINAL_OT", True, 81, 79),
    ("tie", "2026-02-06", "2026-02-07 01:00", "STATUS_FINAL", True, 70, 70),
    ("noscore", "2026-02-06", "2026-02-07 01:00", "STATUS_FINAL", True, None, None),
    ("postponed", "2026-02-06", "2026-02-07 01:00", "STATUS_POSTPONED", False, None, None),
    # game day 2026-02-07: one tipped off at 12:00 Eastern, one tonight at 19:00 Eastern
    ("noon", "2026-02-07", "2026-02-07 17:00", "STATUS_IN_PROGRESS", False, None, None),
    ("tonight", "2026-02-07", "2026-02-08 00:00", "STATUS_SCHEDULED", False, None, None),
    ("no_time", "2026-02-09", None, "STATUS_SCHEDULED", False, None, None),
    ("day7", "2026-02-14", "2026-02-14 23:00", "STATUS_SCHEDULED", False, None, None),
    ("day8", "2026-02-15", "2026-02-15 23:00", "STATUS_SCHEDULED", False, None, None),
]


@pytest.fixture()
def conn(tmp_path: Path):  # type: ignore[no-untyped-def]
    con = connect(tmp_path / "w.duckdb")
    for event_id, day, start, status, completed, home, away in ROWS:
        con.execute(
            "INSERT INTO core.games (event_id, season, game_date, start_time_utc, status,"
            " completed, home_team_id, away_team_id, home_score, away_score)"
            " VALUES (?, 2026, ?, ?::TIMESTAMP AT TIME ZONE 'UTC', ?, ?, 'h', 'a', ?, ?)",
            [event_id, day, start, status, completed, home, away],
        )
    yield con
    con.close()


def test_overtime_final_counts_as_final_in_sql_and_python(conn) -> None:  # type: ignore[no-untyped-def]
    rows = conn.execute(
        f"SELECT event_id FROM core.games g WHERE {games.is_final_sql('g')} ORDER BY event_id"
    ).fetchall()
    assert [r[0] for r in rows] == ["ot", "reg"]
    python = sorted(r[0] for r in ROWS if games.is_final(r[3], r[4], r[5], r[6]))
    assert python == ["ot", "reg"]


def test_game_day_is_the_us_eastern_date() -> None:
    # 03:30 UTC on 8 Feb is 22:30 on 7 Feb in New York (EST, UTC-5)
    assert games.game_day(dt.datetime(2026, 2, 8, 3, 30, tzinfo=UTC)) == dt.date(2026, 2, 7)
    # in July New York is on EDT (UTC-4): 03:30 UTC is 23:30 the day before
    assert games.game_day(dt.datetime(2026, 7, 2, 3, 30, tzinfo=UTC)) == dt.date(2026, 7, 1)
    assert games.game_day_start(dt.date(2026, 2, 7)) == dt.datetime(2026, 2, 7, 5, tzinfo=UTC)
    with pytest.raises(ValueError, match="no time zone"):
        games.game_day(dt.datetime(2026, 2, 8, 3, 30))


def test_upcoming_window_includes_tonight_but_not_games_already_tipped_off(conn) -> None:  # type: ignore[no-untyped-def]
    first, last = games.upcoming_window(dt.date(2026, 2, 7), 7)
    assert (first, last) == (dt.date(2026, 2, 7), dt.date(2026, 2, 14))
    now = dt.datetime(2026, 2, 7, 14, 0, tzinfo=UTC)  # 09:00 Eastern on the game day
    rows = conn.execute(
        f"SELECT event_id FROM core.games g WHERE {games.upcoming_sql('g')} ORDER BY event_id",
        [first, last, now],
    ).fetchall()
    assert [r[0] for r in rows] == ["day7", "no_time", "noon", "tonight"]
    later = dt.datetime(2026, 2, 7, 18, 0, tzinfo=UTC)  # 13:00 Eastern: the noon game has begun
    rows = conn.execute(
        f"SELECT event_id FROM core.games g WHERE {games.upcoming_sql('g')} ORDER BY event_id",
        [first, last, later],
    ).fetchall()
    assert [r[0] for r in rows] == ["day7", "no_time", "tonight"]
