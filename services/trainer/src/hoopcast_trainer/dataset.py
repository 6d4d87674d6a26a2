"""Time-based training splits over ``features.game_features`` (the contract is
:mod:`hoopcast_ml.feature_table`): the windows of a training run and the hash of its data.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from dataclasses import dataclass

import duckdb
import pandas as pd
from hoopcast_common.db import one
from hoopcast_common.errors import BadInputError
from hoopcast_ml.feature_table import FEATURE_TABLE


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


def data_hash(frame: pd.DataFrame, columns: list[str]) -> str:
    """sha256 (hex) of the given columns of ``frame``, row order included.

    Uses pandas' stable per-row hash (:func:`pandas.util.hash_pandas_object`), so equal data
    gives an equal hash across processes.
    """
    hashed = pd.util.hash_pandas_object(frame[columns], index=False).to_numpy()
    return hashlib.sha256(hashed.tobytes()).hexdigest()
