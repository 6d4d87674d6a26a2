"""hoopcast orchestration layer for Airflow 3: stage catalog, operators, hooks, sensors."""
