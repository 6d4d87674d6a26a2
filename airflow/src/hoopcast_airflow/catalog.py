"""The stage catalog: every DAG and task of hoopcast, declared once.

The DAG files in ``airflow/dags`` are wiring only; they call
:func:`hoopcast_airflow.dag_factory.build_dag` with a :class:`DagSpec` from :data:`DAGS`.
Each :class:`TaskSpec` is one task: either a *stage* task (one run of a stage CLI
subcommand, in a container or a local subprocess) or a *check* task (a sensor reading the
warehouse). Resource limits, retries, timeouts and pools live here and nowhere else.

Sources: the DAG table of issue 4 (schedules, task names, limits) and the stage CLI
subcommands listed in ``docs/TEAM_NOTES.md``.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Literal

from airflow.sdk import Asset

#: The one Airflow pool (1 slot) of every task that writes the DuckDB warehouse.
DUCKDB_POOL = "hoopcast_duckdb"

#: Assets: cross-DAG links. A producing task lists the asset in its outlets.
CORE_DATA = Asset(name="hoopcast_core_data", uri="hoopcast://warehouse/core")
FEATURES = Asset(name="hoopcast_features", uri="hoopcast://warehouse/features")
PRODUCTION_MODEL = Asset(name="hoopcast_production_model", uri="hoopcast://warehouse/ml/production")
PREDICTIONS = Asset(name="hoopcast_predictions", uri="hoopcast://warehouse/predictions")

ASSETS: dict[str, Asset] = {
    "core_data": CORE_DATA,
    "features": FEATURES,
    "production_model": PRODUCTION_MODEL,
    "predictions": PREDICTIONS,
}

Service = Literal["ingestion", "features", "trainer", "predictor"]
SensorKind = Literal["new_finished_games", "features_ready", "production_model", "upcoming_games"]

#: Console script of each stage service (``[project.scripts]`` of its pyproject).
CONSOLE_SCRIPTS: dict[str, str] = {
    "ingestion": "hoopcast-ingestion",
    "features": "hoopcast-features",
    "trainer": "hoopcast-trainer",
    "predictor": "hoopcast-predictor",
}


@dataclass(frozen=True)
class Resources:
    """Container limits of a stage: ``cpus`` (hard cap, CPUs) and ``memory`` (Docker size)."""

    cpus: float
    memory: str


#: Default limits per service; env/<profile>/airflow.env may override them
#: (``HOOPCAST_CPUS_<SERVICE>``, ``HOOPCAST_MEMORY_<SERVICE>``).
RESOURCES: dict[str, Resources] = {
    "ingestion": Resources(cpus=1.0, memory="1g"),
    "features": Resources(cpus=1.0, memory="2g"),
    "trainer": Resources(cpus=2.0, memory="3g"),
    "predictor": Resources(cpus=1.0, memory="1g"),
}


@dataclass(frozen=True)
class TaskSpec:
    """One task of a DAG.

    Attributes:
        task_id: the Airflow task id.
        service: the stage service whose image / console script runs it, or whose data a
            check task reads.
        command: the CLI arguments after the console script (``--as-of`` is appended).
        sensor: for check tasks, which warehouse condition the sensor waits for (then
            ``command`` is empty and the task runs in the Airflow worker).
        date_range: the command accepts ``--from``/``--to`` (a manual run's ``date_from``/
            ``date_to`` params are passed through: backfill).
        param_options: ``(param, option)`` pairs: a run's date param ``param``, when set, is
            passed as ``option DATE`` (e.g. the training window of ``trainer dataset``).
        outlets: names in :data:`ASSETS` the task updates when it succeeds.
        trigger_rule: Airflow trigger rule (default ``all_success``).
    """

    task_id: str
    service: Service
    command: tuple[str, ...] = ()
    sensor: SensorKind | None = None
    date_range: bool = False
    param_options: tuple[tuple[str, str], ...] = ()
    outlets: tuple[str, ...] = ()
    trigger_rule: str = "all_success"

    @property
    def writes_warehouse(self) -> bool:
        """Stage tasks write DuckDB (at least ``ops.stage_runs``); check tasks only read."""
        return self.sensor is None


@dataclass(frozen=True)
class Schedule:
    """A DAG schedule: a UTC ``cron`` expression, optionally OR-ed with asset updates.

    ``cron`` None and no ``assets`` = manual only. With ``assets`` and a ``cron`` the DAG
    runs on whichever comes first (an ``AssetOrTimeSchedule``).
    """

    cron: str | None = None
    assets: tuple[str, ...] = ()


@dataclass(frozen=True)
class DagSpec:
    """One DAG: id, schedule, limits and its tasks in order (a linear chain).

    ``max_active_tasks`` is the DAG's task concurrency; ``timeout`` is each task's
    ``execution_timeout``; ``retries`` with exponential backoff (base ``retry_delay``,
    doubling, capped at ``max_retry_delay``).
    """

    dag_id: str
    description: str
    schedule: Schedule
    tasks: tuple[TaskSpec, ...]
    max_active_tasks: int
    timeout: dt.timedelta
    retries: int
    retry_delay: dt.timedelta = dt.timedelta(minutes=1)
    max_retry_delay: dt.timedelta = dt.timedelta(minutes=30)
    tags: tuple[str, ...] = field(default_factory=tuple)

    def task(self, task_id: str) -> TaskSpec:
        """The task spec named ``task_id``; KeyError if there is none."""
        for spec in self.tasks:
            if spec.task_id == task_id:
                return spec
        raise KeyError(f"DAG {self.dag_id} has no task {task_id!r}")


#: Run params that set the training window of ``hoopcast-trainer dataset`` (manual runs).
TRAINING_WINDOW: tuple[tuple[str, str], ...] = (
    ("train_from", "--train-from"),
    ("train_until", "--train-until"),
    ("validate_from", "--validate-from"),
    ("validate_to", "--validate-to"),
)

DATA_COLLECTION = DagSpec(
    dag_id="data_collection",
    description="Collect ESPN teams, scoreboards, rosters and box scores into core tables",
    schedule=Schedule(cron="0 4 * * *"),
    tasks=(
        TaskSpec("collect_teams", "ingestion", ("teams",)),
        TaskSpec("collect_games", "ingestion", ("games",), date_range=True),
        TaskSpec("collect_players", "ingestion", ("players",)),
        TaskSpec("collect_stats", "ingestion", ("stats",)),
        TaskSpec("data_quality", "ingestion", ("check",), outlets=("core_data",)),
    ),
    max_active_tasks=4,
    timeout=dt.timedelta(hours=2),
    retries=3,
    tags=("hoopcast", "ingestion"),
)

FEATURE_ENGINEERING = DagSpec(
    dag_id="feature_engineering",
    description="Point-in-time team, player and game features after new collected data",
    schedule=Schedule(cron="0 6 * * *", assets=("core_data",)),
    tasks=(
        TaskSpec("check_new_data", "features", sensor="new_finished_games"),
        TaskSpec("team_features", "features", ("build", "--layer", "team")),
        TaskSpec("player_features", "features", ("build", "--layer", "player")),
        TaskSpec("game_features", "features", ("build", "--layer", "game")),
        TaskSpec("feature_quality", "features", ("check",), outlets=("features",)),
    ),
    max_active_tasks=2,
    timeout=dt.timedelta(hours=1),
    retries=2,
    tags=("hoopcast", "features"),
)

MODEL_TRAINING = DagSpec(
    dag_id="model_training",
    description="Weekly LightGBM training, evaluation and registration behind the promotion gate",
    schedule=Schedule(cron="0 2 * * 0"),
    tasks=(
        TaskSpec("check_features", "trainer", sensor="features_ready"),
        TaskSpec("prepare_dataset", "trainer", ("dataset",), param_options=TRAINING_WINDOW),
        TaskSpec("train_model", "trainer", ("fit",)),
        TaskSpec("evaluate_model", "trainer", ("evaluate",)),
        TaskSpec("register_model", "trainer", ("register",), outlets=("production_model",)),
    ),
    max_active_tasks=1,
    timeout=dt.timedelta(hours=4),
    retries=1,
    tags=("hoopcast", "trainer"),
)

PREDICTION = DagSpec(
    dag_id="prediction",
    description="Daily predictions of upcoming games and accuracy of past predictions",
    schedule=Schedule(cron="0 8 * * *", assets=("production_model",)),
    tasks=(
        TaskSpec("check_model", "predictor", sensor="production_model"),
        TaskSpec("get_upcoming", "predictor", ("upcoming", "--days", "7")),
        TaskSpec("generate_preds", "predictor", ("predict", "--days", "7", "--stage-only")),
        TaskSpec("store_preds", "predictor", ("store",), outlets=("predictions",)),
        # Past predictions are evaluated even when nothing is upcoming (upstream skipped).
        TaskSpec("evaluate_preds", "predictor", ("evaluate",), trigger_rule="none_failed"),
    ),
    max_active_tasks=1,
    timeout=dt.timedelta(minutes=30),
    retries=3,
    tags=("hoopcast", "predictor"),
)

#: The four scheduled stage DAGs, in pipeline order.
STAGE_DAGS: tuple[DagSpec, ...] = (DATA_COLLECTION, FEATURE_ENGINEERING, MODEL_TRAINING, PREDICTION)

PIPELINE_DAG_ID = "hoopcast_pipeline"

DAGS: dict[str, DagSpec] = {spec.dag_id: spec for spec in STAGE_DAGS}


def upstream_task_ids(spec: DagSpec) -> dict[str, list[str]]:
    """Map task id → the ids of its direct upstream tasks (each DAG is a linear chain)."""
    result: dict[str, list[str]] = {}
    previous: str | None = None
    for task in spec.tasks:
        result[task.task_id] = [previous] if previous else []
        previous = task.task_id
    return result
