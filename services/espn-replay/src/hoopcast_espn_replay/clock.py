"""Time zones: US Eastern wall-clock times to UTC and back, through ``zoneinfo``
(:data:`hoopcast_common.games.EASTERN`, ``America/New_York``, daylight saving included)."""

from __future__ import annotations

import datetime as dt
from functools import lru_cache

from hoopcast_common.games import EASTERN


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
