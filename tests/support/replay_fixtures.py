"""Fixtures for the offline ESPN replay server (owned by the espn-replay service).

* ``replay_server`` (session): base URL (``http://127.0.0.1:PORT``) of the real replay server
  running in a background thread with ``--now 2025-01-20`` on the shipped data.
* ``replay_server_factory`` (function): ``factory(now=..., faults=..., seed=..., **kw)`` →
  context manager yielding the base URL of a fresh server (same data, loaded once per
  process), e.g. ``with replay_server_factory(now="2025-01-20", faults=0.2, seed=7) as url:``;
  ``now`` is a date (the end of that day) or a moment (``"2025-01-20T19:30-05:00"``).
  Extra keywords go to :func:`hoopcast_espn_replay.server.running_server` (``paths``,
  ``fault_delay_s``).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager
from typing import Any

import pytest
from hoopcast_espn_replay.clock import parse_clock
from hoopcast_espn_replay.server import running_server

REPLAY_NOW = dt.date(2025, 1, 20)

ReplayFactory = Callable[..., AbstractContextManager[str]]


@pytest.fixture(scope="session")
def replay_server() -> Iterator[str]:
    """Base URL of the replay server (clock 2025-01-20, no faults), shared by the session."""
    with running_server(REPLAY_NOW) as url:
        yield url


@pytest.fixture
def replay_server_factory() -> ReplayFactory:
    """Factory of replay servers: ``factory(now="YYYY-MM-DD" | ISO-8601 moment | date |
    aware datetime, faults=0.0, seed=0)``."""

    def factory(
        now: str | dt.date = REPLAY_NOW, faults: float = 0.0, seed: int = 0, **kwargs: Any
    ) -> AbstractContextManager[str]:
        clock = parse_clock(now, "now") if isinstance(now, str) else now
        return running_server(clock, faults=faults, seed=seed, **kwargs)

    return factory
