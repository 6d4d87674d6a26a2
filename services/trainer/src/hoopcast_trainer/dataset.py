"""Training and prediction datasets read from ``features.game_features``.

The table's contract (docs/DESIGN.md, "Feature table contract"): one row per
``core.games`` event with labels ``home_win``/``home_margin`` (NULL unless final), the Elo-only
baseline ``elo_home_prob`` and the model inputs = every numeric column whose name starts with
``f_``. Feature columns are discovered from the catalog, never hard-coded.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from dataclasses import dataclass

import duckdb
import pandas as pd
from hoopcast_common.errors import BadInputError

from hoopcast_trainer.duck import one

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


@dataclass(frozen=True)
class Split:
    """A time-based split (dates inclusive, ``game_date``): train then validate, no overlap."""

    train_from: dt.date | None
    train_until: dt.date
    validate_from: dt.date
    validate_to: dt.date

    def check(self) -> None:
        """Raise BadInputError naming the options when the windows are empty or overlap."""
        if self.train_from is not None and self.train_from > self.train_until:
            raise BadInputError(
                f"--train-from {self.train_from} is after --train-until {self.train_until}"
            )
        if self.validate_from <= self.train_until:
            raise BadInputError(
                f"--validate-from {self.validate_from} must be after --train-until "
                f"{self.train_until} (time-based split)"
            )
        if self.validate_to < self.validate_from:
            raise BadInputError(
                f"--validate-to {self.validate_to} is before --validate-from {self.validate_from}"
            )


def season_end(season: int) -> dt.date:
    """Last day of an ESPN season year (30 June of the year the season ends)."""
    return dt.date(season, 6, 30)


def season_start(season: int) -> dt.date:
    """First day of an ESPN season year (1 July of the previous calendar year)."""
    return dt.date(season - 1, 7, 1)


def _count_labelled(conn: duckdb.DuckDBPyConnection, start: dt.date, end: dt.date) -> int:
    row = one(
        conn,
        f"SELECT count(*) FROM {FEATURE_TABLE} WHERE is_d1_game AND home_win IS NOT NULL "
        "AND game_date BETWEEN ? AND ?",
        [start, end],
    )
    return int(row[0]) if row else 0


def resolve_split(
    conn: duckdb.DuckDBPyConnection,
    *,
    as_of: dt.date,
    train_from: dt.date | None = None,
    train_until: dt.date | None = None,
    validate_from: dt.date | None = None,
    validate_to: dt.date | None = None,
    min_validation_games: int = 300,
) -> Split:
    """The split of a training run from the CLI options, defaults derived from ``as_of``.

    Defaults: validation = the season of ``as_of`` up to ``as_of`` when it already has at
    least ``min_validation_games`` finished D1 games, else the previous full season; training
    = everything up to the day before validation. With ``train_until`` only, validation is the
    following season (up to ``as_of``).

    Raises:
        BadInputError: the windows are inconsistent (see :meth:`Split.check`).
    """
    if train_until is None and validate_from is None:
        from hoopcast_common.dates import season_of

        season = season_of(as_of)
        if _count_labelled(conn, season_start(season), as_of) >= min_validation_games:
            validate_from = season_start(season)
        else:
            validate_from = season_start(season - 1)
    if train_until is None:
        assert validate_from is not None
        train_until = validate_from - dt.timedelta(days=1)
    if validate_from is None:
        validate_from = train_until + dt.timedelta(days=1)
    if validate_to is None:
        from hoopcast_common.dates import season_of

        validate_to = min(as_of, season_end(season_of(validate_from)))
    split = Split(train_from, train_until, validate_from, validate_to)
    split.check()
    return split


def _select(features: list[str]) -> str:
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
        f"SELECT {_select(features)} FROM {FEATURE_TABLE} "
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
        f"SELECT {_select(features)} FROM {FEATURE_TABLE} "
        f"WHERE {status_filter} AND game_date BETWEEN ? AND ? ORDER BY game_date, event_id",
        [start, end],
    ).df()


def data_hash(frame: pd.DataFrame, columns: list[str]) -> str:
    """sha256 (hex) of the given columns of ``frame``, row order included.

    Uses pandas' stable per-row hash (:func:`pandas.util.hash_pandas_object`), so equal data
    gives an equal hash across processes.
    """
    hashed = pd.util.hash_pandas_object(frame[columns], index=False).to_numpy()
    return hashlib.sha256(hashed.tobytes()).hexdigest()
