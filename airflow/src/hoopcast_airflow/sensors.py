"""Data sensors: warehouse conditions a DAG waits for before running stage containers.

Each sensor pokes with a short query through :class:`~hoopcast_airflow.hooks.HoopcastDuckDBHook`,
which reads the snapshot every writing stage publishes after its commit (never the writer's
file, so a sensor never waits for or blocks a stage); the DAG factory runs them in
``reschedule`` mode so that a waiting sensor frees its worker slot between pokes. A snapshot
not yet published, or missing the table, counts as "not yet".

* :class:`NewFinishedGamesSensor` — finished games in ``core.games`` that the features
  have not yet seen as finished (new data since the last features build).
* :class:`FeaturesReadySensor` — labelled rows in ``features.game_features`` and no check that
  blocks in the latest features run of ``ops.quality_checks`` (the stored quality results).
* :class:`ProductionModelSensor` — a ``production`` row in ``ml.model_registry``.
* :class:`UpcomingGamesSensor` — games still to come in the forecast window of the run's game
  day (:func:`hoopcast_common.games.upcoming_window` and ``upcoming_sql``).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import duckdb
from airflow.sdk import BaseSensorOperator, PokeReturnValue
from airflow.sdk.exceptions import AirflowFailException
from hoopcast_common.errors import BadInputError
from hoopcast_common.games import game_day_start, upcoming_sql, upcoming_window
from hoopcast_common.quality import BLOCKING, FLAG
from hoopcast_common.settings import load_settings

from hoopcast_airflow.catalog import FORECAST_DAYS
from hoopcast_airflow.config import resolve_profile
from hoopcast_airflow.hooks import HoopcastDuckDBHook
from hoopcast_airflow.operators import RunClock, resolve_clock, run_moment


class WarehouseSensor(BaseSensorOperator):
    """Base of the warehouse sensors: resolves the run's profile, warehouse and logical date.

    Args:
        db_path: override the warehouse file (default: ``HOOPCAST_DB`` of the profile).
        **kwargs: BaseSensorOperator arguments (mode, poke_interval, timeout, soft_fail...).
    """

    ui_color = "#a3d9e8"

    def __init__(self, *, db_path: str | None = None, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.db_path = db_path

    def hook(self, context: Mapping[str, Any]) -> HoopcastDuckDBHook:
        """The read-only hook on the run's warehouse."""
        params: Mapping[str, Any] = context.get("params") or {}
        return HoopcastDuckDBHook(self.db_path, profile=resolve_profile(params.get("profile")))

    def clock(self, context: Mapping[str, Any]) -> RunClock:
        """The run's game day and moment as the stage tasks see them (``resolve_clock``)."""
        params: Mapping[str, Any] = context.get("params") or {}
        values = load_settings("airflow", profile=resolve_profile(params.get("profile"))).values
        return resolve_clock(params, values, run_moment(context))

    def poke(self, context: Any) -> bool | PokeReturnValue:
        """One check; a snapshot not yet published or not yet migrated is "not yet"."""
        hook = self.hook(context)
        if not hook.exists():
            self.log.info("no snapshot of the warehouse %s published yet", hook.db_path)
            return False
        try:
            return self.check(hook, context)
        except BadInputError as exc:
            self.log.info("warehouse not readable yet: %s", exc)
            return False
        except duckdb.CatalogException as exc:
            self.log.info("warehouse table not there yet: %s", exc)
            return False

    def check(self, hook: HoopcastDuckDBHook, context: Any) -> bool | PokeReturnValue:
        """The sensor's condition; subclasses implement it."""
        raise NotImplementedError


class NewFinishedGamesSensor(WarehouseSensor):
    """Waits for finished games not yet in the features as finished.

    New data = ``core.games`` rows with ``completed`` whose ``features.game_features`` row
    is missing or not ``completed`` (all finished games before the first build). XCom: the
    number of such games.
    """

    def check(self, hook: HoopcastDuckDBHook, context: Any) -> PokeReturnValue:
        if hook.table_exists("features.game_features"):
            sql = (
                "SELECT count(*) FROM core.games g LEFT JOIN features.game_features f"
                " ON f.event_id = g.event_id WHERE g.completed"
                " AND (f.event_id IS NULL OR NOT coalesce(f.completed, FALSE))"
            )
        else:
            sql = "SELECT count(*) FROM core.games WHERE completed"
        row = hook.get_first(sql)
        new_games = int(row[0]) if row else 0
        self.log.info("%d finished games not yet in the features", new_games)
        return PokeReturnValue(is_done=new_games > 0, xcom_value=new_games)


class FeaturesReadySensor(WarehouseSensor):
    """Waits for labelled feature rows; fails when the latest quality run has a blocking failure.

    Reads ``features.game_features`` (rows with ``home_win`` set) and the latest ``features``
    run of the stored quality results ``ops.quality_checks``. XCom: ``{"labelled_games": n}``.

    Raises:
        AirflowFailException: a check of the latest run failed that blocks (a ``blocking``
            check, or a ``flag`` check over its share of flagged rows; names the checks).
    """

    def check(self, hook: HoopcastDuckDBHook, context: Any) -> PokeReturnValue:
        failed = blocking_failures(hook.latest_quality_results("features"))
        if failed:
            raise AirflowFailException(
                f"ops.quality_checks: checks that block failed in the latest features run: {failed}"
            )
        row = hook.get_first(
            "SELECT count(*) FROM features.game_features WHERE home_win IS NOT NULL"
        )
        labelled = int(row[0]) if row else 0
        self.log.info("%d labelled games in features.game_features", labelled)
        return PokeReturnValue(is_done=labelled > 0, xcom_value={"labelled_games": labelled})


class ProductionModelSensor(WarehouseSensor):
    """Waits for a model in stage ``production`` in ``ml.model_registry``.

    XCom: ``{"model_name", "model_version"}`` of the production model.
    """

    def check(self, hook: HoopcastDuckDBHook, context: Any) -> PokeReturnValue:
        cols = hook.columns("ml.model_registry")
        if not cols:
            return PokeReturnValue(is_done=False)
        name = "name" if "name" in cols else "model_name"
        version = "version" if "version" in cols else "model_version"
        row = hook.get_first(
            f"SELECT {name}, {version} FROM ml.model_registry WHERE stage = 'production' LIMIT 1"
        )
        if row is None:
            self.log.info("no production model in ml.model_registry yet")
            return PokeReturnValue(is_done=False)
        return PokeReturnValue(
            is_done=True, xcom_value={"model_name": row[0], "model_version": str(row[1])}
        )


class UpcomingGamesSensor(WarehouseSensor):
    """Waits for games still to come in the forecast window of the run's game day.

    The window and "still to come" are :func:`hoopcast_common.games.upcoming_window` and
    :func:`hoopcast_common.games.upcoming_sql`: dated from the game day through ``days``
    later, not final, not tipped off by the run's clock (``--now`` of the predictor). When
    the game day is pinned (no ``--now``; the predictor picks its moment within that day)
    the clock is the start of the game day, so the sensor never skips a run in which the
    predictor has games to forecast.

    Args:
        days: window length in days (default :data:`~hoopcast_airflow.catalog.FORECAST_DAYS`).
            XCom: the number of upcoming games.
    """

    def __init__(self, *, days: int = FORECAST_DAYS, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.days = days

    def check(self, hook: HoopcastDuckDBHook, context: Any) -> PokeReturnValue:
        clock = self.clock(context)
        first, last = upcoming_window(clock.as_of, self.days)
        now = clock.now or game_day_start(clock.as_of)
        row = hook.get_first(
            f"SELECT count(*) FROM core.games g WHERE {upcoming_sql('g')}", [first, last, now]
        )
        upcoming = int(row[0]) if row else 0
        self.log.info("%d games to come from %s to %s (clock %s)", upcoming, first, last, now)
        return PokeReturnValue(is_done=upcoming > 0, xcom_value=upcoming)


def blocking_failures(results: list[dict[str, Any]]) -> list[str]:
    """Names of the failed checks that block (severity ``blocking`` or ``flag``) among stored
    quality results (dicts with ``check_name``, ``severity``, ``passed``)."""
    return sorted(
        str(r["check_name"])
        for r in results
        if r["severity"] in (BLOCKING, FLAG) and not r["passed"]
    )
