"""The Forecasts page: a FastAPI app served by the Airflow API server under ``/forecasts``.

Server-rendered HTML (Jinja2) with inline SVG charts, one page per section and a JSON twin of
each under ``/forecasts/api/``:

==========================  ==============================  =====================================
page                        JSON                            what
==========================  ==============================  =====================================
``/forecasts/``             ``/forecasts/api/upcoming``     the game day and the days after it
``/forecasts/results``      ``/forecasts/api/results``      forecasts of record vs outcomes
``/forecasts/track-record`` ``/forecasts/api/track-record`` accuracy/log-loss/MAE, calibration
``/forecasts/models``       ``/forecasts/api/models``       registry versions and stage changes
(header of every page)      ``/forecasts/api/freshness``    last successful run per stage
==========================  ==============================  =====================================

Every route depends on Airflow's own access check
(:func:`airflow.api_fastapi.core_api.security.requires_access_view` for the ``WEBSITE`` view):
the UI's ``_token`` cookie or an ``Authorization: Bearer`` token; without either, 401. The data
comes from the published read-only snapshot of the warehouse
(:func:`hoopcast_common.snapshot.open_snapshot` of ``HOOPCAST_DB``), never the writer's file,
so the page never blocks the pipeline; all queries are :mod:`hoopcast_common.forecasts`.
"""

from __future__ import annotations

import datetime as dt
import logging
import os
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any

import duckdb
from airflow.api_fastapi.auth.managers.models.resource_details import AccessView
from airflow.api_fastapi.core_api.security import requires_access_view
from fastapi import Depends, FastAPI, HTTPException, Query, Request
from fastapi.responses import HTMLResponse, JSONResponse
from fastapi.templating import Jinja2Templates
from hoopcast_common import forecasts
from hoopcast_common.games import EASTERN
from hoopcast_common.settings import load_settings
from hoopcast_common.snapshot import open_snapshot, snapshot_path

from hoopcast_airflow.forecasts import charts

log = logging.getLogger(__name__)

TEMPLATES = Path(__file__).with_name("templates")
MAX_DAYS = 14
"""The widest Upcoming / Recent results window a reader may ask for, in days."""

SECTIONS = (
    ("upcoming", "Upcoming", "./"),
    ("results", "Recent results", "results"),
    ("track-record", "Track record", "track-record"),
    ("models", "Models", "models"),
)
"""(key, title, relative link) of the page's sections, in navigation order."""


def warehouse_path() -> Path:
    """The warehouse whose snapshot the page reads: ``HOOPCAST_DB`` of the Airflow settings
    (``/data/hoopcast.duckdb`` in the image; ``var/hoopcast.duckdb`` in local mode)."""
    if raw := os.environ.get("HOOPCAST_DB"):
        return Path(raw)
    return load_settings("airflow").db_path


class SnapshotReader:
    """One read-only DuckDB connection to the published snapshot, shared by the requests
    (each gets its own cursor, DuckDB's thread-safe handle) and reopened when a stage publishes
    a new snapshot (the file's inode or mtime changed: publishing renames a new file over it).
    Opening the file and loading its catalog costs tens of milliseconds; a cursor costs none.
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._key: tuple[str, int, int] | None = None
        self._conn: duckdb.DuckDBPyConnection | None = None

    def cursor(self) -> duckdb.DuckDBPyConnection | None:
        """A cursor on the current snapshot, or None when none is published yet."""
        path = snapshot_path(warehouse_path())
        try:
            st = path.stat()
        except FileNotFoundError:
            return None
        key = (str(path), st.st_ino, st.st_mtime_ns)
        with self._lock:
            if self._conn is None or key != self._key:
                try:
                    conn = open_snapshot(warehouse_path())
                except FileNotFoundError:
                    return None
                # the previous connection is closed by the garbage collector once the
                # requests still holding its cursors are done
                self._conn, self._key = conn, key
            return self._conn.cursor()


_READER = SnapshotReader()


@contextmanager
def _snapshot() -> Iterator[duckdb.DuckDBPyConnection | None]:
    cursor = _READER.cursor()
    try:
        yield cursor
    finally:
        if cursor is not None:
            cursor.close()


def _pct(value: float | None) -> str:
    return "–" if value is None else f"{100 * value:.0f}%"


def _signed(value: float | None, digits: int = 1) -> str:
    return "–" if value is None else f"{value:+.{digits}f}"


def _num(value: float | None, digits: int = 3) -> str:
    return "–" if value is None else f"{value:.{digits}f}"


def _moment(value: dt.datetime | None) -> str:
    if value is None:
        return "–"
    return value.astimezone(EASTERN).strftime("%Y-%m-%d %H:%M ET")


def _spread(value: float | None) -> str:
    """A home spread as bettors write it (``-5.5``, ``+3``, ``PK``)."""
    if value is None:
        return "–"
    return "PK" if value == 0 else f"{value:+g}"


def _templates() -> Jinja2Templates:
    templates = Jinja2Templates(directory=str(TEMPLATES))
    templates.env.filters.update(pct=_pct, signed=_signed, num=_num, moment=_moment, spread=_spread)
    return templates


def _parse_day(raw: str | None, name: str) -> dt.date | None:
    if raw in (None, ""):
        return None
    try:
        return dt.date.fromisoformat(str(raw))
    except ValueError:
        raise HTTPException(422, f"{name}={raw!r}: expected a date YYYY-MM-DD") from None


AsOfQuery = Annotated[
    str | None, Query(description="game day YYYY-MM-DD (default: the latest forecast run's)")
]
DaysQuery = Annotated[int, Query(ge=0, le=MAX_DAYS, description="days after the game day")]
TeamQuery = Annotated[str | None, Query(max_length=60, description="part of a team's name")]
DayQuery = Annotated[str | None, Query(description="only this date")]


@dataclass(frozen=True)
class Shown:
    """The query of a section's page and of its JSON twin: game day (``as_of``), days after it,
    part of a team's name and, on the upcoming section, one date (``day``)."""

    as_of: str | None
    days: int
    team: str | None
    day: str | None = None


def _upcoming_query(
    as_of: AsOfQuery = None,
    days: DaysQuery = forecasts.DEFAULT_DAYS,
    team: TeamQuery = None,
    day: DayQuery = None,
) -> Shown:
    return Shown(as_of, days, team, day)


def _results_query(
    as_of: AsOfQuery = None, days: DaysQuery = forecasts.RECENT_DAYS, team: TeamQuery = None
) -> Shown:
    return Shown(as_of, days, team)


UpcomingShown = Annotated[Shown, Depends(_upcoming_query)]
ResultsShown = Annotated[Shown, Depends(_results_query)]


def create_app() -> FastAPI:
    """The Forecasts FastAPI app (mounted by the plugin at ``/forecasts``)."""
    app = FastAPI(
        title="hoopcast forecasts",
        description=__doc__,
        dependencies=[Depends(requires_access_view(AccessView.WEBSITE))],
        docs_url=None,
        redoc_url=None,
    )
    templates = _templates()

    def context(conn: duckdb.DuckDBPyConnection | None, section: str) -> dict[str, Any]:
        return {
            "sections": SECTIONS,
            "section": section,
            "snapshot": str(snapshot_path(warehouse_path())),
            "available": conn is not None,
            "freshness": forecasts.freshness(conn) if conn is not None else [],
        }

    def view(conn: duckdb.DuckDBPyConnection, as_of: str | None) -> tuple[dt.date, dt.datetime]:
        return forecasts.resolve_view(conn, _parse_day(as_of, "as_of"), dt.datetime.now(dt.UTC))

    def render(request: Request, name: str, ctx: dict[str, Any]) -> HTMLResponse:
        return templates.TemplateResponse(request, name, ctx)

    def page_answer(
        request: Request,
        section: str,
        template: str,
        data: Callable[[duckdb.DuckDBPyConnection], dict[str, Any]],
    ) -> HTMLResponse:
        """The page ``template`` of ``section``: its context plus ``data`` of the published
        snapshot (the context alone while none is published)."""
        with _snapshot() as conn:
            ctx = context(conn, section)
            if conn is not None:
                ctx.update(data(conn))
            return render(request, template, ctx)

    def json_answer(data: Callable[[duckdb.DuckDBPyConnection], Any]) -> JSONResponse:
        """``data`` of the published snapshot as JSON, or 503 while none is published."""
        with _snapshot() as conn:
            if conn is None:
                return JSONResponse(
                    {"detail": f"{snapshot_path(warehouse_path())}: no snapshot published yet"},
                    status_code=503,
                )
            return JSONResponse(forecasts.jsonable(data(conn)))

    def upcoming_data(conn: duckdb.DuckDBPyConnection, shown: Shown) -> dict[str, Any]:
        game_day, now = view(conn, shown.as_of)
        rows = forecasts.upcoming(
            conn,
            game_day,
            now,
            days=shown.days,
            team=shown.team or None,
            day=_parse_day(shown.day, "day"),
        )
        return {"as_of": game_day, "now": now, "days": shown.days, "team": shown.team, "rows": rows}

    @app.get("/", response_class=HTMLResponse)
    def upcoming_page(request: Request, shown: UpcomingShown) -> HTMLResponse:
        def data(conn: duckdb.DuckDBPyConnection) -> dict[str, Any]:
            upcoming = upcoming_data(conn, shown)
            dates = sorted({r.game_date for r in upcoming["rows"]})
            return {**upcoming, "day": shown.day or "", "dates": dates}

        return page_answer(request, "upcoming", "upcoming.html", data)

    @app.get("/api/upcoming")
    def upcoming_json(shown: UpcomingShown) -> JSONResponse:
        return json_answer(lambda conn: upcoming_data(conn, shown))

    def results_data(conn: duckdb.DuckDBPyConnection, shown: Shown) -> dict[str, Any]:
        game_day, _now = view(conn, shown.as_of)
        rows = forecasts.recent_results(conn, game_day, days=shown.days, team=shown.team or None)
        return {"as_of": game_day, "days": shown.days, "team": shown.team, "rows": rows}

    @app.get("/results", response_class=HTMLResponse)
    def results_page(request: Request, shown: ResultsShown) -> HTMLResponse:
        return page_answer(
            request, "results", "results.html", lambda conn: results_data(conn, shown)
        )

    @app.get("/api/results")
    def results_json(shown: ResultsShown) -> JSONResponse:
        return json_answer(lambda conn: results_data(conn, shown))

    @app.get("/track-record", response_class=HTMLResponse)
    def track_record_page(request: Request) -> HTMLResponse:

        def data(conn: duckdb.DuckDBPyConnection) -> dict[str, Any]:
            record = forecasts.track_record(conn)
            rolled = record["rolling"]
            return {
                "record": record,
                "charts": [
                    charts.line_chart(rolled, "accuracy", "Accuracy (rolling 4 weeks)"),
                    charts.line_chart(rolled, "log_loss", "Log-loss (rolling 4 weeks)"),
                    charts.line_chart(
                        rolled, "margin_mae", "Margin MAE, points (rolling 4 weeks)", digits=1
                    ),
                ],
                "calibration": charts.reliability_diagram(record["calibration"]),
            }

        return page_answer(request, "track-record", "track_record.html", data)

    @app.get("/api/track-record")
    def track_record_json() -> JSONResponse:
        return json_answer(forecasts.track_record)

    @app.get("/models", response_class=HTMLResponse)
    def models_page(request: Request) -> HTMLResponse:
        return page_answer(request, "models", "models.html", forecasts.models)

    @app.get("/api/models")
    def models_json() -> JSONResponse:
        return json_answer(forecasts.models)

    @app.get("/api/freshness")
    def freshness_json() -> JSONResponse:
        return json_answer(lambda conn: {"stages": forecasts.freshness(conn)})

    return app
