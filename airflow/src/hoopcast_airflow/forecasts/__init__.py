"""The Forecasts page of the Airflow UI (plugin, FastAPI app, SVG charts)."""
