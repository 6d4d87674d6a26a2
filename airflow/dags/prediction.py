"""prediction: daily predictions of upcoming games and accuracy of past predictions.

Schedule: daily at 08:00 UTC or when the asset ``hoopcast_production_model`` is updated
(``AssetOrTimeSchedule``), catchup off, one active run, one task at a time.
Tasks: check_model (sensor: a production model exists; skips otherwise) → get_upcoming
(``upcoming --days 7``; skips on exit 99 when nothing is scheduled) → generate_preds
(``predict --days 7 --stage-only``) → store_preds (``store``; updates the asset
``hoopcast_predictions``) → evaluate_preds (``evaluate``) → backtest_model (``backtest --days
28``: the production model on the last 28 days of final games; skips without one) →
report_preds (``report``: calibration and rolling-accuracy PNGs and a text table under
``/data/reports/<logical date>/``). The last three run unless something failed.
Default args: 3 retries with exponential backoff, 30 min execution timeout, failure alert
callback; stage tasks in pool ``hoopcast_duckdb``.
"""

from hoopcast_airflow.catalog import PREDICTION
from hoopcast_airflow.dag_factory import build_dag

dag = build_dag(PREDICTION, doc_md=__doc__)
