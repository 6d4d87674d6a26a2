"""Time: US Eastern wall-clock times to UTC through ``zoneinfo``
(:data:`hoopcast_common.games.EASTERN`, ``America/New_York``, daylight saving included), the
replay clock (a moment; a bare date is the end of that game day) and where a game stands
under it (:class:`Phase`: scheduled, in progress, final)."""

from __future__ import annotations

import datetime as dt
import enum
from functools import lru_cache

from hoopcast_common.dates import parse_date
from hoopcast_common.errors import BadInputError
from hoopcast_common.games import EASTERN, end_of_game_day


@lru_cache(maxsize=65536)
def eastern_to_utc(day: dt.date, tip: dt.time) -> dt.datetime:
    """US Eastern wall-clock tip ``tip`` on ``day`` as an aware UTC datetime."""
    return dt.datetime.combine(day, tip, tzinfo=EASTERN).astimezone(dt.UTC)


def parse_espn_time(text: str) -> dt.datetime:
    """An ESPN timestamp (``2024-12-01T21:30Z``, UTC to the minute) as an aware datetime.

    Raises:
        ValueError: ``text`` is not in that format.
    """
    return dt.datetime.strptime(text, "%Y-%m-%dT%H:%MZ").replace(tzinfo=dt.UTC)


#: Wall time from tip-off after which a reconstructed game is final (a college game takes
#: about two hours; the results file has no end times).
FINAL_AFTER = dt.timedelta(hours=2, minutes=30)


class Phase(enum.Enum):
    """Where a game stands under the replay clock (ESPN ``status.type.state``)."""

    SCHEDULED = "pre"
    IN_PROGRESS = "in"
    FINAL = "post"


def final_at(start_utc: dt.datetime, day: dt.date) -> dt.datetime:
    """The moment a game counts as final: :data:`FINAL_AFTER` after tip-off, and at the
    latest at the end of its game day (:func:`hoopcast_common.games.end_of_game_day`; the
    results file knows dates only, so every game of a day is over when the day is).

    The cap is what keeps a bare-date clock ``D`` meaning "every game dated ``D`` or earlier
    is final" even for tip-offs late in the evening (the synthetic slots run to 23:00 ET)."""
    return min(start_utc + FINAL_AFTER, _end_of_day(day))


@lru_cache(maxsize=8192)
def _end_of_day(day: dt.date) -> dt.datetime:
    return end_of_game_day(day)


def phase_of(start_utc: dt.datetime, final: dt.datetime, now: dt.datetime) -> Phase:
    """FINAL from ``final`` (see :func:`final_at`) on, IN_PROGRESS from tip-off
    ``start_utc`` on, SCHEDULED before; all aware datetimes."""
    if now >= final:
        return Phase.FINAL
    if now >= start_utc:
        return Phase.IN_PROGRESS
    return Phase.SCHEDULED


def parse_clock(value: str, name: str = "--now") -> dt.datetime:
    """A replay clock as an aware UTC moment.

    Accepts a date ``YYYY-MM-DD`` (or ``YYYYMMDD``), meaning the end of that game day
    (:func:`hoopcast_common.games.end_of_game_day`), or an ISO-8601 moment such as
    ``2026-02-07T09:00-05:00`` or ``2026-02-07T14:00Z``; a moment without a UTC offset is
    US Eastern wall-clock time.

    Raises:
        BadInputError: naming ``name`` and the bad value.
    """
    text = value.strip()
    if len(text) in (8, 10) and "T" not in text:
        try:
            return end_of_game_day(parse_date(text, name))
        except BadInputError:
            pass
    else:
        try:
            moment = dt.datetime.fromisoformat(text)
        except ValueError:
            pass
        else:
            if moment.tzinfo is None:
                moment = moment.replace(tzinfo=EASTERN)
            return moment.astimezone(dt.UTC)
    raise BadInputError(
        f"{name}={value!r} is not a date (YYYY-MM-DD: the end of that day, US Eastern) nor an"
        " ISO-8601 moment (such as 2026-02-07T09:00-05:00)"
    )


def clock_from(value: dt.date | dt.datetime) -> dt.datetime:
    """A clock given as a date (the end of that game day) or an aware moment, as an aware
    UTC moment.

    Raises:
        BadInputError: ``value`` is a naive datetime.
    """
    if isinstance(value, dt.datetime):
        if value.tzinfo is None:
            raise BadInputError(f"replay clock {value.isoformat()} has no time zone")
        return value.astimezone(dt.UTC)
    return end_of_game_day(value)
