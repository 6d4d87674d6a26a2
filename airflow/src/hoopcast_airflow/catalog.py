"""The stage catalog: every DAG and task of hoopcast, declared once.

The DAG files in ``airflow/dags`` are wiring only; they call
:func:`hoopcast_airflow.dag_factory.build_dag` with a :class:`DagSpec` from :data:`DAGS`.
Each :class:`TaskSpec` is one task: either a *stage* task (one run of a stage CLI
subcommand, in a container or a local subprocess) or a *check* task (a sensor reading the
warehouse). Resource limits, retries, timeouts and pools live here and nowhere else.

Sources: the stage CLI subcommands of each service (``hoopcast-<service> --help``) and the
schedule reasoning in ``docs/guides/airflow-dags.md``.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Literal, TypedDict, Unpack

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
        xcom_options: ``(option, task_id, key)`` triples: ``option VALUE`` is passed where
            VALUE is ``key`` of the JSON run summary (XCom ``return_value``) of the same
            DAG's task ``task_id`` in the same DAG run (explicit ids, never "the latest row").
        takes_now: the command takes ``--now`` (the run's clock, an ISO-8601 moment).
        outlets: names in :data:`ASSETS` the task updates when it succeeds.
        trigger_rule: Airflow trigger rule (default ``all_success``).
    """

    task_id: str
    service: Service
    command: tuple[str, ...] = ()
    sensor: SensorKind | None = None
    date_range: bool = False
    param_options: tuple[tuple[str, str], ...] = ()
    xcom_options: tuple[tuple[str, str, str], ...] = ()
    takes_now: bool = False
    outlets: tuple[str, ...] = ()
    trigger_rule: str = "all_success"

    @property
    def writes_warehouse(self) -> bool:
        """Stage tasks write DuckDB (at least ``ops.stage_runs``); check tasks only read."""
        return self.sensor is None


@dataclass(frozen=True)
class Schedule:
    """A DAG schedule: a UTC ``cron`` expression, or asset updates, or both.

    ``cron`` None and no ``assets`` = manual only; ``assets`` only = a run after an update of
    any of them; with both, the DAG runs on whichever comes first (``AssetOrTimeSchedule``).
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


class _TaskOptions(TypedDict, total=False):
    """Optional :class:`TaskSpec` fields of a stage task (see its attributes)."""

    date_range: bool
    param_options: tuple[tuple[str, str], ...]
    xcom_options: tuple[tuple[str, str, str], ...]
    takes_now: bool
    outlets: tuple[str, ...]
    trigger_rule: str


_Task = Callable[[Service], TaskSpec]
"""A task of a stage DAG before it is given the DAG's service (see :func:`_stage_dag`)."""


def _stage(task_id: str, *command: str, **options: Unpack[_TaskOptions]) -> _Task:
    """A stage task: ``task_id`` runs the CLI subcommand ``command`` of the DAG's service."""
    return lambda service: TaskSpec(task_id, service, command, **options)


def _check(task_id: str, sensor: SensorKind) -> _Task:
    """A check task: ``task_id`` is a ``sensor`` on the warehouse data of the DAG's service."""
    return lambda service: TaskSpec(task_id, service, sensor=sensor)


def _stage_dag(
    dag_id: str,
    service: Service,
    description: str,
    schedule: Schedule,
    *tasks: _Task,
    max_active_tasks: int,
    timeout: dt.timedelta,
    retries: int,
) -> DagSpec:
    """The :class:`DagSpec` of one stage: every task runs or checks ``service``.

    The DAG is tagged ``hoopcast`` and ``service``; ``tasks`` are in chain order.
    """
    return DagSpec(
        dag_id=dag_id,
        description=description,
        schedule=schedule,
        tasks=tuple(task(service) for task in tasks),
        max_active_tasks=max_active_tasks,
        timeout=timeout,
        retries=retries,
        tags=("hoopcast", service),
    )


#: The daily collection time, 10:00 UTC: 05:00 US Eastern in winter (EST), 06:00 in March and
#: April (EDT). The latest games of a game day (West-coast tip-offs at 10:30 pm ET) end near
#: 1:30 am ET, so the night's games have been final for 3.5 h or more (overtime, late ESPN
#: status updates), and the run's game day (the US Eastern date of its logical time) is the
#: new day D: every game before D is final, every game of D is still to come.
DAILY_COLLECTION_CRON = "0 10 * * *"

#: Weekly training: Sunday 11:00 UTC, an hour after the Sunday collection, whose features
#: and predictions follow it by asset events within minutes.
WEEKLY_TRAINING_CRON = "0 11 * * 0"

DATA_COLLECTION = _stage_dag(
    "data_collection",
    "ingestion",
    "Collect ESPN teams, scoreboards, rosters and box scores into core tables",
    Schedule(cron=DAILY_COLLECTION_CRON),
    # What is fetched is stamped with the run's clock (--now), so the betting line fetched by
    # collect_stats before tonight's tip-offs counts as known before tip-off in replays too.
    _stage("collect_teams", "teams", takes_now=True),
    _stage("collect_games", "games", date_range=True, takes_now=True),
    _stage("collect_players", "players", takes_now=True),
    _stage("collect_stats", "stats", takes_now=True),
    _stage("data_quality", "check", outlets=("core_data",)),
    max_active_tasks=4,
    timeout=dt.timedelta(hours=2),
    retries=3,
)

FEATURE_ENGINEERING = _stage_dag(
    "feature_engineering",
    "features",
    "Point-in-time team, player and game features after new collected data",
    Schedule(assets=("core_data",)),
    _check("check_new_data", "new_finished_games"),
    _stage("team_features", "build", "--layer", "team"),
    _stage("player_features", "build", "--layer", "player"),
    _stage("game_features", "build", "--layer", "game"),
    _stage("feature_quality", "check", outlets=("features",)),
    max_active_tasks=2,
    timeout=dt.timedelta(hours=1),
    retries=2,
)

#: Each trainer step after ``dataset`` works on the training run the previous step reported.
_TRAINING_RUN_OF = "training_run_id"

MODEL_TRAINING = _stage_dag(
    "model_training",
    "trainer",
    "Weekly LightGBM training, evaluation and registration behind the promotion gate",
    Schedule(cron=WEEKLY_TRAINING_CRON),
    _check("check_features", "features_ready"),
    _stage("prepare_dataset", "dataset", param_options=TRAINING_WINDOW),
    _stage("train_model", "fit", xcom_options=(("--run-id", "prepare_dataset", _TRAINING_RUN_OF),)),
    _stage(
        "evaluate_model", "evaluate", xcom_options=(("--run-id", "train_model", _TRAINING_RUN_OF),)
    ),
    _stage(
        "register_model",
        "register",
        xcom_options=(("--run-id", "evaluate_model", _TRAINING_RUN_OF),),
        outlets=("production_model",),
    ),
    max_active_tasks=1,
    timeout=dt.timedelta(hours=4),
    retries=1,
)

#: Days ahead a daily forecast covers (``hoopcast_common.games.upcoming_window``).
FORECAST_DAYS = 7

PREDICTION = _stage_dag(
    "prediction",
    "predictor",
    "Daily predictions of upcoming games and accuracy of past predictions",
    Schedule(assets=("features", "production_model")),
    _check("check_model", "production_model"),
    _check("check_upcoming", "upcoming_games"),
    _stage(
        "generate_preds", "predict", "--days", str(FORECAST_DAYS), "--stage-only", takes_now=True
    ),
    _stage(
        "store_preds",
        "store",
        xcom_options=(("--batch-id", "generate_preds", "batch_id"),),
        takes_now=True,
        outlets=("predictions",),
    ),
    # Past predictions are evaluated even when nothing is upcoming (upstream skipped).
    _stage("evaluate_preds", "evaluate", trigger_rule="none_failed"),
    # The production model re-scored on the last 28 days of final games (point-in-time
    # features), so accuracy is tracked from the day a model is promoted; skips (exit 99)
    # without a production model or final games.
    _stage("backtest_model", "backtest", "--days", "28", trigger_rule="none_failed"),
    # Calibration and rolling-accuracy PNGs + text table under /data/reports/<game day>/.
    _stage("report_preds", "report", trigger_rule="none_failed"),
    max_active_tasks=1,
    timeout=dt.timedelta(minutes=30),
    retries=3,
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
