"""The feature-table contract between the features stage and the models.

``features.game_features`` holds one row per ``core.games`` event with labels
``home_win``/``home_margin`` (NULL unless final), the Elo-only baseline ``elo_home_prob`` and the
model inputs = every numeric column whose name starts with ``f_`` (DESIGN.md, "Data layers").
Feature columns are discovered from the catalog, never hard-coded. The trainer reads labelled
rows to fit models; the predictor reads the rows of games to forecast.
"""

from __future__ import annotations

import datetime as dt

import duckdb
import pandas as pd
from hoopcast_common.errors import BadInputError

FEATURE_TABLE = "features.game_features"
FEATURE_PREFIX = "f_"
META_COLUMNS = (
    "event_id",
    "season",
    "game_date",
    "home_team_id",
    "away_team_id",
    "neutral_site",
    "status",
    "completed",
    "is_d1_game",
    "home_win",
    "home_margin",
    "elo_home_prob",
)
_NUMERIC_TYPES = {
    "DOUBLE",
    "FLOAT",
    "REAL",
    "INTEGER",
    "BIGINT",
    "SMALLINT",
    "TINYINT",
    "HUGEINT",
    "UINTEGER",
    "UBIGINT",
    "USMALLINT",
    "UTINYINT",
}


def feature_columns(conn: duckdb.DuckDBPyConnection) -> list[str]:
    """Names of the model inputs: numeric ``f_*`` columns of ``features.game_features``.

    Returns them in table order (the order is part of a model's feature list).

    Raises:
        BadInputError: the table does not exist (features not built yet) or has no ``f_``
            column.
    """
    rows = conn.execute(
        "SELECT column_name, data_type FROM information_schema.columns "
        "WHERE table_schema = 'features' AND table_name = 'game_features' "
        "ORDER BY ordinal_position"
    ).fetchall()
    if not rows:
        raise BadInputError(
            f"{FEATURE_TABLE} does not exist in this database: run `hoopcast-features build` first"
        )
    names = [
        str(name)
        for name, dtype in rows
        if str(name).startswith(FEATURE_PREFIX)
        and (str(dtype).upper() in _NUMERIC_TYPES or str(dtype).upper().startswith("DECIMAL"))
    ]
    if not names:
        raise BadInputError(f"{FEATURE_TABLE} has no numeric column starting with 'f_'")
    missing = [c for c in META_COLUMNS if c not in {str(r[0]) for r in rows}]
    if missing:
        raise BadInputError(f"{FEATURE_TABLE} lacks the contract column(s) {missing}")
    return names


def select_sql(features: list[str]) -> str:
    """SELECT list of :data:`META_COLUMNS`, ``start_time_utc`` and ``features`` as DOUBLE."""
    cols = [*META_COLUMNS, "start_time_utc"]
    casts = [f'CAST("{f}" AS DOUBLE) AS "{f}"' for f in features]
    return ", ".join([*cols, *casts])


def load_labelled(
    conn: duckdb.DuckDBPyConnection,
    features: list[str],
    start: dt.date | None,
    end: dt.date,
) -> pd.DataFrame:
    """Final D1-vs-D1 games with labels, ``start <= game_date <= end``, ordered by date/event.

    Columns: :data:`META_COLUMNS`, ``start_time_utc`` and ``features`` (as float64).
    """
    return conn.execute(
        f"SELECT {select_sql(features)} FROM {FEATURE_TABLE} "
        "WHERE is_d1_game AND home_win IS NOT NULL AND home_margin IS NOT NULL "
        "AND game_date <= ? AND (CAST(? AS DATE) IS NULL OR game_date >= ?) "
        "ORDER BY game_date, event_id",
        [end, start, start],
    ).df()


def load_events(
    conn: duckdb.DuckDBPyConnection,
    features: list[str],
    *,
    start: dt.date,
    end: dt.date,
    scheduled_only: bool,
) -> pd.DataFrame:
    """Rows of ``features.game_features`` to predict, ``start <= game_date <= end``.

    ``scheduled_only`` keeps games not yet completed (daily predictions); otherwise only final
    games (backtests, whose features are point-in-time). Every game is included, D1 or not,
    when its row exists; the caller decides.
    """
    status_filter = "NOT completed" if scheduled_only else "completed AND home_win IS NOT NULL"
    return conn.execute(
        f"SELECT {select_sql(features)} FROM {FEATURE_TABLE} "
        f"WHERE {status_filter} AND game_date BETWEEN ? AND ? ORDER BY game_date, event_id",
        [start, end],
    ).df()
