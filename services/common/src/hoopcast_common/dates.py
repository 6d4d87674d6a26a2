"""Dates as the stages use them: ``--as-of`` logical dates and ESPN's ``YYYYMMDD``."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator, Mapping

from hoopcast_common.errors import BadInputError


def parse_date(value: str, name: str = "date") -> dt.date:
    """Parse ``YYYY-MM-DD`` or ``YYYYMMDD``.

    Raises:
        BadInputError: naming ``name`` and the bad value.
    """
    text = value.strip()
    for fmt in ("%Y-%m-%d", "%Y%m%d"):
        try:
            return dt.datetime.strptime(text, fmt).date()
        except ValueError:
            continue
    raise BadInputError(f"{name}={value!r} is not a date (expected YYYY-MM-DD)")


def today_utc() -> dt.date:
    """Today's date in UTC (the default ``--as-of``)."""
    return dt.datetime.now(dt.UTC).date()


def espn_date(day: dt.date) -> str:
    """``YYYYMMDD`` as ESPN's ``dates`` parameter wants it."""
    return day.strftime("%Y%m%d")


def date_range(start: dt.date, end: dt.date) -> Iterator[dt.date]:
    """Every day from ``start`` to ``end`` inclusive (empty if end < start)."""
    day = start
    while day <= end:
        yield day
        day += dt.timedelta(days=1)


def season_of(day: dt.date) -> int:
    """ESPN season year (the year the season ends) of a game date: Jul-Dec → next year."""
    return day.year + 1 if day.month >= 7 else day.year


def default_as_of(values: Mapping[str, str | None]) -> dt.date:
    """The default ``--as-of`` of a stage command.

    ``HOOPCAST_AS_OF`` (``YYYY-MM-DD``) from the settings when it is set — the ``replay`` profile
    pins it to the replay server's clock so that every stage works on the same logical date as
    the recorded data — otherwise today in UTC (DESIGN.md, "Stage CLI contract").

    Args:
        values: resolved settings, e.g. ``load_settings("ingestion").values``.

    Raises:
        BadInputError: ``HOOPCAST_AS_OF`` is set but not a date.
    """
    raw = values.get("HOOPCAST_AS_OF")
    if raw:
        return parse_date(raw, "HOOPCAST_AS_OF")
    return today_utc()
