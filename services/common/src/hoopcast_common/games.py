"""What a game's ESPN status means, and the game day: one definition for every stage.

ESPN reports a game's state in ``competitions[].status.type`` (``name`` such as
``STATUS_SCHEDULED``, ``STATUS_IN_PROGRESS``, ``STATUS_FINAL`` or ``STATUS_FINAL_OT``, and
``completed``); ingestion stores them in ``core.games.status`` and ``core.games.completed``.
College basketball schedules, scoreboards and betting lines are organised by US Eastern dates,
so a run's **game day** is a US Eastern date (DESIGN.md, "Stage CLI contract").
"""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

FINAL_STATUSES: tuple[str, ...] = ("STATUS_FINAL", "STATUS_FINAL_OT")
"""ESPN status names of a finished game (regulation and overtime)."""

EASTERN = ZoneInfo("America/New_York")
"""The time zone of game days (US Eastern, daylight saving included)."""


def is_final(
    status: str | None, completed: bool | None, home_score: int | None, away_score: int | None
) -> bool:
    """Whether a game counts as final: completed, a final ESPN status, both scores set and
    different (a tie is not a basketball result).

    Args:
        status: ESPN status name (``core.games.status``).
        completed: ESPN's ``completed`` flag.
        home_score, away_score: points, None when not reported.
    """
    return bool(
        completed
        and status in FINAL_STATUSES
        and home_score is not None
        and away_score is not None
        and home_score != away_score
    )


def is_final_sql(alias: str = "g") -> str:
    """SQL BOOLEAN over ``core.games <alias>``: :func:`is_final` of the row, never NULL.

    Example: ``f"SELECT count(*) FROM core.games g WHERE {is_final_sql('g')}"``.
    """
    statuses = ", ".join(f"'{s}'" for s in FINAL_STATUSES)
    return (
        f"coalesce({alias}.completed AND {alias}.status IN ({statuses})"
        f" AND {alias}.home_score IS NOT NULL AND {alias}.away_score IS NOT NULL"
        f" AND {alias}.home_score <> {alias}.away_score, false)"
    )


def game_day(moment: dt.datetime) -> dt.date:
    """The US Eastern date of a moment.

    Raises:
        ValueError: ``moment`` is naive (no time zone), so its game day is ambiguous.
    """
    if moment.tzinfo is None:
        raise ValueError(f"{moment.isoformat()} has no time zone; a game day needs one")
    return moment.astimezone(EASTERN).date()


def game_day_start(day: dt.date) -> dt.datetime:
    """Midnight US Eastern of ``day``, as an aware UTC datetime."""
    return dt.datetime.combine(day, dt.time(0, 0), tzinfo=EASTERN).astimezone(dt.UTC)


def end_of_game_day(day: dt.date) -> dt.datetime:
    """The last moment of ``day`` (23:59:59 US Eastern), as an aware UTC datetime: the
    meaning of a bare date where a moment is expected (e.g. a replay clock ``2026-02-07``)."""
    return dt.datetime.combine(day, dt.time(23, 59, 59), tzinfo=EASTERN).astimezone(dt.UTC)


def upcoming_window(day: dt.date, days: int) -> tuple[dt.date, dt.date]:
    """Game dates a forecast run on game day ``day`` covers: ``day`` (tonight's games
    included) through ``day + days``, inclusive.

    Raises:
        ValueError: ``days`` is negative.
    """
    if days < 0:
        raise ValueError(f"days={days}: must be 0 or more")
    return day, day + dt.timedelta(days=days)


def upcoming_sql(alias: str = "g") -> str:
    """SQL BOOLEAN over ``core.games <alias>`` with three positional parameters
    ``(first_day DATE, last_day DATE, now TIMESTAMPTZ)``: the game is dated within
    :func:`upcoming_window`, is not final, and has not tipped off by ``now``
    (``start_time_utc`` after ``now``; a game with no start time counts as not started).
    """
    return (
        f"({alias}.game_date BETWEEN ? AND ? AND NOT {is_final_sql(alias)}"
        f" AND coalesce({alias}.start_time_utc > ?, true))"
    )
