"""Point-in-time: changing a later game's score never changes an earlier game's features."""

from __future__ import annotations

from pathlib import Path

EVENT_COLUMNS = "SELECT * FROM features.game_features"


def test_later_score_change_never_changes_earlier_features(
    warehouse_db: Path, features_cli, query
) -> None:
    assert features_cli(warehouse_db, "build", "--as-of", "2025-01-20")[0] == 0
    query(warehouse_db, "CREATE TABLE main.before AS SELECT * FROM features.game_features")
    # a real final game in mid-January; flip its result (away team now wins by 10)
    event, start = query(
        warehouse_db,
        """SELECT event_id, start_time_utc FROM core.games
           WHERE completed AND game_date = DATE '2025-01-11' ORDER BY event_id LIMIT 1""",
    )[0]
    query(
        warehouse_db,
        f"""UPDATE core.games SET home_score = 60, away_score = 70 WHERE event_id = '{event}'""",
    )
    code, _, err = features_cli(warehouse_db, "build", "--as-of", "2025-01-20")
    assert code == 0, err
    feature_cols = [
        r[0]
        for r in query(
            warehouse_db,
            "SELECT column_name FROM information_schema.columns WHERE table_schema = 'features'"
            " AND table_name = 'game_features' AND column_name LIKE 'f\\_%' ESCAPE '\\'",
        )
    ]
    cols = ", ".join(["event_id", "elo_home_prob", *feature_cols])
    changed_earlier = query(
        warehouse_db,
        f"""SELECT count(*) FROM (
              (SELECT {cols} FROM main.before WHERE start_time_utc <= TIMESTAMPTZ '{start}'
               EXCEPT ALL
               SELECT {cols} FROM features.game_features
               WHERE start_time_utc <= TIMESTAMPTZ '{start}'))""",
    )
    assert changed_earlier == [(0,)]  # the game itself and everything before: same features
    labels = query(
        warehouse_db,
        f"SELECT home_win, home_margin FROM features.game_features WHERE event_id = '{event}'",
    )
    assert labels == [(False, -10)]
    changed_later = query(
        warehouse_db,
        f"""SELECT count(*) FROM (
              SELECT {cols} FROM main.before WHERE start_time_utc > TIMESTAMPTZ '{start}'
              EXCEPT ALL
              SELECT {cols} FROM features.game_features
              WHERE start_time_utc > TIMESTAMPTZ '{start}')""",
    )
    assert changed_later[0][0] > 0  # later games of both teams did see the new score
