"""The shared ingested warehouse (tests/support/warehouse_fixtures.py) holds what it promises."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import duckdb


def test_template_holds_finished_and_scheduled_games(ingested_warehouse_template: Path) -> None:
    conn = duckdb.connect(str(ingested_warehouse_template), read_only=True)
    try:
        first, last_final, last = conn.execute(
            "SELECT min(game_date), max(game_date) FILTER (WHERE completed), max(game_date)"
            " FROM core.games"
        ).fetchone()  # type: ignore[misc]
        assert first == dt.date(2024, 11, 4)
        assert last_final == dt.date(2025, 1, 20)
        assert last == dt.date(2025, 1, 31)
        scheduled = conn.execute(
            "SELECT count(*), count(home_score) FROM core.games WHERE game_date > '2025-01-20'"
        ).fetchone()
        assert scheduled is not None and scheduled[0] > 100 and scheduled[1] == 0
        assert conn.execute(
            "SELECT count(*) FROM core.games WHERE status <> 'STATUS_SCHEDULED'"
            " AND game_date > '2025-01-20'"
        ).fetchone() == (0,)
        # The real recorded game: South Carolina State 68 at Xavier 71.
        assert conn.execute(
            "SELECT home_team_id, away_team_id, home_score, away_score FROM core.games"
            " WHERE event_id = '401715624'"
        ).fetchone() == ("2752", "2569", 71, 68)
        d1 = conn.execute("SELECT count(*) FROM core.teams WHERE is_d1").fetchone()
        assert d1 is not None and d1[0] >= 350
        box = conn.execute("SELECT count(DISTINCT event_id) FROM core.team_game_stats").fetchone()
        assert box is not None and box[0] > 2000
    finally:
        conn.close()


def test_warehouse_db_is_a_private_copy(
    warehouse_db: Path, ingested_warehouse_template: Path
) -> None:
    assert warehouse_db != ingested_warehouse_template
    conn = duckdb.connect(str(warehouse_db))
    conn.execute("DELETE FROM core.games")
    conn.close()
    template = duckdb.connect(str(ingested_warehouse_template), read_only=True)
    count = template.execute("SELECT count(*) FROM core.games").fetchone()
    template.close()
    assert count is not None and count[0] > 0
