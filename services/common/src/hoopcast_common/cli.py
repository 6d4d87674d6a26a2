"""Typer option declarations shared by the stage CLIs (DESIGN.md, "Stage CLI contract").

Every stage command takes ``--as-of``; it is declared here once so that its name and help
are the same in ``hoopcast-ingestion``, ``hoopcast-features``, ``hoopcast-trainer`` and
``hoopcast-predictor``. The value is passed as typed to
:func:`hoopcast_common.runs.run_command`, which parses it. The commands that fetch or forecast
also take ``--now``, the pipeline's clock (:func:`hoopcast_common.clock.run_clock` parses it).
"""

from __future__ import annotations

from typing import Annotated

import typer

AsOf = Annotated[
    str | None,
    typer.Option("--as-of", help="Logical date YYYY-MM-DD (default HOOPCAST_AS_OF or today UTC)."),
]
"""``--as-of YYYY-MM-DD``: the logical date of the run (None = ``HOOPCAST_AS_OF`` or today)."""

Now = Annotated[
    str | None,
    typer.Option(
        "--now",
        help="The pipeline's clock, ISO-8601 with a zone (e.g. 2026-02-07T09:00-05:00): what is "
        "fetched is stamped with it and forecasts are made at it (forecast_at); default "
        "HOOPCAST_NOW, else the wall clock when as-of is today's game day, else 09:00 US "
        "Eastern on as-of",
    ),
]
"""``--now MOMENT``: the run's moment on the pipeline's clock (None = the default above)."""
