"""Shared helpers of the trainer and predictor tests (imported by both folders' conftest).

The feature table comes from the real features CLI (``hoopcast-features build``) run on a copy
of the ingested warehouse (``ingested_warehouse_template``: finished games 2024-11-04..
2025-01-20, scheduled games 2025-01-21..2025-01-31). Stage CLIs run as subprocesses, the way
the DAG's tasks and users run them. Training is kept small through settings
(``TRAINER_NUM_BOOST_ROUND`` etc. in the process environment).
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from hoopcast_common.runs import last_json_line

ROOT = Path(__file__).resolve().parents[2]
AS_OF = "2025-01-20"
SPLIT = (
    "--train-until",
    "2024-12-31",
    "--validate-from",
    "2025-01-01",
    "--validate-to",
    "2025-01-20",
)


@dataclass
class CliResult:
    """Exit code, parsed last-line JSON summary and stderr of one CLI run."""

    code: int
    summary: dict[str, Any]
    stderr: str


def stage_env(db: Path, model_dir: Path | None = None, **settings: str) -> dict[str, str]:
    """Process environment for a stage CLI on ``db`` (profile local, small fast training)."""
    env = {
        **os.environ,
        "HOOPCAST_ENV": "local",
        "HOOPCAST_DB": str(db),
        "HOOPCAST_MODEL_DIR": str(model_dir or db.parent / "models"),
        "HOOPCAST_LOG_LEVEL": "INFO",
        "TRAINER_NUM_BOOST_ROUND": "60",
        "TRAINER_MIN_DATA_IN_LEAF": "20",
        "TRAINER_LEARNING_RATE": "0.05",
        **settings,
    }
    env.pop("HOOPCAST_AS_OF", None)
    return env


def run_cli(tool: str, args: list[str] | tuple[str, ...], env: dict[str, str]) -> CliResult:
    """Run console script ``tool`` (from this venv) with ``args``; parse its run summary."""
    exe = Path(sys.executable).with_name(tool)
    proc = subprocess.run(
        [str(exe), *args], env=env, cwd=ROOT, capture_output=True, text=True, timeout=600
    )
    try:
        summary = last_json_line(proc.stdout)
    except ValueError as exc:
        raise AssertionError(
            f"{tool} {args}: no JSON summary\n{proc.stdout}\n{proc.stderr}"
        ) from exc
    return CliResult(proc.returncode, summary, proc.stderr)


def build_features(db: Path, as_of: str = AS_OF) -> CliResult:
    """Run the real ``hoopcast-features build`` on ``db``; raises if it fails."""
    result = run_cli("hoopcast-features", ["build", "--as-of", as_of], stage_env(db))
    if result.code != 0:
        raise RuntimeError(
            f"hoopcast-features build exited {result.code}:\n{result.stderr[-3000:]}"
        )
    return result


def copy_db(source: Path, target_dir: Path) -> Path:
    """Copy a warehouse file into ``target_dir`` (tests never share writes)."""
    target_dir.mkdir(parents=True, exist_ok=True)
    target = target_dir / "hoopcast.duckdb"
    shutil.copyfile(source, target)
    return target


@pytest.fixture(scope="session")
def featured_warehouse_template(
    ingested_warehouse_template: Path, tmp_path_factory: pytest.TempPathFactory
) -> Path:
    """The ingested warehouse plus features built by the real features CLI (read-only use)."""
    db = copy_db(ingested_warehouse_template, tmp_path_factory.mktemp("featured"))
    build_features(db)
    return db


@pytest.fixture
def featured_db(featured_warehouse_template: Path, tmp_path: Path) -> Path:
    """A fresh writable copy of the featured warehouse under ``tmp_path``."""
    return copy_db(featured_warehouse_template, tmp_path / "wh")


def train_version(
    db: Path, *, rounds: int = 20, stage: str = "production", as_of: str = AS_OF
) -> str:
    """Train and register one model through the trainer's Python API; returns its version.

    ``stage``: ``production`` (forced), ``challenger`` (active challenger) or ``candidate``.
    Uses the same split as the CLI tests (:data:`SPLIT`).
    """
    import datetime as dt

    from hoopcast_common.db import connect, transaction
    from hoopcast_common.settings import load_settings
    from hoopcast_ml import registry
    from hoopcast_trainer import pipeline
    from hoopcast_trainer.config import TrainerConfig

    env = stage_env(db, TRAINER_NUM_BOOST_ROUND=str(rounds))
    cfg = TrainerConfig.from_settings(load_settings("trainer", profile="local", environ=env))
    models = Path(env["HOOPCAST_MODEL_DIR"])
    run = pipeline.step_dataset(
        db,
        models,
        cfg,
        as_of=dt.date.fromisoformat(as_of),
        train_until=dt.date(2024, 12, 31),
        validate_from=dt.date(2025, 1, 1),
        validate_to=dt.date(2025, 1, 20),
    )
    pipeline.step_fit(db, models, cfg, run.run_id)
    pipeline.step_evaluate(db, models, cfg, run.run_id)
    version = pipeline.step_register(db, models, cfg, run.run_id).model_version
    assert version is not None
    conn = connect(db)
    try:
        with transaction(conn):
            if stage == "production":
                registry.promote(conn, cfg.model_name, version, "test setup")
            elif stage == "challenger":
                if registry.get(conn, cfg.model_name, version).stage == "production":
                    raise AssertionError("the gate promoted the model meant as challenger")
                registry.set_challenger(conn, cfg.model_name, version, True)
    finally:
        conn.close()
    return version
