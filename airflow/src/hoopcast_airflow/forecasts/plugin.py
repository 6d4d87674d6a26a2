"""The Airflow plugin that puts the Forecasts page into the Airflow UI.

Registered through the ``airflow.plugins`` entry point of the hoopcast-airflow distribution
(``airflow/pyproject.toml``), so the API server of the image and of local mode both load it
(no plugins folder needed). It contributes:

* ``fastapi_apps``: the Forecasts app (:func:`hoopcast_airflow.forecasts.app.create_app`)
  mounted at ``/forecasts``;
* ``external_views``: a "Forecasts" entry in the UI's navigation (destination ``nav``) whose
  ``url_route`` ``forecasts`` opens the page inside the UI (``/plugin/forecasts``, an iframe of
  the relative ``href`` ``forecasts/``).
"""

from __future__ import annotations

from typing import Any

from airflow.plugins_manager import AirflowPlugin

from hoopcast_airflow.forecasts.app import create_app

URL_PREFIX = "/forecasts"
"""Where the API server mounts the Forecasts app."""

URL_ROUTE = "forecasts"
"""The UI route of the Forecasts view (``/plugin/forecasts``)."""


class ForecastsPlugin(AirflowPlugin):
    """hoopcast's Forecasts page: a FastAPI app plus its navigation entry in the UI."""

    name = "hoopcast_forecasts"
    fastapi_apps: list[Any] = [  # noqa: RUF012 (AirflowPlugin declares plain class lists)
        {"app": create_app(), "url_prefix": URL_PREFIX, "name": "hoopcast forecasts"}
    ]
    external_views: list[Any] = [  # noqa: RUF012
        {
            "name": "Forecasts",
            "href": "forecasts/",
            "url_route": URL_ROUTE,
            "destination": "nav",
        }
    ]
