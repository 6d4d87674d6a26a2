"""The forecast exports every prediction run writes: ``exports/<game day>/forecasts.csv`` and
``forecasts.parquet`` in the data root (the folder of ``HOOPCAST_DB``).

One row per game per model, the columns of the Forecasts page's Upcoming section
(:data:`hoopcast_common.forecasts.UPCOMING_COLUMNS`, same query:
:func:`hoopcast_common.forecasts.upcoming`), for people and tools that read files rather than
the warehouse. Each file is written to a temporary name and renamed into place, so a reader
sees the previous export or the new one, never half a file; a re-run of the same game day
replaces them.
"""

from __future__ import annotations

import datetime as dt
import os
from pathlib import Path

import duckdb
import pandas as pd
from hoopcast_common import forecasts

EXPORTS_DIR = "exports"
"""Folder of the exports under the data root."""


def export_dir(db_path: Path, as_of: dt.date) -> Path:
    """``<folder of db_path>/exports/<as_of>``: where the exports of game day ``as_of`` go."""
    return db_path.parent / EXPORTS_DIR / as_of.isoformat()


def upcoming_frame(rows: list[forecasts.UpcomingForecast]) -> pd.DataFrame:
    """Upcoming rows as a DataFrame with :data:`~hoopcast_common.forecasts.UPCOMING_COLUMNS`
    (moments as UTC timestamps, dates as dates, probabilities in [0, 1], points as floats)."""
    frame = pd.DataFrame(
        [{c: getattr(r, c) for c in forecasts.UPCOMING_COLUMNS} for r in rows],
        columns=list(forecasts.UPCOMING_COLUMNS),
    )
    for column in ("start_time_utc", "forecast_at"):
        frame[column] = pd.to_datetime(frame[column], utc=True)
    for column in (
        "home_win_prob",
        "predicted_margin",
        "line_spread",
        "espn_home_win_prob",
        "edge_points",
    ):
        frame[column] = frame[column].astype("float64")
    return frame


def write_exports(
    conn: duckdb.DuckDBPyConnection,
    db_path: Path,
    as_of: dt.date,
    days: int,
    now: dt.datetime | None = None,
) -> dict[str, str]:
    """Write the Upcoming forecasts of game day ``as_of`` (``days`` after it) to CSV and Parquet.

    Args:
        conn: a connection to the warehouse holding the run's committed predictions.
        db_path: the warehouse file (its folder is the data root).
        now: the moment deciding "not tipped off yet"; default as the page decides it
            (:func:`hoopcast_common.forecasts.resolve_view`).

    Returns:
        {"csv": path, "parquet": path, "rows": count as text}.

    Raises:
        OSError: the folder or a file could not be written (a previous export stays).
    """
    if now is None:
        _day, now = forecasts.resolve_view(conn, as_of, dt.datetime.now(dt.UTC))
    frame = upcoming_frame(forecasts.upcoming(conn, as_of, now, days=days))
    target = export_dir(db_path, as_of)
    target.mkdir(parents=True, exist_ok=True)
    paths = {"csv": target / "forecasts.csv", "parquet": target / "forecasts.parquet"}
    for kind, path in paths.items():
        tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
        if kind == "csv":
            frame.to_csv(tmp, index=False)
        else:
            frame.to_parquet(tmp, index=False)
        os.replace(tmp, path)
    return {"csv": str(paths["csv"]), "parquet": str(paths["parquet"]), "rows": str(len(frame))}
