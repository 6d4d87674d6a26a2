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
        f"""SELECT check_name, severity, passed, target FROM ops.quality_checks
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


def test_rating_outliers_are_flagged_not_blocking(warehouse_db: Path, features_cli, query) -> None:
    """A D1 team credited with 199 points in each of its first five finals (plausible scores,
    implausible efficiency): its following rows are outside the rating range. The build
    publishes, reports the rows and flags their games; other games stay unflagged."""
    team = query(
        warehouse_db,
        """SELECT team_id FROM (SELECT home_team_id AS team_id FROM core.games WHERE completed
                UNION ALL SELECT away_team_id FROM core.games WHERE completed) s
           JOIN core.teams USING (team_id) WHERE is_d1
           GROUP BY team_id HAVING count(*) >= 12 ORDER BY team_id LIMIT 1""",
    )[0][0]
    first = [
        r[0]
        for r in query(
            warehouse_db,
            f"""SELECT event_id FROM core.games WHERE completed
                AND '{team}' IN (home_team_id, away_team_id)
                ORDER BY start_time_utc, event_id LIMIT 6""",
        )
    ]
    for event in first[:5]:
        query(
            warehouse_db,
            f"""UPDATE core.games SET
                    home_score = CASE WHEN home_team_id = '{team}' THEN 199 ELSE home_score END,
                    away_score = CASE WHEN away_team_id = '{team}' THEN 199 ELSE away_score END
                WHERE event_id = '{event}'""",
        )
    code, summary, err = features_cli(warehouse_db, "build", "--as-of", "2025-01-20")
    assert code == 0, err
    # the team's rows from its sixth game on: 5 games at ~280 points per 100 possessions
    outside = query(
        warehouse_db,
        """SELECT DISTINCT r.event_id FROM features.team_game_features r
           JOIN features.team_seasons s USING (team_id, season)
           WHERE s.is_d1 AND r.f_games_played >= 5 AND (r.f_off_rtg > 160 OR r.f_adj_off > 160
               OR r.f_off_rtg < 50 OR r.f_def_rtg NOT BETWEEN 50 AND 160
               OR r.f_adj_off < 50 OR r.f_adj_def NOT BETWEEN 50 AND 160)""",
    )
    assert first[5] in {r[0] for r in outside}
    flagged = query(
        warehouse_db,
        "SELECT event_id, quality_flags FROM features.game_features"
        " WHERE quality_flags IS NOT NULL",
    )
    assert sorted(flagged) == sorted((e, "team_rating_range") for (e,) in outside)
    assert summary["flagged_games"] == len(outside)
    stored = query(
        warehouse_db,
        f"""SELECT stage, severity, passed, failing_rows > 0, checked_rows > 100 * failing_rows
            FROM ops.quality_checks WHERE run_id = '{summary["run_id"]}'
              AND check_name = 'team_rating_range'""",
    )
    assert stored == [("features", "flag", True, True, True)]
