"""Build behaviour on the ingested warehouse: labels, exit 99, layer order, run summary."""

from __future__ import annotations

from pathlib import Path


def test_scheduled_games_get_features_but_no_labels(
    warehouse_db: Path, features_cli, query
) -> None:
    code, summary, err = features_cli(warehouse_db, "build", "--as-of", "2025-01-20")
    assert code == 0, err
    assert summary["status"] == "success"
    games = query(warehouse_db, "SELECT count(*) FROM core.games")[0][0]
    assert summary["counts"]["game_rows_written"] == games
    by_status = dict(
        (row[0], row[1:])
        for row in query(
            warehouse_db,
            """SELECT status, count(*), count(home_win), count(home_margin),
                      count(elo_home_prob), count(f_diff_adj_net), count(f_diff_elo)
               FROM features.game_features GROUP BY status""",
        )
    )
    n, wins, margins, elo, adj, elo_diff = by_status["STATUS_SCHEDULED"]
    assert n > 100 and wins == 0 and margins == 0
    assert elo == n and elo_diff == n and adj >= 0.95 * n  # features, but no labels
    n, wins, margins, elo, _, _ = by_status["STATUS_FINAL"]
    assert wins == n and margins == n and elo == n
    # labels agree with core scores
    assert query(
        warehouse_db,
        """SELECT count(*) FROM features.game_features f JOIN core.games g USING (event_id)
           WHERE f.home_win <> (g.home_score > g.away_score)
              OR f.home_margin <> g.home_score - g.away_score""",
    ) == [(0,)]
    # a scheduled game's Elo is its teams' current rating (after their last final game)
    stale = query(
        warehouse_db,
        """SELECT count(*) FROM features.elo_game e JOIN features.elo_ratings r
               ON r.team_id = e.home_team_id
           JOIN core.games g ON g.event_id = e.event_id
           WHERE NOT e.completed AND g.game_date <= DATE '2025-01-31'
             AND abs(e.home_elo_pre - r.rating) > 1e-9 AND r.last_season = e.season""",
    )
    assert stale == [(0,)]


def test_nothing_new_exits_99(warehouse_db: Path, features_cli, query) -> None:
    assert features_cli(warehouse_db, "build", "--as-of", "2025-01-20")[0] == 0
    code, summary, _ = features_cli(warehouse_db, "build", "--as-of", "2025-01-20")
    assert code == 99 and summary["status"] == "nothing_to_do"
    assert query(warehouse_db, "SELECT count(*) FROM features.builds") == [(3,)]
    # one changed game makes it build again, from that game's season only
    query(
        warehouse_db,
        "UPDATE core.games SET start_time_utc = start_time_utc + INTERVAL 1 HOUR"
        " WHERE event_id = (SELECT max(event_id) FROM core.games WHERE NOT completed)",
    )
    code, summary, _ = features_cli(warehouse_db, "build", "--as-of", "2025-01-20")
    assert code == 0
    assert summary["layers"]["team"] == {"from_season": 2025, "full": False, "changed_games": 1}


def test_layers_build_alone_in_order(warehouse_db: Path, features_cli, query) -> None:
    code, summary, _ = features_cli(
        warehouse_db, "build", "--layer", "game", "--as-of", "2025-01-20"
    )
    assert code == 2 and "team layer is not up to date" in summary["error"]
    for layer in ("team", "player", "game"):
        code, summary, err = features_cli(
            warehouse_db, "build", "--layer", layer, "--as-of", "2025-01-20"
        )
        assert code == 0, err
        assert list(summary["layers"]) == [layer]
    code, summary, _ = features_cli(warehouse_db, "check", "--as-of", "2025-01-20")
    assert code == 0 and summary["counts"]["checks_failed"] == 0
    assert query(
        warehouse_db,
        "SELECT count(*) FROM ops.quality_checks WHERE run_id = '" + summary["run_id"] + "'",
    ) == [(summary["counts"]["checks_run"],)]


def test_tables_of_an_older_feature_version_are_replaced(
    warehouse_db: Path, features_cli, query
) -> None:
    """A warehouse built by an older feature version (no quality_flags column, fingerprints of
    another FEATURE_VERSION): the next build recomputes every season and replaces the tables
    instead of mixing versions or asking for --full-refresh."""
    assert features_cli(warehouse_db, "build", "--as-of", "2025-01-20")[0] == 0
    query(warehouse_db, "ALTER TABLE features.game_features DROP COLUMN quality_flags")
    query(warehouse_db, "UPDATE features.layer_inputs SET fingerprint = fingerprint + 1")
    code, summary, err = features_cli(warehouse_db, "build", "--as-of", "2025-01-20")
    assert code == 0, err
    assert summary["layers"]["game"]["full"] is True
    games = query(warehouse_db, "SELECT count(*) FROM core.games")[0][0]
    assert query(
        warehouse_db, "SELECT count(*), count(quality_flags) FROM features.game_features"
    ) == [(games, 0)]
