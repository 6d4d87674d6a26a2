"""model_training: weekly LightGBM training behind the promotion gate.

Schedule: weekly, Sunday 11:00 UTC (``CronTriggerTimetable("0 11 * * 0")``, an hour after that
day's collection), catchup off, one active run, one task at a time.
Tasks: check_features (sensor: labelled feature rows and no failed check that blocks in the
latest features run of ``ops.quality_checks``) → prepare_dataset → train_model → evaluate_model →
register_model (``hoopcast-trainer dataset|fit|evaluate|register``; each step after dataset
gets ``--run-id`` = the previous step's ``training_run_id`` through XCom; register_model updates
the asset ``hoopcast_production_model``, with the run summary in the event's extra).
Default args: 1 retry with exponential backoff, 4 h execution timeout, failure alert
callback; stage tasks in pool ``hoopcast_duckdb``.
"""

from hoopcast_airflow.catalog import MODEL_TRAINING
from hoopcast_airflow.dag_factory import build_dag

dag = build_dag(MODEL_TRAINING, doc_md=__doc__)
