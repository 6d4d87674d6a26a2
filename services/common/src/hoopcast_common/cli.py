"""Typer option declarations shared by the stage CLIs (DESIGN.md, "Stage CLI contract").

Every stage command takes ``--as-of``; it is declared here once so that its name and help
are the same in ``hoopcast-ingestion``, ``hoopcast-features``, ``hoopcast-trainer`` and
``hoopcast-predictor``. The value is passed as typed to
:func:`hoopcast_common.runs.run_command`, which parses it.
"""

from __future__ import annotations

from typing import Annotated

import typer

AsOf = Annotated[
    str | None,
    typer.Option("--as-of", help="Logical date YYYY-MM-DD (default HOOPCAST_AS_OF or today UTC)."),
]
"""``--as-of YYYY-MM-DD``: the logical date of the run (None = ``HOOPCAST_AS_OF`` or today)."""
