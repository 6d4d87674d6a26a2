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
        "AND home_margin IS NOT NULL AND game_date BETWEEN ? AND ?",
        [start, end],
    )
    return int(row[0]) if row else 0


def validation_start(
    conn: duckdb.DuckDBPyConnection, last_day: dt.date, days: int, min_games: int
) -> dt.date:
    """First day of the default validation window ending on ``last_day``: ``days`` days
    back (``last_day - days + 1``), moved further back, a whole game date at a time, until the
    window holds at least ``min_games`` final D1-vs-D1 games. When the history holds fewer,
    the window starts at the first such game's date after the earliest one (so that training
    keeps at least one game date) — the gate then keeps production for want of sample.
    """
    start = last_day - dt.timedelta(days=days - 1)
    rows = conn.execute(
        f"SELECT game_date, count(*) FROM {FEATURE_TABLE} WHERE is_d1_game "
        "AND home_win IS NOT NULL AND home_margin IS NOT NULL AND game_date <= ? "
        "GROUP BY game_date ORDER BY game_date DESC",
        [last_day],
    ).fetchall()
    total = 0
    for index, (day, n) in enumerate(rows):
        total += int(n)
        if total >= min_games or index == len(rows) - 2:
            first: dt.date = day
            return min(start, first)
    return start


def resolve_split(
    conn: duckdb.DuckDBPyConnection,
    *,
    as_of: dt.date,
    train_from: dt.date | None = None,
    train_until: dt.date | None = None,
    validate_from: dt.date | None = None,
    validate_to: dt.date | None = None,
    validation_days: int = 28,
    min_validation_games: int = 300,
) -> Split:
    """The split of a training run from the CLI options, defaults derived from ``as_of``.

    A run on game day ``as_of`` has every game final before it, so the default validation
    window ends on ``as_of - 1`` and covers the last ``validation_days`` days, extended
    backwards until it holds ``min_validation_games`` final D1-vs-D1 games
    (:func:`validation_start`; the gate's minimum sample); training = every game final before
    the validation window (the current season's earlier weeks included). With
    ``train_until`` only, validation starts the day after it and ends on ``as_of - 1``.

    Raises:
        BadInputError: the windows are inconsistent (see :meth:`Split.check`).
    """
    last_final_day = as_of - dt.timedelta(days=1)
    if validate_to is None:
        validate_to = last_final_day
    if train_until is None and validate_from is None:
        validate_from = validation_start(conn, validate_to, validation_days, min_validation_games)
    if train_until is None:
        assert validate_from is not None
        train_until = validate_from - dt.timedelta(days=1)
    if validate_from is None:
        validate_from = train_until + dt.timedelta(days=1)
    split = Split(train_from, train_until, validate_from, validate_to)
    split.check()
    return split


def labelled_games(
    conn: duckdb.DuckDBPyConnection, start: dt.date | None, end: dt.date
) -> tuple[int, dt.date | None]:
    """``(count, last game date)`` of the final D1-vs-D1 games dated ``start`` .. ``end``
    (``start`` None = from the first)."""
    row = one(
        conn,
        f"SELECT count(*), max(game_date) FROM {FEATURE_TABLE} WHERE is_d1_game "
        "AND home_win IS NOT NULL AND home_margin IS NOT NULL AND game_date <= ? "
        "AND (CAST(? AS DATE) IS NULL OR game_date >= ?)",
        [end, start, start],
    )
    if row is None:
        return 0, None
    return int(row[0]), row[1]


def data_hash(frame: pd.DataFrame, columns: list[str]) -> str:
    """sha256 (hex) of the given columns of ``frame``, row order included.

    Uses pandas' stable per-row hash (:func:`pandas.util.hash_pandas_object`), so equal data
    gives an equal hash across processes.
    """
    hashed = pd.util.hash_pandas_object(frame[columns], index=False).to_numpy()
    return hashlib.sha256(hashed.tobytes()).hexdigest()
