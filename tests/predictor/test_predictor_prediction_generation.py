"""Daily predictions through the real predictor CLI: every scheduled game once per active model
version, probabilities in [0, 1], idempotent re-runs, the stage/store steps, exit codes."""

from __future__ import annotations

from pathlib import Path

from ml_testing import AS_OF, run_cli, stage_env, train_version
from support.queries import query


def _scheduled(db: Path, first: str, last: str) -> set[str]:
    rows = query(
        db,
        f"SELECT event_id FROM core.games WHERE NOT completed "
        f"AND game_date BETWEEN '{first}' AND '{last}'",
    )
    return {str(r[0]) for r in rows}


def test_every_scheduled_game_once_per_model_version(featured_db: Path) -> None:
    train_version(featured_db, rounds=20, stage="production")
    train_version(featured_db, rounds=2, stage="challenger")
    expected = _scheduled(featured_db, "2025-01-21", "2025-01-27")
    assert len(expected) > 50
    env = stage_env(featured_db)
    first = run_cli("hoopcast-predictor", ["predict", "--as-of", AS_OF, "--days", "7"], env)
    assert first.code == 0, first.stderr[-3000:]
    assert first.summary["counts"]["games"] == len(expected)
    rows = query(
        featured_db,
        "SELECT event_id, model_version, model_role, home_win_prob, predicted_margin, as_of, "
        "run_kind FROM predictions.predictions ORDER BY ALL",
    )
    keys = [(str(r[0]), str(r[1])) for r in rows]
    assert len(keys) == len(set(keys)) == 2 * len(expected)
    assert set(keys) == {(e, v) for e in expected for v in ("v1", "v2")}
    assert {(str(r[1]), str(r[2])) for r in rows} == {("v1", "production"), ("v2", "challenger")}
    assert all(0.0 <= float(r[3]) <= 1.0 for r in rows)  # type: ignore[arg-type]
    assert len({round(float(r[3]), 6) for r in rows}) > 10  # type: ignore[arg-type]
    assert {(str(r[5]), str(r[6])) for r in rows} == {("2025-01-20", "daily")}

    again = run_cli("hoopcast-predictor", ["predict", "--as-of", AS_OF, "--days", "7"], env)
    assert again.code == 0
    rows_again = query(
        featured_db,
        "SELECT event_id, model_version, model_role, home_win_prob, predicted_margin, as_of, "
        "run_kind FROM predictions.predictions ORDER BY ALL",
    )
    assert rows_again == rows


def test_stage_only_then_store_publishes_once(featured_db: Path) -> None:
    train_version(featured_db, rounds=10)
    env = stage_env(featured_db)
    upcoming = run_cli("hoopcast-predictor", ["upcoming", "--as-of", AS_OF, "--days", "3"], env)
    expected = _scheduled(featured_db, "2025-01-21", "2025-01-23")
    assert upcoming.code == 0 and upcoming.summary["counts"]["upcoming_games"] == len(expected)
    staged = run_cli(
        "hoopcast-predictor", ["predict", "--as-of", AS_OF, "--days", "3", "--stage-only"], env
    )
    assert staged.code == 0
    assert query(featured_db, "SELECT count(*) FROM predictions.predictions") == [(0,)]
    stored = run_cli("hoopcast-predictor", ["store", "--as-of", AS_OF], env)
    assert stored.code == 0 and stored.summary["batch_id"] == staged.summary["batch_id"]
    published = query(featured_db, "SELECT event_id FROM predictions.predictions")
    assert sorted(str(r[0]) for r in published) == sorted(expected)
    nothing = run_cli("hoopcast-predictor", ["store", "--as-of", AS_OF], env)
    assert nothing.code == 99
    assert query(featured_db, "SELECT count(*) FROM predictions.predictions") == [(len(expected),)]


def test_no_upcoming_game_exits_99_and_no_model_exits_2(featured_db: Path) -> None:
    env = stage_env(featured_db)
    none = run_cli("hoopcast-predictor", ["upcoming", "--as-of", "2025-02-10", "--days", "3"], env)
    assert none.code == 99
    no_model = run_cli("hoopcast-predictor", ["predict", "--as-of", AS_OF, "--days", "7"], env)
    assert no_model.code == 2
    assert "no production model" in no_model.summary["error"]
    assert "hoopcast-trainer train" in no_model.summary["error"]
    bad_days = run_cli("hoopcast-predictor", ["upcoming", "--as-of", AS_OF, "--days", "-1"], env)
    assert bad_days.code == 2 and "--days" in bad_days.summary["error"]


def test_corrupt_production_artefact_stops_predictions(featured_db: Path) -> None:
    train_version(featured_db, rounds=5)
    target = featured_db.parent / "models" / "game_lgbm" / "v1" / "regressor.txt"
    target.write_text("tree\nnot a model\n")
    result = run_cli(
        "hoopcast-predictor", ["predict", "--as-of", AS_OF, "--days", "7"], stage_env(featured_db)
    )
    assert result.code == 2
    assert str(target) in result.summary["error"] and "corrupt" in result.summary["error"]
    assert query(featured_db, "SELECT count(*) FROM predictions.predictions") == [(0,)]


def test_backtest_evaluate_and_report(featured_db: Path, tmp_path: Path) -> None:
    train_version(featured_db, rounds=20)
    env = stage_env(featured_db)
    args = ["backtest", "--from", "2025-01-06", "--to", "2025-01-20", "--model", "v1"]
    first = run_cli("hoopcast-predictor", args, env)
    assert first.code == 0, first.stderr[-3000:]
    d1_finals = query(
        featured_db,
        "SELECT count(*) FROM features.game_features WHERE is_d1_game AND completed "
        "AND home_win IS NOT NULL AND game_date BETWEEN '2025-01-06' AND '2025-01-20'",
    )[0][0]
    assert first.summary["counts"]["predictions_stored"] == d1_finals
    assert first.summary["evaluations"][0]["n_games"] == d1_finals
    assert 0.5 < first.summary["evaluations"][0]["accuracy"] <= 1.0
    lagged = query(
        featured_db,
        "SELECT count(*) FROM predictions.predictions p JOIN core.games g USING (event_id) "
        "WHERE p.run_kind = 'backtest' AND p.as_of = g.game_date - 1",
    )[0][0]
    assert lagged == d1_finals
    second = run_cli("hoopcast-predictor", args, env)
    assert second.code == 0
    assert query(featured_db, "SELECT count(*) FROM predictions.predictions") == [(d1_finals,)]
    weeks = query(
        featured_db,
        "SELECT period, count(*), sum(n_games) FROM predictions.prediction_evaluations "
        "GROUP BY period ORDER BY period",
    )
    assert weeks == [("all", 1, d1_finals), ("week", 3, d1_finals)]

    out = tmp_path / "report"
    report = run_cli("hoopcast-predictor", ["report", "--out", str(out)], env)
    assert report.code == 0, report.stderr[-2000:]
    for name in ("calibration.png", "rolling_accuracy.png"):
        data = (out / name).read_bytes()
        assert data[:8] == b"\x89PNG\r\n\x1a\n" and len(data) > 10_000
    summary = (out / "summary.txt").read_text()
    assert "v1" in summary and "backtest" in summary and str(d1_finals) in summary
    assert report.summary["files"]["calibration"] == str(out / "calibration.png")


def test_backtest_days_window_and_exit_codes(featured_db: Path) -> None:
    env = stage_env(featured_db)
    # no model registered yet: the DAG's backtest_model task must skip (99), not fail
    nothing = run_cli("hoopcast-predictor", ["backtest", "--days", "14", "--as-of", AS_OF], env)
    assert nothing.code == 99, nothing.stderr[-2000:]
    assert "no production model" in nothing.summary["error"]
    both = ["backtest", "--days", "7", "--from", "2025-01-01", "--to", "2025-01-02"]
    mixed = run_cli("hoopcast-predictor", [*both, "--as-of", AS_OF], env)
    assert mixed.code == 2 and "not both" in mixed.summary["error"]
    neither = run_cli("hoopcast-predictor", ["backtest", "--as-of", AS_OF], env)
    assert neither.code == 2 and "--days" in neither.summary["error"]

    train_version(featured_db, rounds=20, stage="production")
    run = run_cli("hoopcast-predictor", ["backtest", "--days", "14", "--as-of", AS_OF], env)
    assert run.code == 0, run.stderr[-3000:]
    assert run.summary["window"] == ["2025-01-07", "2025-01-20"]  # (as-of − 14 days, as-of]
    d1_finals = query(
        featured_db,
        "SELECT count(*) FROM features.game_features WHERE is_d1_game AND completed "
        "AND home_win IS NOT NULL AND game_date BETWEEN '2025-01-07' AND '2025-01-20'",
    )[0][0]
    assert run.summary["counts"]["predictions_stored"] == d1_finals > 100
