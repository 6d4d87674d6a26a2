"""data_collection: ESPN teams, scoreboards, rosters and box scores into the core tables.

Schedule: daily at 10:00 UTC (``CronTriggerTimetable("0 10 * * *")``: 05:00 US Eastern, when
the night's late games have been final for hours; docs/guides/airflow-dags.md), catchup off,
one active run, at most 4 concurrent tasks. Game day (``--as-of``): the US Eastern date of
the logical time.
Tasks: collect_teams → collect_games → collect_players → collect_stats → data_quality, each
one ``hoopcast-ingestion`` subcommand (``teams``, ``games``, ``players``, ``stats``,
``check``); data_quality updates the asset ``hoopcast_core_data``.
Default args: 3 retries with exponential backoff (1 min doubling, max 30 min), 2 h
execution timeout, failure alert callback, pool ``hoopcast_duckdb``.
Params: ``profile``, ``as_of``, ``date_from``/``date_to`` (backfill window for collect_games).
"""

from hoopcast_airflow.catalog import DATA_COLLECTION
from hoopcast_airflow.dag_factory import build_dag

dag = build_dag(DATA_COLLECTION, doc_md=__doc__)
