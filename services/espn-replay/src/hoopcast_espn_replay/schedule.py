"""What the results file does not say about a game's schedule, reconstructed: a plausible tip
time (the file has dates only) and ESPN's season type (regular season or postseason)."""

from __future__ import annotations

import bisect
import datetime as dt
import zlib
from functools import lru_cache

from hoopcast_common.dates import season_of

# Plausible US Eastern tip times (hour, minute) with weights; weekdays are evening-heavy,
# weekends spread over the afternoon. 22:00+ ET stands for West-Coast evening games.
_WEEKDAY_TIPS = [
    ((18, 0), 8),
    ((18, 30), 4),
    ((19, 0), 30),
    ((19, 30), 6),
    ((20, 0), 18),
    ((20, 30), 4),
    ((21, 0), 12),
    ((22, 0), 10),
    ((23, 0), 5),
    ((12, 0), 3),
]
_WEEKEND_TIPS = [
    ((12, 0), 10),
    ((13, 0), 8),
    ((14, 0), 14),
    ((15, 0), 8),
    ((16, 0), 14),
    ((17, 0), 6),
    ((18, 0), 10),
    ((19, 0), 12),
    ((20, 0), 8),
    ((21, 0), 5),
    ((22, 0), 5),
]


def _tip_table(slots: list[tuple[tuple[int, int], int]]) -> tuple[list[dt.time], list[int]]:
    times = [dt.time(h, m) for (h, m), _ in slots]
    cumulative: list[int] = []
    for _, weight in slots:
        cumulative.append((cumulative[-1] if cumulative else 0) + weight)
    return times, cumulative


_TIP_TABLES = {False: _tip_table(_WEEKDAY_TIPS), True: _tip_table(_WEEKEND_TIPS)}


def tip_time(day: dt.date, home_id: str, away_id: str) -> dt.time:
    """Deterministic plausible US Eastern tip time of a game (the CSV has no times).

    Picked from weighted weekday / weekend slot lists by CRC-32 of ``YYYY-MM-DD|home|away``,
    so it is stable across restarts, processes and machines.
    """
    times, cumulative = _TIP_TABLES[day.weekday() >= 5]
    pick = zlib.crc32(f"{day.isoformat()}|{home_id}|{away_id}".encode()) % cumulative[-1]
    return times[bisect.bisect_right(cumulative, pick)]


def _nth_sunday(year: int, month: int, n: int) -> dt.date:
    first = dt.date(year, month, 1)
    offset = (6 - first.weekday()) % 7
    return first + dt.timedelta(days=offset + 7 * (n - 1))


def selection_sunday(season: int) -> dt.date:
    """Approximate NCAA Selection Sunday of ``season``: the Sunday within 11-17 March."""
    return (
        _nth_sunday(season, 3, 2)
        if _nth_sunday(season, 3, 2).day >= 11
        else _nth_sunday(season, 3, 3)
    )


@lru_cache(maxsize=8192)
def season_type_of(day: dt.date) -> int:
    """ESPN season type of a game date: 3 (postseason) after Selection Sunday, else 2."""
    season = season_of(day)
    return 3 if day > selection_sunday(season) and day.month in (3, 4) else 2
