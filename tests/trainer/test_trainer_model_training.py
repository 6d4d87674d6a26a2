"""Training runs end to end through the real CLI on real features: determinism, registry rows,
the promotion gate, rollback, challengers and the DAG's step-by-step chaining."""

from __future__ import annotations

import json
from pathlib import Path

import duckdb
import pytest
from hoopcast_trainer.pipeline import gate_decision
from ml_testing import AS_OF, SPLIT, run_cli, stage_env


def _train(db: Path, *extra: str, **settings: str):  # type: ignore[no-untyped-def]
    result = run_cli(
        "hoopcast-trainer", ["train", "--as-of", AS_OF, *SPLIT, *extra], stage_env(db, **settings)
    )
    assert result.code == 0, result.stderr[-3000:]
    return result


def _registry(db: Path) -> dict[str, tuple[str, bool]]:
    conn = duckdb.connect(str(db), read_only=True)
    try:
        rows = conn.execute(
            "SELECT version, stage, is_challenger FROM ml.model_registry"
        ).fetchall()
    finally:
        conn.close()
    return {str(v): (str(s), bool(c)) for v, s, c in rows}


def test_same_data_gives_the_same_model_and_full_registry_rows(featured_db: Path) -> None:
    first = _train(featured_db)
    second = _train(featured_db)
    assert first.summary["model_version"] == "v1"
    assert second.summary["model_version"] == "v2"
    models = featured_db.parent / "models" / "game_lgbm"
    for name in ("classifier.txt", "regressor.txt"):
        assert (models / "v1" / name).read_bytes() == (models / "v2" / name).read_bytes()
    meta1 = json.loads((models / "v1" / "metadata.json").read_text())
    meta2 = json.loads((models / "v2" / "metadata.json").read_text())
    assert meta1["data_hash"] == meta2["data_hash"]
    assert meta1["metrics"]["model"] == meta2["metrics"]["model"]
    assert meta1["library_versions"]["lightgbm"]
    assert meta1["params"]["deterministic"] is True

    conn = duckdb.connect(str(featured_db), read_only=True)
    try:
        f_columns = [
            r[0]
            for r in conn.execute(
                "SELECT column_name FROM information_schema.columns WHERE table_schema = "
                "'features' AND table_name = 'game_features' AND column_name LIKE 'f\\_%' "
                "ESCAPE '\\' ORDER BY ordinal_position"
            ).fetchall()
        ]
        row = conn.execute(
            "SELECT artefact_path, train_until, validate_from, validate_to, feature_list, "
            "data_hash, metrics FROM ml.model_registry WHERE version = 'v1'"
        ).fetchall()[0]
        n_validation = conn.execute(
            "SELECT count(*) FROM features.game_features WHERE is_d1_game AND home_win IS NOT "
            "NULL AND game_date BETWEEN '2025-01-01' AND '2025-01-20'"
        ).fetchall()[0][0]
        runs = conn.execute(
            "SELECT step, model_version FROM ml.training_runs ORDER BY 2"
        ).fetchall()
    finally:
        conn.close()
    assert row[0] == "game_lgbm/v1"
    assert (str(row[1]), str(row[2]), str(row[3])) == ("2024-12-31", "2025-01-01", "2025-01-20")
    assert json.loads(row[4]) == f_columns and len(f_columns) > 5
    assert row[5] == meta1["data_hash"]
    metrics = json.loads(row[6])
    assert metrics["n_games"] == n_validation > 100
    for model in ("model", "elo", "home_court"):
        m = metrics[model]
        assert 0 < m["log_loss"] < 1 and 0 < m["brier"] < 0.5 and 0.4 < m["accuracy"] < 1
        assert m["margin_mae"] > 0
    assert 0 <= metrics["model"]["ece"] < 0.2 and metrics["model"]["reliability"]
    assert runs == [("register", "v1"), ("register", "v2")]
    # equal log-loss does not beat production: the second model never displaces the first
    assert _registry(featured_db)["v2"] == ("candidate", False)


def test_gate_keeps_a_worse_model_and_promotes_a_better_one(featured_db: Path) -> None:
    # v1: two boosting rounds is barely better than a constant; worse than the Elo baseline
    weak = _train(featured_db, TRAINER_NUM_BOOST_ROUND="2")
    assert "worse than the Elo baseline" in weak.summary["gate"]
    assert _registry(featured_db)["v1"] == ("candidate", False)
    forced = run_cli(
        "hoopcast-trainer", ["promote", "v1", "--as-of", AS_OF], stage_env(featured_db)
    )
    assert forced.code == 0 and forced.summary["production"] == "v1"
    strong = _train(featured_db)
    registry = _registry(featured_db)
    if "promoted" in strong.summary["gate"]:
        assert registry == {"v1": ("archived", False), "v2": ("production", False)}
    else:  # the fitted model must at least have lost to the Elo baseline, not to weak v1
        assert "Elo baseline" in strong.summary["gate"]
        assert registry["v1"][0] == "production"


@pytest.mark.parametrize(
    ("new", "elo", "prod", "promote", "words"),
    [
        (0.60, 0.58, None, False, "worse than the Elo baseline"),
        (0.55, 0.58, None, True, "no comparable production"),
        (0.55, 0.58, 0.56, True, "beats production"),
        (0.56, 0.58, 0.56, False, "does not beat production"),
        (0.59, 0.58, 0.70, False, "worse than the Elo baseline"),
    ],
)
def test_gate_decision_rules(
    new: float, elo: float, prod: float | None, promote: bool, words: str
) -> None:
    decided, reason = gate_decision(new, elo, prod)
    assert decided is promote
    assert words in reason


def test_rollback_restores_the_previous_production_model(featured_db: Path) -> None:
    _train(featured_db, TRAINER_NUM_BOOST_ROUND="2")
    _train(featured_db, TRAINER_NUM_BOOST_ROUND="3")
    env = stage_env(featured_db)
    assert run_cli("hoopcast-trainer", ["promote", "v1"], env).code == 0
    assert run_cli("hoopcast-trainer", ["promote", "v2"], env).code == 0
    assert _registry(featured_db) == {"v1": ("archived", False), "v2": ("production", False)}
    back = run_cli("hoopcast-trainer", ["rollback"], env)
    assert back.code == 0 and back.summary["production"] == "v1"
    assert _registry(featured_db) == {"v1": ("production", False), "v2": ("archived", False)}
    again = run_cli("hoopcast-trainer", ["rollback"], env)
    assert again.code == 2
    assert "no earlier production version" in again.summary["error"]
    assert _registry(featured_db)["v1"] == ("production", False)


def test_challenger_flag_and_bad_versions(featured_db: Path) -> None:
    _train(featured_db, TRAINER_NUM_BOOST_ROUND="2")
    env = stage_env(featured_db)
    on = run_cli("hoopcast-trainer", ["challenger", "v1"], env)
    assert on.code == 0
    assert _registry(featured_db)["v1"] == ("candidate", True)
    missing = run_cli("hoopcast-trainer", ["promote", "v9"], env)
    assert missing.code == 2 and "'v9'" in missing.summary["error"]
    listed = run_cli("hoopcast-trainer", ["list"], env)
    assert [m["version"] for m in listed.summary["models"]] == ["v1"]


@pytest.mark.parametrize("damage", ["truncate", "delete"])
def test_corrupt_or_missing_artefact_is_a_clear_error(featured_db: Path, damage: str) -> None:
    _train(featured_db, TRAINER_NUM_BOOST_ROUND="2")
    target = featured_db.parent / "models" / "game_lgbm" / "v1" / "classifier.txt"
    if damage == "truncate":
        target.write_text(target.read_text()[:200])
    else:
        target.unlink()
    result = run_cli("hoopcast-trainer", ["promote", "v1"], stage_env(featured_db))
    assert result.code == 2
    assert str(target) in result.summary["error"]
    assert ("corrupt" if damage == "truncate" else "missing") in result.summary["error"]
    assert _registry(featured_db)["v1"] == ("candidate", False)


def test_dag_steps_chain_through_training_runs(featured_db: Path) -> None:
    env = stage_env(featured_db)
    early = run_cli("hoopcast-trainer", ["fit"], env)
    assert early.code == 2 and "`dataset`" in early.summary["error"]
    ds = run_cli("hoopcast-trainer", ["dataset", "--as-of", AS_OF, *SPLIT], env)
    assert ds.code == 0 and ds.summary["step"] == "dataset"
    run_id = ds.summary["training_run_id"]
    for step in ("fit", "evaluate", "register"):
        result = run_cli("hoopcast-trainer", [step, "--as-of", AS_OF], env)
        assert result.code == 0, result.stderr[-2000:]
        assert result.summary["training_run_id"] == run_id
        assert result.summary["step"] == step
    assert result.summary["model_version"] == "v1"
    redo = run_cli("hoopcast-trainer", ["register", "--run-id", run_id], env)
    assert redo.code == 2 and "needs a run that finished `evaluate`" in redo.summary["error"]


def test_bad_split_options_exit_2_naming_the_option(featured_db: Path) -> None:
    env = stage_env(featured_db)
    bad = run_cli(
        "hoopcast-trainer",
        ["dataset", "--train-until", "2025-01-10", "--validate-from", "2025-01-05"],
        env,
    )
    assert bad.code == 2 and "--validate-from" in bad.summary["error"]
    not_a_date = run_cli("hoopcast-trainer", ["dataset", "--train-until", "Jan 5"], env)
    assert not_a_date.code == 2 and "--train-until" in not_a_date.summary["error"]
