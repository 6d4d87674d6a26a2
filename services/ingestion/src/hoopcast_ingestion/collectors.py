"""Collectors: which requests to make, and storing their responses batch by batch.

The collectors (all but the pre-game summaries with a watermark row in ``ops.watermarks``):

* ``teams`` — ``/teams?limit=500`` (paged): the D1 team list (``core.teams``, is_d1 true);
* ``scoreboard`` — ``/scoreboard?dates=YYYYMMDD&groups=50&limit=500`` per date:
  ``core.games`` (+ competitor teams not yet known, is_d1 false; ``odds`` → betting lines);
* ``summaries`` — ``/summary?event=ID`` for final games whose summary is not stored yet:
  ``core.team_game_stats``, ``core.player_game_stats``, ``core.players`` (and the betting
  lines and ESPN's predictor the summary carries);
* pre-game summaries (no watermark; see :meth:`Ingestor.pregame_due`) — ``/summary?event=ID``
  of scheduled games in the forecast window, kept under endpoint ``summary_pregame``:
  ``core.betting_lines``, ``core.espn_predictions``;
* ``rosters`` — ``/teams/{id}/roster`` per D1 team: ``core.players`` + ``core.rosters`` for the
  response's ``season.year`` (404 = the team has no roster: counted, not an error).

Every response is written to ``raw.responses`` first and then normalized, in one transaction
per batch (so a failed run keeps only whole batches and a re-run completes it idempotently).
A response whose body is not JSON (truncated, an error page) is kept with its parse_error and
fetched again, up to ``HOOPCAST_INGEST_REFETCHES`` times in the same run.
"""

from __future__ import annotations

import datetime as dt
import logging
import time
from collections.abc import Callable, Sequence
from contextlib import AbstractContextManager, nullcontext
from dataclasses import dataclass, field
from typing import Any

import duckdb
from hoopcast_common.dates import date_range, espn_date
from hoopcast_common.db import transaction
from hoopcast_common.games import (
    game_day,
    is_final_sql,
    upcoming_sql,
    upcoming_window,
)
from hoopcast_common.runs import RunContext

from hoopcast_ingestion import parse, store
from hoopcast_ingestion.client import EspnClient, Fetched, Request

log = logging.getLogger(__name__)

#: Game statuses whose scoreboard date must be fetched again (the game may still change).
OPEN_STATES = ("pre", "in")
CLOSED_STATUSES = ("STATUS_POSTPONED", "STATUS_CANCELED", "STATUS_FORFEIT")

#: Scoreboard dates per step of the watermark.
SCOREBOARD_CHUNK_DAYS = 60

#: Teams per /teams page requested (ESPN's default page is 50).
TEAMS_PAGE_SIZE = 500

Handler = Callable[[Fetched, int], parse.ParseResult | None]


@dataclass
class IngestOptions:
    """Settings of a collection run (env names in brackets).

    Attributes:
        ingest_start: first date without a watermark [HOOPCAST_INGEST_START].
        lookahead_days: days after ``--as-of`` fetched for scheduled games
            [HOOPCAST_INGEST_LOOKAHEAD_DAYS, default 7].
        roster_refresh_days: rosters are fetched again when the last pass is this many days
            older than ``--as-of`` [HOOPCAST_ROSTER_REFRESH_DAYS, default 7].
        batch_size: responses per transaction [HOOPCAST_INGEST_BATCH_SIZE, default 250].
        refetches: extra fetches of a response whose body is not JSON
            [HOOPCAST_INGEST_REFETCHES, default 3].
        summaries_from: box-score horizon: summaries (team and player box scores) are fetched
            only for final games on or after this date; older games keep their scoreboard
            data (scores, teams, site) only [HOOPCAST_INGEST_SUMMARIES_FROM, default: no
            horizon]. A backfill of many seasons is mostly summary requests (one per game
            against one per date for scoreboards), so this bounds its cost.
        lines_max_per_run: pre-game summaries (betting line, ESPN's predictor) fetched per
            run at most, soonest tip-off first [HOOPCAST_LINES_MAX_PER_RUN, default 200;
            0 turns them off].
        lines_refresh_hours: a scheduled game whose tip-off is at most this many hours after
            the run's reference moment has its summary fetched on every run; other
            scheduled games at most once per game day [HOOPCAST_LINES_REFRESH_HOURS,
            default 24].
    """

    ingest_start: dt.date
    lookahead_days: int = 7
    roster_refresh_days: int = 7
    batch_size: int = 250
    refetches: int = 3
    summaries_from: dt.date | None = None
    lines_max_per_run: int = 200
    lines_refresh_hours: float = 24.0


@dataclass
class Progress:
    """Progress of the collectors on a rich ``Progress`` bar (``bar``), or nothing when ``bar``
    is None (not a TTY): one bar per collector label, advanced per stored response."""

    bar: Any | None = None
    tasks: dict[str, Any] = field(default_factory=dict)

    def start(self, label: str, total: int) -> None:
        """Start a bar named ``label`` with ``total`` steps (no-op if it already exists)."""
        if self.bar is not None and label not in self.tasks:
            self.tasks[label] = self.bar.add_task(label, total=total)

    def advance(self, label: str, n: int = 1) -> None:
        """Advance the bar named ``label`` by ``n``."""
        if self.bar is not None and label in self.tasks:
            self.bar.advance(self.tasks[label], n)


class Ingestor:
    """Runs the collectors against one warehouse connection and one :class:`EspnClient`.

    Counts go to ``ctx`` (``games_stored``, ``teams_stored``, ``players_stored``,
    ``team_stats_stored``, ``player_stats_stored``, ``rosters_stored``, ``parse_errors``,
    ``responses_stored``, ``rosters_missing``, ``http_errors``, ``refetched``).
    """

    def __init__(
        self,
        conn: duckdb.DuckDBPyConnection,
        client: EspnClient,
        ctx: RunContext,
        options: IngestOptions,
        progress: Progress | None = None,
    ) -> None:
        self.conn = conn
        self.client = client
        self.ctx = ctx
        self.options = options
        self.progress = progress or Progress()
        self.parse_error_samples: list[str] = []

    # ------------------------------------------------------------------ plumbing

    def _record_error(self, message: str) -> None:
        self.ctx.count("parse_errors")
        if len(self.parse_error_samples) < 20:
            self.parse_error_samples.append(message)
        log.warning("parse error: %s", message)

    def _store_batch(self, batch: Sequence[Fetched], handler: Handler, label: str) -> list[Request]:
        """Store one batch in one transaction; returns requests to fetch again."""
        refetch: list[Request] = []
        counts: dict[str, int] = {}
        with transaction(self.conn):
            ids = store.store_raw(self.conn, batch)
            rows: dict[str, list[store.Row]] = {}
            errors: list[tuple[int, str | None]] = []
            for fetched, response_id in zip(batch, ids, strict=True):
                try:
                    result = handler(fetched, response_id)
                except parse.ParseError as exc:
                    errors.append((response_id, str(exc)))
                    self._record_error(str(exc))
                    if exc.refetch:
                        refetch.append(fetched.request)
                    continue
                if result is None:
                    errors.append((response_id, None))
                    continue
                messages = [str(e) for e in result.errors]
                for message in messages:
                    self._record_error(message)
                errors.append((response_id, "; ".join(messages) if messages else None))
                for table, table_rows in result.rows.items():
                    if table in store.PER_FETCH:
                        for row in table_rows:
                            row["response_id"] = response_id
                    rows.setdefault(table, []).extend(table_rows)
            per_fetch = [r for t in store.PER_FETCH for r in rows.get(t, [])]
            if per_fetch:
                ids_seen = sorted({r["response_id"] for r in per_fetch})
                first_seen = store.fetched_at_of(self.conn, ids_seen)
                for row in per_fetch:
                    row["fetched_at"] = first_seen[row["response_id"]]
            # Order matters for readers only, not for constraints (no foreign keys).
            for spec_name in (
                "teams",
                "scoreboard_teams",
                "games",
                "players",
                "rosters",
                "team_game_stats",
                "player_game_stats",
                "betting_lines",
                "espn_predictions",
            ):
                if spec_name in rows:
                    counts[spec_name] = store.upsert(self.conn, spec_name, rows[spec_name])
            store.set_parse_errors(self.conn, errors)
        self.ctx.count("responses_stored", len(batch))
        names = {
            "teams": "teams_stored",
            "games": "games_stored",
            "players": "players_stored",
            "rosters": "rosters_stored",
            "team_game_stats": "team_stats_stored",
            "player_game_stats": "player_stats_stored",
            "betting_lines": "lines_stored",
            "espn_predictions": "espn_predictions_stored",
        }
        for spec_name, n in counts.items():
            if spec_name in names:
                self.ctx.count(names[spec_name], n)
        self.progress.advance(label, len(batch) - len(refetch))
        return refetch

    async def _collect(self, requests: Sequence[Request], handler: Handler, label: str) -> None:
        """Fetch ``requests`` (bounded concurrency) and store them in batches."""
        self.progress.start(label, len(requests))
        started = time.perf_counter()
        requests_before = self.client.requests
        todo = list(requests)
        for round_no in range(self.options.refetches + 1):
            if not todo:
                break
            if round_no:
                self.ctx.count("refetched", len(todo))
                log.info("%s: fetching %d malformed responses again", label, len(todo))
            again: list[Request] = []
            batch: list[Fetched] = []
            # Stored synchronously: a worker thread measured slower (GIL contention with the
            # event loop; bench/ingestion).
            async for fetched in self.client.fetch_many(todo):
                batch.append(fetched)
                if len(batch) >= self.options.batch_size:
                    again.extend(self._store_batch(batch, handler, label))
                    batch = []
            if batch:
                again.extend(self._store_batch(batch, handler, label))
            todo = again
        if todo:
            log.warning("%s: %d responses still malformed after refetching", label, len(todo))
        elapsed = time.perf_counter() - started
        self.ctx.extra.setdefault("seconds", {})
        self.ctx.extra["seconds"][label] = round(
            self.ctx.extra["seconds"].get(label, 0.0) + elapsed, 2
        )
        log.info(
            "%s: %d requests in %.1f s", label, self.client.requests - requests_before, elapsed
        )

    # ---------------------------------------------------------------- collectors

    async def collect_teams(self, as_of: dt.date, force: bool = False) -> None:
        """Fetch the D1 team list once per ``--as-of`` date (or always with ``force``)."""
        mark = store.get_watermark(self.conn, "teams")
        if not force and mark is not None and mark >= as_of:
            log.info("teams: already collected for %s", as_of)
            self.ctx.extra.setdefault("fresh", []).append("teams")
            return
        # /teams is paged (50 per page by default): ask for TEAMS_PAGE_SIZE and follow pages
        # while a page comes back full.
        page = 1
        while True:
            params = {"limit": str(TEAMS_PAGE_SIZE)}
            if page > 1:
                params["page"] = str(page)
            request = Request("teams", f"page{page}", "teams", params)
            before = self.ctx.counts.get("teams_stored", 0)

            def handle(fetched: Fetched, _rid: int) -> parse.ParseResult | None:
                if fetched.status != 200:
                    raise parse.ParseError(fetched.url, "$", f"HTTP {fetched.status}")
                return parse.parse_teams(fetched.body, fetched.url)

            await self._collect([request], handle, "teams")
            if self.ctx.counts.get("teams_stored", 0) - before < TEAMS_PAGE_SIZE or page >= 20:
                break
            page += 1
        self._set_watermark("teams", as_of)

    def scoreboard_dates(
        self, as_of: dt.date, start: dt.date | None = None, end: dt.date | None = None
    ) -> list[dt.date]:
        """Dates to fetch: the forced range ``start..end`` when given, else from the day after
        the ``scoreboard`` watermark (or ``ingest_start``) to ``as_of`` + look-ahead, plus
        earlier dates that still have scheduled or in-progress games."""
        if start is not None or end is not None:
            first = start or self.options.ingest_start
            last = end or upcoming_window(as_of, self.options.lookahead_days)[1]
            return list(date_range(first, last))
        mark = store.get_watermark(self.conn, "scoreboard")
        first = self.options.ingest_start if mark is None else mark + dt.timedelta(days=1)
        last = upcoming_window(as_of, self.options.lookahead_days)[1]
        dates = set(date_range(first, last))
        open_rows = self.conn.execute(
            "SELECT DISTINCT game_date FROM core.games WHERE NOT completed"
            " AND status_state IN ('pre', 'in') AND status NOT IN"
            " ('STATUS_POSTPONED', 'STATUS_CANCELED', 'STATUS_FORFEIT')"
            " AND game_date < ? AND game_date <= ?",
            [first, as_of],
        ).fetchall()
        dates.update(r[0] for r in open_rows)
        return sorted(dates)

    async def collect_scoreboards(
        self, as_of: dt.date, start: dt.date | None = None, end: dt.date | None = None
    ) -> None:
        """Fetch scoreboards (see :meth:`scoreboard_dates`) into ``core.games``.

        Dates are fetched in chunks of :data:`SCOREBOARD_CHUNK_DAYS`; after each chunk the
        watermark moves to ``min(last date of the chunk, as_of)`` when the chunk joins on to the
        previous watermark (or there is none), so an interrupted backfill resumes where it
        stopped and a forced backfill of old dates leaves a later watermark alone.
        """
        dates = self.scoreboard_dates(as_of, start, end)
        self.ctx.extra["scoreboard_dates"] = (
            [dates[0].isoformat(), dates[-1].isoformat(), len(dates)] if dates else []
        )
        requests = [
            Request(
                "scoreboard",
                espn_date(day),
                "scoreboard",
                {"dates": espn_date(day), "groups": "50", "limit": "500"},
            )
            for day in dates
        ]

        def handle(fetched: Fetched, response_id: int) -> parse.ParseResult | None:
            if fetched.status != 200:
                raise parse.ParseError(fetched.url, "$", f"HTTP {fetched.status}")
            day = dt.datetime.strptime(fetched.request.request_key, "%Y%m%d").date()
            result = parse.parse_scoreboard(fetched.body, fetched.url, day)
            for row in result.rows.get("games", []):
                row["source_response_id"] = response_id
            result.rows["scoreboard_teams"] = result.rows.pop("teams", [])
            return result

        # In chunks of SCOREBOARD_CHUNK_DAYS dates, moving the watermark after each, so that a
        # long backfill interrupted by an outage (exit 3) resumes where it stopped.
        self.progress.start("scoreboards", len(requests))
        for i in range(0, len(requests), SCOREBOARD_CHUNK_DAYS):
            chunk = dates[i : i + SCOREBOARD_CHUNK_DAYS]
            await self._collect(requests[i : i + SCOREBOARD_CHUNK_DAYS], handle, "scoreboards")
            mark = store.get_watermark(self.conn, "scoreboard")
            new_mark = min(chunk[-1], as_of)
            if mark is None or (chunk[0] <= mark + dt.timedelta(days=1) and new_mark > mark):
                self._set_watermark("scoreboard", new_mark)

    def pending_summaries(self) -> list[str]:
        """Event ids of final games (:func:`hoopcast_common.games.is_final_sql`, on or after the
        box-score horizon) without a parsed summary or a stored box score."""
        rows = self.conn.execute(
            f"SELECT g.event_id FROM core.games g WHERE {is_final_sql('g')}"
            " AND (CAST(? AS DATE) IS NULL OR g.game_date >= CAST(? AS DATE))"
            " AND NOT EXISTS (SELECT 1 FROM raw.responses r WHERE r.endpoint = 'summary'"
            "   AND r.request_key = g.event_id AND r.status = 200 AND r.parse_error IS NULL)"
            # A summary whose box score is stored but whose betting line was malformed
            # (reported in its parse_error) is not fetched again for the box score.
            " AND NOT EXISTS (SELECT 1 FROM core.team_game_stats t"
            "   WHERE t.event_id = g.event_id)"
            " ORDER BY g.game_date, g.event_id",
            [self.options.summaries_from, self.options.summaries_from],
        ).fetchall()
        return [str(r[0]) for r in rows]

    async def collect_summaries(self, as_of: dt.date) -> None:
        """Fetch summaries of final games not yet stored (box scores → core stats tables)."""
        events = self.pending_summaries()
        requests = [Request("summary", e, "summary", {"event": e}) for e in events]

        def handle(fetched: Fetched, _rid: int) -> parse.ParseResult | None:
            if fetched.status != 200:
                self.ctx.count("http_errors")
                raise parse.ParseError(fetched.url, "$", f"HTTP {fetched.status}")
            return parse.parse_summary(fetched.body, fetched.url, fetched.request.request_key)

        await self._collect(requests, handle, "summaries")
        self._set_watermark("summaries", as_of)

    def pregame_due(self, as_of: dt.date) -> list[str]:
        """Event ids of scheduled games whose summary (betting line, ESPN's predictor) is due
        before tip-off, soonest tip-off first, at most ``lines_max_per_run``.

        A game is a candidate when :func:`hoopcast_common.games.upcoming_sql` holds for the
        window :func:`~hoopcast_common.games.upcoming_window` (``as_of`` + look-ahead days)
        at the run's moment (the client's clock: the pipeline's clock, ``--now``), and it is
        not postponed/canceled. It is due when its summary was never fetched before tip-off,
        or last fetched on an earlier game day (US Eastern), or it tips off within
        ``lines_refresh_hours`` of the run's moment (then every run).
        """
        if self.options.lines_max_per_run <= 0:
            return []
        moment = self.client.clock()
        first, last = upcoming_window(as_of, self.options.lookahead_days)
        rows = self.conn.execute(
            "SELECT g.event_id, g.start_time_utc, (SELECT max(r.last_fetched_at)"
            "   FROM raw.responses r WHERE r.endpoint = 'summary_pregame'"
            "   AND r.request_key = g.event_id) AS last_fetch"
            f" FROM core.games g WHERE {upcoming_sql('g')}"
            f" AND g.status NOT IN ({', '.join(repr(s) for s in CLOSED_STATUSES)})"
            " ORDER BY g.start_time_utc NULLS LAST, g.event_id",
            [first, last, moment],
        ).fetchall()
        soon = moment + dt.timedelta(hours=self.options.lines_refresh_hours)
        due = [
            str(event_id)
            for event_id, start, last_fetch in rows
            if last_fetch is None
            or game_day(last_fetch) < game_day(moment)
            or (start is not None and start <= soon)
        ]
        self.ctx.extra["pregame"] = {"candidates": len(rows), "due": len(due)}
        return due[: self.options.lines_max_per_run]

    async def collect_pregame_summaries(self, as_of: dt.date) -> None:
        """Fetch the summaries of scheduled games in the forecast window (see
        :meth:`pregame_due`) into ``core.betting_lines`` and ``core.espn_predictions``; kept
        in ``raw.responses`` under endpoint ``summary_pregame`` (so a final game's box-score
        summary is still fetched once it is final)."""
        events = self.pregame_due(as_of)
        requests = [Request("summary_pregame", e, "summary", {"event": e}) for e in events]

        def handle(fetched: Fetched, _rid: int) -> parse.ParseResult | None:
            if fetched.status != 200:
                self.ctx.count("http_errors")
                raise parse.ParseError(fetched.url, "$", f"HTTP {fetched.status}")
            return parse.parse_summary(
                fetched.body, fetched.url, fetched.request.request_key, box_score=False
            )

        self.ctx.count("pregame_summaries", len(requests))
        await self._collect(requests, handle, "pregame summaries")

    async def collect_rosters(self, as_of: dt.date, force: bool = False) -> None:
        """Fetch the roster of every D1 team, at most every ``roster_refresh_days``."""
        mark = store.get_watermark(self.conn, "rosters")
        if (
            not force
            and mark is not None
            and (as_of - mark).days < self.options.roster_refresh_days
            and mark <= as_of
        ):
            log.info(
                "rosters: collected on %s, refreshed every %d days",
                mark,
                self.options.roster_refresh_days,
            )
            self.ctx.extra.setdefault("fresh", []).append("rosters")
            return
        teams = [
            str(r[0])
            for r in self.conn.execute(
                "SELECT team_id FROM core.teams WHERE is_d1 ORDER BY team_id"
            ).fetchall()
        ]
        requests = [Request("roster", t, f"teams/{t}/roster") for t in teams]

        def handle(fetched: Fetched, _rid: int) -> parse.ParseResult | None:
            if fetched.status == 404:
                self.ctx.count("rosters_missing")
                return None
            if fetched.status != 200:
                self.ctx.count("http_errors")
                raise parse.ParseError(fetched.url, "$", f"HTTP {fetched.status}")
            return parse.parse_roster(fetched.body, fetched.url, fetched.request.request_key)

        await self._collect(requests, handle, "rosters")
        self._set_watermark("rosters", as_of)

    def _set_watermark(self, collector: str, day: dt.date) -> None:
        with transaction(self.conn):
            store.set_watermark(self.conn, collector, day)


#: Raw endpoints whose bodies carry betting lines or ESPN's predictor.
LINE_ENDPOINTS = ("scoreboard", "summary", "summary_pregame")


def rederive_lines(conn: duckdb.DuckDBPyConnection, ctx: RunContext, batch_size: int = 250) -> None:
    """Derive ``core.betting_lines`` and ``core.espn_predictions`` again from the stored raw
    responses (200, body kept) of :data:`LINE_ENDPOINTS`, without any HTTP request: e.g. for
    responses stored before these tables existed, or after a parser fix. Rows are upserted
    by their key (same response → same row); nothing is deleted. One transaction per
    ``batch_size`` responses.

    Counts in ``ctx``: ``responses_read``, ``lines_stored``, ``espn_predictions_stored``,
    ``parse_errors`` (raw.responses.parse_error is left as it is).
    """
    cursor = conn.cursor()
    try:
        cursor.execute(
            "SELECT response_id, endpoint, request_key, url, fetched_at, body FROM raw.responses"
            f" WHERE endpoint IN ({', '.join(repr(e) for e in LINE_ENDPOINTS)})"
            " AND status = 200 AND body IS NOT NULL ORDER BY response_id"
        )
        while batch := cursor.fetchmany(batch_size):
            rows: dict[str, list[store.Row]] = {}
            for response_id, endpoint, key, url, fetched_at, body in batch:
                try:
                    if endpoint == "scoreboard":
                        day = dt.datetime.strptime(key, "%Y%m%d").date()
                        result = parse.parse_scoreboard(body, url, day)
                    else:
                        result = parse.parse_summary(body, url, key, box_score=False)
                except parse.ParseError as exc:
                    result = parse.ParseResult(errors=[exc])
                except ValueError as exc:  # a scoreboard key that is not a date
                    result = parse.ParseResult(errors=[parse.ParseError(url, "$", str(exc))])
                ctx.count("parse_errors", len(result.errors))
                for table in store.PER_FETCH:
                    for row in result.rows.get(table, []):
                        row["response_id"] = response_id
                        row["fetched_at"] = fetched_at
                        rows.setdefault(table, []).append(row)
            with transaction(conn):
                ctx.count(
                    "lines_stored",
                    store.upsert(conn, "betting_lines", rows.get("betting_lines", [])),
                )
                ctx.count(
                    "espn_predictions_stored",
                    store.upsert(conn, "espn_predictions", rows.get("espn_predictions", [])),
                )
            ctx.count("responses_read", len(batch))
    finally:
        cursor.close()


def progress_context(enabled: bool) -> AbstractContextManager[Any]:
    """A rich progress bar on stderr when ``enabled`` (a TTY), else a no-op context."""
    if not enabled:
        return nullcontext(None)
    from rich.console import Console
    from rich.progress import (
        BarColumn,
        MofNCompleteColumn,
        TextColumn,
        TimeElapsedColumn,
    )
    from rich.progress import (
        Progress as RichProgress,
    )

    return RichProgress(
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=Console(stderr=True),
        transient=False,
    )
