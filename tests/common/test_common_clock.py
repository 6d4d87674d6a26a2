"""The pipeline's clock (hoopcast_common.clock): which moment a run works at."""

from __future__ import annotations

import datetime as dt

import pytest
from hoopcast_common.clock import resolve_now, running_clock
from hoopcast_common.errors import BadInputError

UTC = dt.UTC


def test_the_default_clock_of_a_run() -> None:
    wall = dt.datetime(2026, 2, 7, 15, 30, tzinfo=UTC)  # 10:30 US Eastern (EST, UTC−5)
    today = dt.date(2026, 2, 7)
    assert resolve_now(None, None, today, wall) == (wall, "wall clock")
    # a past or future game day: 09:00 US Eastern of that day (EST in winter, EDT in summer)
    assert resolve_now(None, None, dt.date(2026, 2, 6), wall) == (
        dt.datetime(2026, 2, 6, 14, 0, tzinfo=UTC),
        "09:00 US Eastern",
    )
    assert resolve_now(None, None, dt.date(2026, 7, 1), wall)[0] == dt.datetime(
        2026, 7, 1, 13, 0, tzinfo=UTC
    )
    setting = "2026-02-07T08:00-05:00"
    assert resolve_now(None, setting, today, wall) == (
        dt.datetime(2026, 2, 7, 13, 0, tzinfo=UTC),
        "HOOPCAST_NOW",
    )
    assert resolve_now("2026-02-07T23:00Z", setting, today, wall)[0] == dt.datetime(
        2026, 2, 7, 23, 0, tzinfo=UTC
    )
    with pytest.raises(BadInputError, match="HOOPCAST_NOW"):
        resolve_now(None, "tomorrow", today, wall)


def test_a_running_clock_starts_at_its_moment_and_moves_forward() -> None:
    start = dt.datetime(2026, 1, 12, 10, 0, tzinfo=UTC)
    clock = running_clock(start)
    first, second = clock(), clock()
    assert start <= first <= second < start + dt.timedelta(minutes=1)
