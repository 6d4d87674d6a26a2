"""hoopcast_pipeline: the four stages end to end for one logical date.

Schedule: none (manual, and triggered once by compose at start-up); catchup off, one active
run, one task at a time.
Tasks: the tasks of data_collection, feature_engineering, model_training and prediction as
task groups of those names, chained in that order, then pipeline_summary (collects every
stage task's JSON run summary). The pipeline emits no asset events.
Default args: each task keeps its stage DAG's retries (exponential backoff), timeout, pool
and failure alert callback.
Params: ``profile``, ``as_of``, ``date_from``/``date_to`` (backfill window).
Local run without Docker: ``HOOPCAST_RUNNER=local airflow dags test hoopcast_pipeline DATE``
(see docs/guides/airflow-setup.md).
"""

from hoopcast_airflow.dag_factory import build_pipeline_dag

dag = build_pipeline_dag(doc_md=__doc__)
