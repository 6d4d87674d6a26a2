"""hoopcast shared package: settings, DuckDB access and migrations, logging, run summaries.

Every stage (ingestion, features, trainer, predictor) and the Airflow layer import from here,
so the contracts of ``../shared/DESIGN.md`` (env profiles, exit codes, the ``ops.stage_runs``
log and the last-line JSON run summary) live in exactly one place.
"""

__version__ = "0.1.0"
