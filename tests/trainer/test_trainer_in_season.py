"""Training that learns in-season, through the real trainer CLI on real features: the default
split, the gate's minimum sample and same-games comparison, the retrain no-op, explicit run
ids between steps, and artefact retention."""

from __future__ import annotations

import json
from pathlib import Path

from ml_testing import AS_OF, SPLIT, run_cli, stage_env, train_version
from support.queries import query


def _d1_finals(db: Path, first: str, last: str) -> int:
    return int(
        query(  # type: ignore[arg-type]
            db,
            "SELECT count(*) FROM features.game_features WHERE is_d1_game AND home_win IS NOT "
            f"NULL AND home_margin IS NOT NULL AND game_date BETWEEN '{first}' AND '{last}'",
        )[0][0]
    )


def test_default_split_validates_on_the_last_four_weeks(featured_db: Path) -> None:
    env = stage_env(featured_db)
    ds = run_cli("hoopcast-trainer", ["dataset", "--as-of", AS_OF], env)
    assert ds.code == 0, ds.stderr[-2000:]
    # game day 2025-01-20: games final before it, the 28 days 2024-12-23 .. 2025-01-19
    assert ds.summary["validate"] == "2024-12-23..2025-01-19"
    assert ds.summary["train_until"] == "2024-12-22"  # the season's earlier weeks are trained on
    assert ds.summary["counts"]["validation_games"] == _d1_finals(
        featured_db, "2024-12-23", "2025-01-19"
    )
    # a minimum sample larger than the last 7 days hold extends the window backwards
    week = _d1_finals(featured_db, "2025-01-13", "2025-01-19")
    wider = run_cli(
        "hoopcast-trainer",
        ["dataset", "--as-of", AS_OF],
        stage_env(featured_db, TRAINER_VALIDATION_DAYS="7", TRAINER_MIN_GATE_GAMES=str(week + 1)),
    )
    assert wider.code == 0, wider.stderr[-2000:]
    start = str(wider.summary["validate"]).split("..")[0]
    assert start < "2025-01-13"
    assert _d1_finals(featured_db, start, "2025-01-19") > week
    # ... by whole game dates, no further than needed: from the next game date on, too few
    next_day = str(
        query(
            featured_db,
            "SELECT min(game_date) FROM features.game_features WHERE is_d1_game "
            f"AND home_win IS NOT NULL AND game_date > DATE '{start}'",
        )[0][0]
    )
    assert _d1_finals(featured_db, next_day, "2025-01-19") <= week


def test_gate_needs_the_minimum_sample(featured_db: Path) -> None:
    env = stage_env(featured_db, TRAINER_MIN_GATE_GAMES="100000")
    result = run_cli("hoopcast-trainer", ["train", "--as-of", AS_OF, *SPLIT], env)
    assert result.code == 0, result.stderr[-2000:]
    n = _d1_finals(featured_db, "2025-01-01", "2025-01-20")
    assert f"compared on {n} validation games" in result.summary["gate"]
    assert "minimum sample of 100000" in result.summary["gate"]
    assert result.summary["gate_sample"]["games"] == n
    stage, reason = query(
        featured_db,
        "SELECT r.stage, t.gate_decision FROM ml.model_registry r "
        "JOIN ml.training_runs t USING (run_id)",
    )[0]
    assert stage == "candidate" and "minimum sample" in str(reason)


def test_gate_compares_with_production_on_the_same_unseen_games(featured_db: Path) -> None:
    train_version(featured_db, rounds=20, stage="production")  # v1: trained until 2024-12-31
    env = stage_env(featured_db)
    window = ["--train-until", "2024-12-20", "--validate-from", "2024-12-21"]
    result = run_cli("hoopcast-trainer", ["train", "--as-of", AS_OF, *window], env)
    assert result.code == 0, result.stderr[-2000:]
    gate = result.summary["gate_sample"]
    # v2 validates on 2024-12-21 .. 2025-01-19 (the games final before game day 2025-01-20),
    # but v1 trained on games up to 2024-12-31: both are judged on 2025-01-01 .. 01-19 only
    assert result.summary["validate"] == "2024-12-21..2025-01-19"
    assert gate["games"] == _d1_finals(featured_db, "2025-01-01", "2025-01-19")
    assert gate["games"] < result.summary["counts"]["validation_games"]
    assert (gate["first_day"], gate["last_day"]) == ("2025-01-01", "2025-01-19")
    assert gate["production_version"] == "v1"
    assert gate["production_log_loss"] is not None
    assert f"on {gate['games']} validation games" in result.summary["gate"]
    metrics = json.loads(
        str(query(featured_db, "SELECT metrics FROM ml.model_registry WHERE version = 'v2'")[0][0])
    )
    assert metrics["gate"]["games"] == gate["games"]


def test_retrain_without_new_final_games_is_a_no_op(featured_db: Path) -> None:
    env = stage_env(featured_db)
    first = run_cli("hoopcast-trainer", ["train", "--as-of", AS_OF], env)
    assert first.code == 0 and first.summary["model_version"] == "v1"
    again = run_cli("hoopcast-trainer", ["train", "--as-of", AS_OF], env)
    assert again.code == 99, again.stderr[-2000:]
    assert "no new final game since v1" in again.summary["error"]
    assert query(featured_db, "SELECT count(*) FROM ml.training_runs") == [(1,)]
    forced = run_cli("hoopcast-trainer", ["train", "--as-of", AS_OF, "--force"], env)
    assert forced.code == 0 and forced.summary["model_version"] == "v2"
    # the next game day has the 2025-01-20 games final: something new to learn
    later = run_cli("hoopcast-trainer", ["dataset", "--as-of", "2025-01-21"], env)
    assert later.code == 0 and later.summary["validate"].endswith("2025-01-20")


def test_steps_need_the_run_id_when_several_runs_are_open(featured_db: Path) -> None:
    env = stage_env(featured_db)
    one = run_cli("hoopcast-trainer", ["dataset", "--as-of", AS_OF, *SPLIT], env)
    two = run_cli("hoopcast-trainer", ["dataset", "--as-of", AS_OF, *SPLIT], env)
    assert one.code == two.code == 0
    ambiguous = run_cli("hoopcast-trainer", ["fit"], env)
    assert ambiguous.code == 2 and "--run-id" in ambiguous.summary["error"]
    assert one.summary["training_run_id"] in ambiguous.summary["error"]
    run_id = two.summary["training_run_id"]
    for step in ("fit", "evaluate", "register"):
        result = run_cli("hoopcast-trainer", [step, "--run-id", run_id], env)
        assert result.code == 0, result.stderr[-2000:]
        assert result.summary["training_run_id"] == run_id
    assert result.summary["model_version"] == "v1"


def test_storage_reports_sizes_and_prune_keeps_the_retained_folders(featured_db: Path) -> None:
    for _ in range(5):
        train_version(featured_db, rounds=2, stage="candidate")
    env = stage_env(featured_db, TRAINER_KEEP_ARCHIVED="2")
    for version in ("v1", "v2", "v3", "v4"):  # v1..v3 archived, v4 production, v5 candidate
        assert run_cli("hoopcast-trainer", ["promote", version], env).code == 0
    models = featured_db.parent / "models"
    report = run_cli("hoopcast-trainer", ["storage"], env)
    assert report.code == 0, report.stderr[-2000:]
    folders = {(f["kind"], f["name"]): f for f in report.summary["folders"]}
    v1 = folders[("version", "v1")]
    assert v1["bytes"] == sum(p.stat().st_size for p in (models / "game_lgbm/v1").iterdir())
    assert v1["bytes"] > 1000
    assert {n for (k, n), f in folders.items() if k == "version" and not f["keep"]} == {"v1"}
    runs = [f for (k, _), f in folders.items() if k == "run"]
    assert len(runs) == 5 and not any(f["keep"] for f in runs)  # all registered
    assert (models / "game_lgbm/v1").exists()  # `storage` deletes nothing

    pruned = run_cli("hoopcast-trainer", ["prune"], env)
    assert pruned.code == 0
    assert pruned.summary["counts"]["folders_deleted"] == 6
    assert not (models / "game_lgbm/v1").exists()
    for version in ("v2", "v3", "v4", "v5"):
        assert (models / "game_lgbm" / version / "classifier.txt").exists()
    assert not any((models / "runs").iterdir())
    # rollback skips the pruned version and restores the most recent one with artefacts
    assert run_cli("hoopcast-trainer", ["rollback"], env).summary["production"] == "v3"
