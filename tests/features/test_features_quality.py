"""Quality-check failures: exit 2, results stored, previous feature tables kept."""

from __future__ import annotations

from pathlib import Path

SNAPSHOT = ("game_features", "team_game_features", "elo_game")


def test_blocking_check_failure_keeps_previous_tables(
    warehouse_db: Path, features_cli, query
) -> None:
    assert features_cli(warehouse_db, "build", "--as-of", "2025-01-20")[0] == 0
    for table in SNAPSHOT:
        query(warehouse_db, f"CREATE TABLE main.before_{table} AS SELECT * FROM features.{table}")
    builds_before = query(warehouse_db, "SELECT count(*) FROM features.builds")[0][0]
    # an ingestion error: a final score of 500 (real rows never exceed 200)
    event = query(
        warehouse_db,
        "SELECT min(event_id) FROM core.games WHERE completed AND game_date = DATE '2025-01-18'",
    )[0][0]
    query(warehouse_db, f"UPDATE core.games SET home_score = 500 WHERE event_id = '{event}'")

    code, summary, err = features_cli(warehouse_db, "build", "--as-of", "2025-01-20")
    assert code == 2, err
    assert summary["status"] == "bad_input"
    assert "core_final_scores_plausible" in summary["error"] and event in summary["error"]
    failed = query(
        warehouse_db,
        f"""SELECT check_name, severity, passed, target FROM features.quality_checks
            WHERE run_id = '{summary["run_id"]}' AND NOT passed""",
    )
    assert ("core_final_scores_plausible", "blocking", False) in [r[:3] for r in failed]
    for table in SNAPSHOT:  # published tables exactly as before
        diff = query(
            warehouse_db,
            f"""SELECT (SELECT count(*) FROM (SELECT * FROM features.{table}
                        EXCEPT ALL SELECT * FROM main.before_{table})),
                       (SELECT count(*) FROM (SELECT * FROM main.before_{table}
                        EXCEPT ALL SELECT * FROM features.{table}))""",
        )
        assert diff == [(0, 0)], table
    assert query(warehouse_db, "SELECT count(*) FROM features.builds")[0][0] == builds_before
    staging = query(
        warehouse_db,
        "SELECT count(*) FROM information_schema.tables WHERE table_schema = 'features'"
        " AND table_name LIKE 'stage%'",
    )
    assert staging == [(0,)]

    # `check` on the published tables also fails on the bad core row
    code, summary, _ = features_cli(warehouse_db, "check", "--as-of", "2025-01-20")
    assert code == 2 and "core_final_scores_plausible" in summary["failed_checks"]

    # once ingestion corrects the score, the build publishes again
    query(warehouse_db, f"UPDATE core.games SET home_score = 80 WHERE event_id = '{event}'")
    code, summary, err = features_cli(warehouse_db, "build", "--as-of", "2025-01-20")
    assert code == 0, err
    assert query(
        warehouse_db,
        f"SELECT home_margin FROM features.game_features WHERE event_id = '{event}'",
    ) == query(warehouse_db, f"SELECT 80 - away_score FROM core.games WHERE event_id = '{event}'")


def test_check_before_any_build_is_bad_input(warehouse_db: Path, features_cli) -> None:
    code, summary, _ = features_cli(warehouse_db, "check", "--as-of", "2025-01-20")
    assert code == 2 and "not built yet" in summary["error"]


def test_bad_as_of_is_bad_input(warehouse_db: Path, features_cli) -> None:
    code, summary, _ = features_cli(warehouse_db, "build", "--as-of", "2025-13-40")
    assert code == 2 and "--as-of" in summary["error"]
