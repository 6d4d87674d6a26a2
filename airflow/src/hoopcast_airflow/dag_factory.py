"""Build Airflow DAGs from the stage catalog (the DAG files only call these functions).

:func:`build_dag` makes one scheduled stage DAG from a :class:`~hoopcast_airflow.catalog.DagSpec`;
:func:`build_pipeline_dag` chains the four stages' tasks (as task groups) into the manual /
start-up DAG ``hoopcast_pipeline`` and ends it with a success summary task.

Every DAG: ``catchup=False``, ``max_active_runs=1``, start 2025-01-01 UTC, params
``profile``, ``as_of``, ``date_from``/``date_to`` and the training window ``train_from``,
``train_until``, ``validate_from``, ``validate_to`` (manual runs and backfills override the
env profile, logical date, collection and training windows with ``--conf``), every task with
the failure alert callback, retries with exponential backoff (x2 per try, capped), the stage's
execution timeout; warehouse-writing tasks in the pool ``hoopcast_duckdb``; check tasks as
sensors in ``reschedule`` mode.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
from typing import Any

from airflow.sdk import (
    DAG,
    AssetAny,
    AssetOrTimeSchedule,
    BaseOperator,
    CronTriggerTimetable,
    Param,
    TaskGroup,
    chain,
    task,
)

from hoopcast_airflow.callbacks import alert_on_failure, pipeline_summary
from hoopcast_airflow.catalog import (
    ASSETS,
    DUCKDB_POOL,
    PIPELINE_DAG_ID,
    STAGE_DAGS,
    TRAINING_WINDOW,
    DagSpec,
    Schedule,
    TaskSpec,
)
from hoopcast_airflow.config import airflow_settings, runner_mode
from hoopcast_airflow.operators import HoopcastStageOperator
from hoopcast_airflow.sensors import (
    FeaturesReadySensor,
    NewFinishedGamesSensor,
    ProductionModelSensor,
    UpcomingGamesSensor,
    WarehouseSensor,
)

log = logging.getLogger(__name__)

START_DATE = dt.datetime(2025, 1, 1, tzinfo=dt.UTC)
RETRY_BACKOFF_MULTIPLIER = 2.0
SENSOR_POKE_INTERVAL = dt.timedelta(minutes=5)
#: In the pipeline a sensor's condition either holds right after the upstream stage or will
#: not come: poke briefly (poke mode) instead of waiting for hours.
PIPELINE_SENSOR_POKE_INTERVAL = dt.timedelta(seconds=10)
PIPELINE_SENSOR_TIMEOUT = dt.timedelta(seconds=60)

SENSORS: dict[str, type[WarehouseSensor]] = {
    "new_finished_games": NewFinishedGamesSensor,
    "features_ready": FeaturesReadySensor,
    "production_model": ProductionModelSensor,
    "upcoming_games": UpcomingGamesSensor,
}
#: Sensors that skip (instead of failing) when their condition never comes: a daily run
#: without new games or without a production model has nothing to do.
SOFT_FAIL_SENSORS = frozenset({"new_finished_games", "production_model", "upcoming_games"})


def run_params() -> dict[str, Param]:
    """The params every hoopcast DAG accepts (``--conf`` of a manual run)."""
    optional_date: dict[str, Any] = {"type": ["null", "string"], "format": "date"}
    return {
        "profile": Param(
            None,
            type=["null", "string"],
            enum=[None, "local", "replay", "production"],
            description="env profile of the stage tasks (default: HOOPCAST_ENV or local)",
        ),
        "as_of": Param(None, **optional_date, description="logical date (YYYY-MM-DD) override"),
        "date_from": Param(None, **optional_date, description="backfill: first game date"),
        "date_to": Param(None, **optional_date, description="backfill: last game date"),
        **{
            param: Param(None, **optional_date, description=f"training window: {option}")
            for param, option in TRAINING_WINDOW
        },
    }


def timetable(schedule: Schedule) -> Any:
    """The Airflow schedule of a catalog :class:`Schedule`.

    Cron only → ``CronTriggerTimetable`` (UTC); assets only → a run after an update of any
    of them (``AssetAny``); cron + assets → ``AssetOrTimeSchedule`` (the cron *or* an asset
    update); neither → None (manual).
    """
    assets = AssetAny(*(ASSETS[a] for a in schedule.assets)) if schedule.assets else None
    if schedule.cron is None:
        return assets
    cron = CronTriggerTimetable(schedule.cron, timezone="UTC")
    if assets is None:
        return cron
    return AssetOrTimeSchedule(timetable=cron, assets=assets)


def task_args(spec: DagSpec) -> dict[str, Any]:
    """Per-task arguments a DAG's limits imply (retries with backoff, timeout, callback)."""
    return {
        "retries": spec.retries,
        "retry_delay": spec.retry_delay,
        "retry_exponential_backoff": RETRY_BACKOFF_MULTIPLIER,
        "max_retry_delay": spec.max_retry_delay,
        "execution_timeout": spec.timeout,
        "on_failure_callback": alert_on_failure,
    }


def make_task(
    dag_spec: DagSpec, spec: TaskSpec, *, in_pipeline: bool = False, trigger_rule: str | None = None
) -> BaseOperator:
    """One operator for a catalog task (inside the current DAG / task group context).

    Stage tasks are :class:`~hoopcast_airflow.operators.HoopcastStageOperator` (runners
    ``docker`` and ``local``) or, with ``HOOPCAST_RUNNER=kubernetes`` where the DAGs are
    parsed, :class:`~hoopcast_airflow.pod_operator.HoopcastPodOperator`.

    Raises:
        ConfigError: ``HOOPCAST_RUNNER`` is not a known runner (names the value).

    ``in_pipeline``: the task is part of ``hoopcast_pipeline`` — no outlets, and sensors poke
    for at most a minute (poke mode) instead of rescheduling for the stage DAG's timeout.
    """
    args = task_args(dag_spec)
    rule = trigger_rule or spec.trigger_rule
    if spec.sensor is not None:
        sensor_cls = SENSORS[spec.sensor]
        args.pop("execution_timeout")
        return sensor_cls(
            task_id=spec.task_id,
            mode="poke" if in_pipeline else "reschedule",
            poke_interval=PIPELINE_SENSOR_POKE_INTERVAL if in_pipeline else SENSOR_POKE_INTERVAL,
            timeout=PIPELINE_SENSOR_TIMEOUT if in_pipeline else dag_spec.timeout,
            soft_fail=spec.sensor in SOFT_FAIL_SENSORS,
            trigger_rule=rule,
            **args,
        )
    outlets = [] if in_pipeline else [ASSETS[name] for name in spec.outlets]
    operator: type[BaseOperator] = HoopcastStageOperator
    if runner_mode(airflow_settings()) == "kubernetes":
        # Imported only here: the Kubernetes client is not needed by the other runners.
        from hoopcast_airflow.pod_operator import HoopcastPodOperator

        operator = HoopcastPodOperator
    return operator(
        task_id=spec.task_id,
        stage=spec,
        pool=DUCKDB_POOL,
        outlets=outlets,
        trigger_rule=rule,
        **args,
    )


def add_tasks(
    dag_spec: DagSpec, *, in_pipeline: bool = False, entry_trigger_rule: str | None = None
) -> list[BaseOperator]:
    """Create a DAG spec's tasks in the current context and chain them; returns them in order.

    ``entry_trigger_rule`` overrides the trigger rule of the first task (the pipeline uses
    ``none_failed`` so that a stage with nothing new does not block the later stages).
    """
    ops = [
        make_task(
            dag_spec,
            spec,
            in_pipeline=in_pipeline,
            trigger_rule=entry_trigger_rule if i == 0 else None,
        )
        for i, spec in enumerate(dag_spec.tasks)
    ]
    chain(*ops)
    return ops


def build_dag(spec: DagSpec, doc_md: str | None = None) -> DAG:
    """The scheduled DAG of one stage, as declared in the catalog."""
    with DAG(
        dag_id=spec.dag_id,
        description=spec.description,
        schedule=timetable(spec.schedule),
        start_date=START_DATE,
        catchup=False,
        max_active_runs=1,
        max_active_tasks=spec.max_active_tasks,
        params=run_params(),
        tags=list(spec.tags),
        doc_md=doc_md,
    ) as dag:
        add_tasks(spec)
    return dag


def build_pipeline_dag(doc_md: str | None = None) -> DAG:
    """``hoopcast_pipeline``: the four stages end to end for one logical date, then a summary.

    Each stage DAG's tasks form a task group named after it (task ids
    ``data_collection.collect_teams`` ...). The pipeline's tasks emit no asset events, so a
    pipeline run does not also trigger the asset-scheduled stage DAGs for the same data. The
    first task of each later stage runs when its upstream succeeded *or was skipped*
    (``none_failed``): no new games still lets training and predictions run; its sensors poke
    for at most a minute.
    """
    with DAG(
        dag_id=PIPELINE_DAG_ID,
        description="Collect, build features, train and predict for one logical date",
        schedule=None,
        start_date=START_DATE,
        catchup=False,
        max_active_runs=1,
        max_active_tasks=1,
        params=run_params(),
        tags=["hoopcast", "pipeline"],
        doc_md=doc_md,
    ) as dag:
        stage_ops: list[BaseOperator] = []
        previous_last: BaseOperator | None = None
        for spec in STAGE_DAGS:
            with TaskGroup(group_id=spec.dag_id):
                ops = add_tasks(
                    spec,
                    in_pipeline=True,
                    entry_trigger_rule="none_failed" if previous_last is not None else None,
                )
            if previous_last is not None:
                previous_last >> ops[0]
            previous_last = ops[-1]
            stage_ops.extend(
                op for op, task in zip(ops, spec.tasks, strict=True) if not task.sensor
            )
        stage_task_ids = [op.task_id for op in stage_ops]

        @task(task_id="pipeline_summary", trigger_rule="none_failed")
        def summarise(**context: Any) -> dict[str, Any]:
            """Collect every stage task's run summary (XCom) into one pipeline summary."""
            ti = context["ti"]
            pulled = ti.xcom_pull(task_ids=stage_task_ids, key="return_value")
            values = pulled if isinstance(pulled, list) else [pulled]
            results = dict(zip(stage_task_ids, values, strict=False))
            summary = pipeline_summary(results)
            log.info("hoopcast pipeline summary: %s", json.dumps(summary, default=str))
            return summary

        assert previous_last is not None
        previous_last >> summarise()
    return dag
