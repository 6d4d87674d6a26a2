"""feature_engineering: point-in-time team, player and game features.

Schedule: when the asset ``hoopcast_core_data`` is updated (data_collection's data_quality
succeeded), catchup off, one active run, at most 2 concurrent tasks.
Tasks: check_new_data (sensor: finished games not yet in the features; skips when none) →
team_features → player_features → game_features (``hoopcast-features build --layer ...``)
→ feature_quality (``hoopcast-features check``; updates the asset ``hoopcast_features``).
Default args: 2 retries with exponential backoff (1 min doubling, max 30 min), 1 h
execution timeout, failure alert callback; stage tasks in pool ``hoopcast_duckdb``.
"""

from hoopcast_airflow.catalog import FEATURE_ENGINEERING
from hoopcast_airflow.dag_factory import build_dag

dag = build_dag(FEATURE_ENGINEERING, doc_md=__doc__)
