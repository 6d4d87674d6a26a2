"""The Starlette application serving ESPN's URL paths from :class:`~.model.ReplayData`.

Routes (prefix :data:`API`, i.e. ``/apis/site/v2/sports/basketball/mens-college-basketball``):

* ``/scoreboard?dates=YYYYMMDD[-YYYYMMDD]&groups=G&limit=N``
* ``/summary?event=ID``
* ``/teams?limit=N&page=P``, ``/teams/{id}``, ``/teams/{id}/roster``

plus ``/__replay/health``, ``/__replay/stats`` (request and fault counters) and
``/__replay/clock`` (GET: ``{"now": ISO-8601}``; POST ``{"now": ...}`` moves the clock), never
faulted.
Unknown paths, teams, rosters and events get a 404 with an ESPN-like JSON body
``{"code": 404, "message": ...}``; malformed parameters a 400 of the same shape.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import threading
from collections import Counter
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

import orjson
from hoopcast_common.errors import BadInputError
from hoopcast_common.games import EASTERN, end_of_game_day, game_day
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from hoopcast_espn_replay import espn
from hoopcast_espn_replay.clock import final_at, parse_clock
from hoopcast_espn_replay.faults import FaultInjector
from hoopcast_espn_replay.model import ReplayData
from hoopcast_espn_replay.recordings import recorded_start

API = "/apis/site/v2/sports/basketball/mens-college-basketball"
JSON = "application/json;charset=UTF-8"
MAX_RANGE_DAYS = 400
TEAMS_PAGE_DEFAULT = 50  # ESPN pages the unparameterised /teams list at 50


class ApiError(Exception):
    """An ESPN-like error answer: HTTP ``status`` with body ``{"code", "message"}``."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message


def clock_text(now: dt.datetime) -> str:
    """The replay clock as ISO-8601 in US Eastern time, e.g. ``2026-02-07T09:00:00-05:00``."""
    return now.astimezone(EASTERN).isoformat()


@dataclass
class ReplayState:
    """What the app serves and counts: the data, the clock (``now``, an aware UTC moment;
    replaced whole by :meth:`set_clock`, so a request reads one value), the fault injector,
    and counters of requests by endpoint and responses by status.

    Nothing built from the clock is cached: the only cache holds the bytes of recordings,
    whose content does not depend on it (whether a recording is served is decided per
    request), so moving the clock takes effect with the next request."""

    data: ReplayData
    now: dt.datetime
    faults: FaultInjector
    requests: Counter[str] = field(default_factory=Counter)
    statuses: Counter[int] = field(default_factory=Counter)
    lock: threading.Lock = field(default_factory=threading.Lock)
    _bytes_cache: dict[str, bytes] = field(default_factory=dict)

    def set_clock(self, now: dt.datetime) -> None:
        """Move the replay clock to the aware moment ``now`` (forwards or backwards).

        Raises:
            ValueError: ``now`` is naive.
        """
        if now.tzinfo is None:
            raise ValueError(f"replay clock {now.isoformat()} has no time zone")
        with self.lock:
            self.now = now.astimezone(dt.UTC)

    def count(self, endpoint: str, status: int) -> None:
        """Count one answered request."""
        with self.lock:
            self.requests[endpoint] += 1
            self.statuses[status] += 1

    def stats(self) -> dict[str, Any]:
        """``/__replay/stats`` body: requests by endpoint, responses by status, faults by kind,
        the clock, data figures."""
        with self.lock:
            requests = dict(self.requests)
            statuses = {str(k): v for k, v in sorted(self.statuses.items())}
        return {
            "now": clock_text(self.now),
            "requests": requests,
            "requests_total": sum(requests.values()),
            "responses_by_status": statuses,
            "faults": self.faults.snapshot(),
            "fault_rate": self.faults.rate,
            "seed": self.faults.seed,
            "games": len(self.data.games),
            "teams_d1": sum(t.is_d1 for t in self.data.teams.values()),
            "dropped_rows": self.data.dropped_rows,
            "rejected_lines": self.data.rejected_lines,
            "load_seconds": self.data.load_seconds,
        }

    def recorded_bytes(self, key: str, body: dict[str, Any]) -> bytes:
        """orjson bytes of a (large, immutable) recording, serialised once."""
        cached = self._bytes_cache.get(key)
        if cached is None:
            cached = orjson.dumps(body)
            self._bytes_cache[key] = cached
        return cached


Handler = Callable[[Request, ReplayState], bytes]


def _json(body: dict[str, Any]) -> bytes:
    return orjson.dumps(body)


def _parse_days(raw: str | None, now: dt.date) -> list[dt.date]:
    if not raw:
        return [now]
    parts = raw.split("-")
    try:
        if len(parts) == 1:
            return [dt.datetime.strptime(parts[0], "%Y%m%d").date()]
        if len(parts) == 2:
            start = dt.datetime.strptime(parts[0], "%Y%m%d").date()
            end = dt.datetime.strptime(parts[1], "%Y%m%d").date()
            if end < start or (end - start).days > MAX_RANGE_DAYS:
                raise ValueError("bad range")
            return [start + dt.timedelta(days=i) for i in range((end - start).days + 1)]
    except ValueError:
        pass
    raise ApiError(
        400, f"dates={raw!r} is not YYYYMMDD or YYYYMMDD-YYYYMMDD (at most {MAX_RANGE_DAYS} days)"
    )


def _parse_int(request: Request, name: str, default: int | None) -> int | None:
    raw = request.query_params.get(name)
    if raw is None or raw == "":
        return default
    try:
        value = int(raw)
    except ValueError:
        raise ApiError(400, f"{name}={raw!r} is not an integer") from None
    if value < 1:
        raise ApiError(400, f"{name}={raw!r} must be at least 1")
    return value


def scoreboard(request: Request, state: ReplayState) -> bytes:
    """``/scoreboard``: the recording verbatim for its own exact URL (``?dates=20241201``
    alone, once its whole day is over under the clock), else the reconstructed list."""
    now = state.now
    params = request.query_params
    raw_dates = params.get("dates")
    days = _parse_days(raw_dates, game_day(now))
    limit = _parse_int(request, "limit", None)
    group = params.get("groups")
    if (
        raw_dates
        and set(params.keys()) == {"dates"}
        and raw_dates in state.data.scoreboards
        and end_of_game_day(days[0]) <= now
    ):
        return state.recorded_bytes(f"scoreboard:{raw_dates}", state.data.scoreboards[raw_dates])
    return _json(espn.scoreboard_document(state.data, days, now, group, limit))


def summary(request: Request, state: ReplayState) -> bytes:
    """``/summary?event=ID``: recording verbatim when final under the clock (the game's
    :func:`~.clock.final_at`, or the recording's own tip-off for a recording without a
    results game), else reconstructed; 404 for unknown events."""
    now = state.now
    event_id = request.query_params.get("event")
    if not event_id:
        raise ApiError(400, "missing required parameter event")
    recorded = state.data.summaries.get(event_id)
    game = state.data.games.get(event_id)
    if recorded is not None:
        start = recorded_start(recorded)
        final = game.final_at if game is not None else final_at(start, game_day(start))
        if final <= now:
            return state.recorded_bytes(f"summary:{event_id}", recorded)
    if game is None:
        raise ApiError(404, f"Failed to get event summary: no event {event_id}")
    return _json(espn.summary_document(game, state.data, now))


def teams(request: Request, state: ReplayState) -> bytes:
    """``/teams``: D1 teams, ``limit`` per page (default 50 like ESPN), ``page`` from 1."""
    limit = _parse_int(request, "limit", TEAMS_PAGE_DEFAULT) or TEAMS_PAGE_DEFAULT
    page = _parse_int(request, "page", 1) or 1
    return _json(espn.teams_document(state.data, limit, page, state.now))


def team(request: Request, state: ReplayState) -> bytes:
    """``/teams/{id}``: any team the replay knows (D1 and synthetic non-D1), else 404."""
    team_id = str(request.path_params["team_id"])
    found = state.data.teams.get(team_id)
    if found is None:
        raise ApiError(404, f"team {team_id} not found")
    return _json(espn.team_document(found, state.data, state.now))


def roster(request: Request, state: ReplayState) -> bytes:
    """``/teams/{id}/roster``: the recorded roster verbatim (team 2752 only), else 404."""
    team_id = str(request.path_params["team_id"])
    recorded = state.data.rosters.get(team_id)
    if recorded is None:
        raise ApiError(
            404,
            f"no roster for team {team_id} in the replay (recorded: {sorted(state.data.rosters)})",
        )
    return state.recorded_bytes(f"roster:{team_id}", recorded)


def _clock_of_body(body: bytes) -> dt.datetime:
    """The moment of a ``POST /__replay/clock`` body ``{"now": "2026-02-07T09:00-05:00"}``
    (or a date ``"2026-02-07"``: the end of that game day; see :func:`~.clock.parse_clock`).

    Raises:
        ApiError: 400 naming what is wrong with the body.
    """
    try:
        doc = orjson.loads(body)
    except orjson.JSONDecodeError:
        raise ApiError(
            400, 'body is not JSON; expected {"now": "2026-02-07T09:00-05:00"}'
        ) from None
    if not isinstance(doc, dict) or not isinstance(doc.get("now"), str):
        raise ApiError(400, 'expected a JSON object {"now": "<ISO-8601 moment or YYYY-MM-DD>"}')
    try:
        return parse_clock(doc["now"], "now")
    except BadInputError as exc:
        raise ApiError(400, str(exc)) from None


def _endpoint(
    name: str, handler: Handler, state: ReplayState
) -> Callable[[Request], Awaitable[Response]]:
    async def endpoint(request: Request) -> Response:
        url = request.url.path + ("?" + request.url.query if request.url.query else "")
        kind, rng = state.faults.draw(url)
        if kind == "429":
            state.count(name, 429)
            return Response(
                _json(espn.error_body(429, "Too Many Requests")),
                status_code=429,
                media_type=JSON,
                headers={"Retry-After": str(state.faults.retry_after_s)},
            )
        if kind == "5xx":
            code = rng.choice((500, 502, 503))
            state.count(name, code)
            return Response(
                _json(espn.error_body(code, "Service Unavailable")),
                status_code=code,
                media_type=JSON,
            )
        if kind == "empty_202":
            state.count(name, 202)
            return Response(b"", status_code=202)
        if kind == "delay":
            await asyncio.sleep(state.faults.delay_s)
        try:
            body = handler(request, state)
        except ApiError as exc:
            state.count(name, exc.status)
            return Response(
                _json(espn.error_body(exc.status, exc.message)),
                status_code=exc.status,
                media_type=JSON,
            )
        if kind == "malformed":
            body = body[: max(1, len(body) // 2)]
        state.count(name, 200)
        return Response(body, media_type=JSON)

    return endpoint


def create_app(state: ReplayState) -> Starlette:
    """The ASGI app over ``state`` (one per server; state is shared with the caller)."""

    async def health(request: Request) -> Response:
        return Response(_json({"status": "ok", "now": clock_text(state.now)}), media_type=JSON)

    async def clock(request: Request) -> Response:
        if request.method == "POST":
            try:
                state.set_clock(_clock_of_body(await request.body()))
            except ApiError as exc:
                return Response(
                    _json(espn.error_body(exc.status, exc.message)),
                    status_code=exc.status,
                    media_type=JSON,
                )
        return Response(_json({"now": clock_text(state.now)}), media_type=JSON)

    async def stats(request: Request) -> Response:
        return Response(_json(state.stats()), media_type=JSON)

    async def not_found(request: Request, exc: Exception) -> Response:
        state.count("unknown", 404)
        return Response(
            _json(espn.error_body(404, f"no such endpoint: {request.url.path}")),
            status_code=404,
            media_type=JSON,
        )

    routes = [
        Route(f"{API}/scoreboard", _endpoint("scoreboard", scoreboard, state)),
        Route(f"{API}/summary", _endpoint("summary", summary, state)),
        Route(f"{API}/teams", _endpoint("teams", teams, state)),
        Route(f"{API}/teams/{{team_id}}", _endpoint("team", team, state)),
        Route(f"{API}/teams/{{team_id}}/roster", _endpoint("roster", roster, state)),
        Route("/__replay/health", health),
        Route("/__replay/stats", stats),
        Route("/__replay/clock", clock, methods=["GET", "POST"]),
    ]
    return Starlette(routes=routes, exception_handlers={404: not_found})
