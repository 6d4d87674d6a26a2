"""prediction: daily predictions of upcoming games and accuracy of past predictions.

Schedule: when the asset ``hoopcast_features`` (feature_engineering, after each day's
collection) or ``hoopcast_production_model`` (a new model registered) is updated, catchup off,
one active run, one task at a time.
Tasks: check_model (sensor: a production model exists; skips otherwise) → check_upcoming
(sensor: games to forecast within 7 days of the game day, not tipped off at the run's clock;
skips otherwise) → generate_preds (``predict --days 7 --stage-only --now``) → store_preds
(``store --now --batch-id`` = generate_preds' ``batch_id`` through XCom; updates the asset
``hoopcast_predictions``) → evaluate_preds (``evaluate``) → backtest_model (``backtest --days
28``: the production model on the last 28 days of final games; skips without one) →
report_preds (``report``: calibration and rolling-accuracy PNGs and a text table under
``/data/reports/<game day>/``). The last three run unless something failed.
Default args: 3 retries with exponential backoff, 30 min execution timeout, failure alert
callback; stage tasks in pool ``hoopcast_duckdb``.
"""

from hoopcast_airflow.catalog import PREDICTION
from hoopcast_airflow.dag_factory import build_dag

dag = build_dag(PREDICTION, doc_md=__doc__)
