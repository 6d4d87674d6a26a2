"""The pipeline's clock: the moment a run works at, one definition for every stage.

A run on game day D (``--as-of``, a US Eastern date, :mod:`hoopcast_common.games`) also has a
moment on the pipeline's clock (``--now``). The predictor stores it as ``forecast_at`` and
forecasts the games not tipped off by then; ingestion stamps what it fetches with it
(``raw.responses.fetched_at``, hence the ``fetched_at`` of betting lines and ESPN's predictor),
so that "fetched before tip-off" and "forecast before tip-off" mean the same thing in a live
run, a replay and a simulation (DESIGN.md, "Stage CLI contract").
"""

from __future__ import annotations

import datetime as dt
import logging
import time
from collections.abc import Callable

from hoopcast_common.errors import BadInputError
from hoopcast_common.games import EASTERN, game_day
from hoopcast_common.runs import RunContext
from hoopcast_common.settings import Settings

log = logging.getLogger(__name__)

DEFAULT_RUN_TIME = dt.time(9, 0)
"""The pipeline's clock on a past or future game day when nothing else sets it: 09:00 US
Eastern (the daily run's time)."""


def parse_moment(text: str, name: str) -> dt.datetime:
    """An ISO-8601 moment with a time zone (``2026-02-07T09:00-05:00``, ``...Z``), as UTC.

    Raises:
        BadInputError: not ISO-8601, or no time zone (names ``name`` and the value).
    """
    try:
        value = dt.datetime.fromisoformat(text.strip())
    except ValueError as exc:
        raise BadInputError(
            f"{name}={text!r} is not an ISO-8601 moment (e.g. 2026-02-07T09:00-05:00)"
        ) from exc
    if value.tzinfo is None:
        raise BadInputError(f"{name}={text!r} has no time zone (e.g. 2026-02-07T09:00-05:00)")
    return value.astimezone(dt.UTC)


def default_moment(day: dt.date) -> dt.datetime:
    """09:00 US Eastern of game day ``day`` (:data:`DEFAULT_RUN_TIME`), as UTC."""
    return dt.datetime.combine(day, DEFAULT_RUN_TIME, tzinfo=EASTERN).astimezone(dt.UTC)


def resolve_now(
    now_option: str | None,
    setting: str | None,
    as_of: dt.date,
    wall_clock: dt.datetime,
) -> tuple[dt.datetime, str]:
    """The pipeline's clock of a run on game day ``as_of``.

    In order: ``--now``; else the ``HOOPCAST_NOW`` setting; else the wall clock when
    ``as_of`` is today's game day (US Eastern); else 09:00 US Eastern on ``as_of``.

    Returns:
        ``(moment in UTC, source)`` with source ``--now``, ``HOOPCAST_NOW``, ``wall clock``
        or ``09:00 US Eastern``.

    Raises:
        BadInputError: a malformed or zone-less ``--now`` / ``HOOPCAST_NOW``.
    """
    if now_option:
        return parse_moment(now_option, "--now"), "--now"
    if setting:
        return parse_moment(setting, "HOOPCAST_NOW"), "HOOPCAST_NOW"
    if game_day(wall_clock) == as_of:
        return wall_clock.astimezone(dt.UTC), "wall clock"
    return default_moment(as_of), "09:00 US Eastern"


def run_clock(ctx: RunContext, settings: Settings, now_option: str | None) -> dt.datetime:
    """The clock of the run ``ctx`` (:func:`resolve_now` with ``HOOPCAST_NOW`` from
    ``settings`` and the wall clock), also put into the run summary as ``now`` and
    ``now_source``; a moment off the run's game day is logged as a warning.

    Raises:
        BadInputError: a malformed ``--now`` / ``HOOPCAST_NOW``.
    """
    assert ctx.as_of is not None
    moment, source = resolve_now(
        now_option, settings.get("HOOPCAST_NOW"), ctx.as_of, dt.datetime.now(dt.UTC)
    )
    if game_day(moment) != ctx.as_of:
        log.warning("the clock %s is not on game day %s", moment.isoformat(), ctx.as_of)
    ctx.extra["now"] = moment.isoformat()
    ctx.extra["now_source"] = source
    return moment


def running_clock(start: dt.datetime) -> Callable[[], dt.datetime]:
    """A clock that reads ``start`` when created and then advances with real elapsed time
    (monotonic), for stamping events of a run whose clock is ``start`` (UTC, aware)."""
    origin = time.monotonic()

    def now() -> dt.datetime:
        return start + dt.timedelta(seconds=time.monotonic() - origin)

    return now
