"""Writes to the warehouse: ``raw.responses`` first, then bulk upserts into ``core``.

Rows travel as Arrow tables registered on the DuckDB connection and are written with one
``INSERT ... SELECT ... ON CONFLICT DO UPDATE`` per table and batch (no per-row statements).
Callers wrap a batch in :func:`hoopcast_common.db.transaction` so that a batch is stored
whole or not at all.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import hashlib
import json
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import duckdb
import pyarrow as pa

from hoopcast_ingestion.client import Fetched
from hoopcast_ingestion.parse import PLAYER_STAT_COLUMNS, TEAM_STAT_COLUMNS

Row = dict[str, Any]


@dataclass(frozen=True)
class TableSpec:
    """How a core table is upserted: its key, and columns whose stored value a NULL must not
    overwrite (``coalesce``) or that an update must leave alone (``keep``)."""

    table: str
    key: tuple[str, ...]
    columns: tuple[str, ...]
    coalesce: tuple[str, ...] = ()
    keep: tuple[str, ...] = ()


TEAM_COLUMNS = [
    "team_id",
    "uid",
    "slug",
    "abbreviation",
    "display_name",
    "short_display_name",
    "name",
    "location",
    "color",
    "alternate_color",
    "is_active",
    "is_d1",
    "conference_id",
    "logo_url",
]
SPECS: dict[str, TableSpec] = {
    # Authoritative team list (/teams): every column, is_d1 true.
    "teams": TableSpec(
        "core.teams", ("team_id",), tuple(TEAM_COLUMNS), coalesce=tuple(TEAM_COLUMNS)
    ),
    # Teams seen as scoreboard competitors: fill gaps, never decide is_d1 of a known team.
    "scoreboard_teams": TableSpec(
        "core.teams",
        ("team_id",),
        tuple(TEAM_COLUMNS),
        coalesce=tuple(TEAM_COLUMNS),
        keep=("is_d1",),
    ),
    "games": TableSpec(
        "core.games",
        ("event_id",),
        tuple(
            [
                "event_id",
                "season",
                "season_type",
                "game_date",
                "start_time_utc",
                "status",
                "status_state",
                "completed",
                "neutral_site",
                "conference_competition",
                "home_team_id",
                "away_team_id",
                "home_score",
                "away_score",
                "periods",
                "venue_id",
                "venue_name",
                "attendance",
                "source_response_id",
            ]
        ),
    ),
    "players": TableSpec(
        "core.players",
        ("player_id",),
        tuple(
            [
                "player_id",
                "display_name",
                "full_name",
                "jersey",
                "position",
                "height_in",
                "weight_lb",
                "experience_years",
                "experience_abbr",
                "team_id",
            ]
        ),
        coalesce=tuple(
            [
                "display_name",
                "full_name",
                "jersey",
                "position",
                "height_in",
                "weight_lb",
                "experience_years",
                "experience_abbr",
            ]
        ),
    ),
    "rosters": TableSpec(
        "core.rosters",
        ("team_id", "season", "player_id"),
        ("team_id", "season", "player_id", "jersey", "position"),
    ),
    "team_game_stats": TableSpec(
        "core.team_game_stats",
        ("event_id", "team_id"),
        ("event_id", "team_id", "home_away", "points", *TEAM_STAT_COLUMNS),
    ),
    "player_game_stats": TableSpec(
        "core.player_game_stats",
        ("event_id", "player_id"),
        ("event_id", "player_id", "team_id", "starter", "did_not_play", *PLAYER_STAT_COLUMNS),
    ),
    # The line moves: one row per provider and fetched response (never overwritten by a
    # later fetch; the same response derived again writes the same values).
    "betting_lines": TableSpec(
        "core.betting_lines",
        ("event_id", "provider_id", "source", "fetched_at"),
        (
            "event_id",
            "provider_id",
            "source",
            "fetched_at",
            "provider_name",
            "home_spread",
            "total",
            "home_moneyline",
            "away_moneyline",
            "details",
            "response_id",
        ),
    ),
    "espn_predictions": TableSpec(
        "core.espn_predictions",
        ("event_id", "fetched_at"),
        ("event_id", "fetched_at", "home_team_id", "home_win_prob", "away_win_prob", "response_id"),
    ),
}

#: Tables whose rows carry the ``fetched_at`` and ``response_id`` of their raw response.
PER_FETCH = ("betting_lines", "espn_predictions")

_TYPES: dict[str, pa.DataType] = {
    "season": pa.int32(),
    "season_type": pa.int32(),
    "game_date": pa.date32(),
    "start_time_utc": pa.timestamp("us", tz="UTC"),
    "completed": pa.bool_(),
    "neutral_site": pa.bool_(),
    "conference_competition": pa.bool_(),
    "is_active": pa.bool_(),
    "is_d1": pa.bool_(),
    "starter": pa.bool_(),
    "did_not_play": pa.bool_(),
    "height_in": pa.float64(),
    "weight_lb": pa.float64(),
    "source_response_id": pa.int64(),
    "fetched_at": pa.timestamp("us", tz="UTC"),
    "home_spread": pa.float64(),
    "total": pa.float64(),
    "home_win_prob": pa.float64(),
    "away_win_prob": pa.float64(),
    "response_id": pa.int64(),
}
_INT_COLUMNS = {
    "home_score",
    "away_score",
    "periods",
    "attendance",
    "experience_years",
    "points",
    "home_moneyline",
    "away_moneyline",
    *TEAM_STAT_COLUMNS,
    *PLAYER_STAT_COLUMNS,
}


def _arrow(rows: Sequence[Row], columns: Sequence[str]) -> pa.Table:
    arrays = []
    for col in columns:
        kind = _TYPES.get(col) or (pa.int32() if col in _INT_COLUMNS else pa.string())
        arrays.append(pa.array([r.get(col) for r in rows], type=kind))
    return pa.Table.from_arrays(arrays, names=list(columns))


def _unregister(conn: duckdb.DuckDBPyConnection, name: str) -> None:
    """Drop a registered Arrow view; in an aborted transaction this fails, and the view dies
    with the connection, so the original error must not be masked."""
    with contextlib.suppress(duckdb.TransactionException):
        conn.unregister(name)


def _dedupe(rows: Sequence[Row], key: Sequence[str]) -> list[Row]:
    """Last row wins per key (ON CONFLICT cannot update one row twice in one statement)."""
    by_key: dict[tuple[Any, ...], Row] = {}
    for row in rows:
        by_key[tuple(row[k] for k in key)] = row
    return list(by_key.values())


def upsert(conn: duckdb.DuckDBPyConnection, spec_name: str, rows: Sequence[Row]) -> int:
    """Bulk upsert ``rows`` into the table of ``SPECS[spec_name]``; returns distinct rows
    written. Missing keys in a row mean NULL.

    Raises:
        duckdb.Error: constraint violations (e.g. a NULL in a NOT NULL column).
    """
    if not rows:
        return 0
    spec = SPECS[spec_name]
    unique = _dedupe(rows, spec.key)
    table = _arrow(unique, spec.columns)
    name = f"_batch_{spec_name}"
    conn.register(name, table)
    try:
        cols = ", ".join(spec.columns)
        sets = []
        for col in spec.columns:
            if col in spec.key or col in spec.keep:
                continue
            if col in spec.coalesce:
                sets.append(f"{col} = coalesce(excluded.{col}, {col})")
            else:
                sets.append(f"{col} = excluded.{col}")
        sets.append("updated_at = now()")
        select = ", ".join(
            f"coalesce({c}, false) AS {c}" if c == "is_d1" else c for c in spec.columns
        )
        conn.execute(
            f"INSERT INTO {spec.table} ({cols}) SELECT {select} FROM {name} "
            f"ON CONFLICT ({', '.join(spec.key)}) DO UPDATE SET {', '.join(sets)}"
        )
    finally:
        _unregister(conn, name)
    return len(unique)


def store_raw(conn: duckdb.DuckDBPyConnection, responses: Sequence[Fetched]) -> list[int]:
    """Insert responses into ``raw.responses``; an unchanged body (same endpoint, request
    key and sha256) only bumps ``last_fetched_at`` and ``status``.

    Returns:
        the ``response_id`` of each response, in input order.
    """
    if not responses:
        return []
    rows = []
    for i, r in enumerate(responses):
        rows.append(
            {
                "i": i,
                "endpoint": r.request.endpoint,
                "request_key": r.request.request_key,
                "url": r.url,
                "params": json.dumps(dict(r.request.params), sort_keys=True),
                "status": r.status,
                "fetched_at": r.fetched_at,
                "body": r.body,
                "sha256": hashlib.sha256(r.body.encode()).hexdigest(),
            }
        )
    unique = _dedupe(rows, ("endpoint", "request_key", "sha256"))
    batch = pa.Table.from_pylist(
        rows,
        schema=pa.schema(
            [
                ("i", pa.int64()),
                ("endpoint", pa.string()),
                ("request_key", pa.string()),
                ("url", pa.string()),
                ("params", pa.string()),
                ("status", pa.int32()),
                ("fetched_at", pa.timestamp("us", tz="UTC")),
                ("body", pa.string()),
                ("sha256", pa.string()),
            ]
        ),
    )
    unique_table = batch.take([u["i"] for u in unique])
    conn.register("_raw_batch", unique_table)
    conn.register("_raw_all", batch.select(["i", "endpoint", "request_key", "sha256"]))
    try:
        conn.execute(
            "INSERT INTO raw.responses (endpoint, request_key, url, params, status, fetched_at,"
            " last_fetched_at, body, sha256) SELECT endpoint, request_key, url, params::JSON,"
            " status, fetched_at, fetched_at, body, sha256 FROM _raw_batch"
            " ON CONFLICT (endpoint, request_key, sha256) DO UPDATE SET"
            " last_fetched_at = excluded.last_fetched_at, status = excluded.status"
        )
        found = conn.execute(
            "SELECT a.i, r.response_id FROM _raw_all a JOIN raw.responses r"
            " USING (endpoint, request_key, sha256)"
        ).fetchall()
    finally:
        _unregister(conn, "_raw_batch")
        _unregister(conn, "_raw_all")
    ids = dict(found)
    return [int(ids[i]) for i in range(len(responses))]


def clock_start(conn: duckdb.DuckDBPyConnection, moment: dt.datetime) -> dt.datetime:
    """Where a run's fetch clock starts: ``moment`` (the run's moment on the pipeline's clock,
    aware), or just after the latest ``raw.responses.last_fetched_at`` when that is later (a
    retry or re-run of the same moment), so that fetch times never go backwards and "the
    latest fetch" of a request stays the one received last."""
    row = conn.execute("SELECT max(last_fetched_at) FROM raw.responses").fetchone()
    latest: dt.datetime | None = row[0] if row else None
    if latest is None or latest < moment:
        return moment
    return latest.astimezone(dt.UTC) + dt.timedelta(microseconds=1)


def fetched_at_of(
    conn: duckdb.DuckDBPyConnection, response_ids: Sequence[int]
) -> dict[int, dt.datetime]:
    """``raw.responses.fetched_at`` (when that body was first received, UTC) by response id."""
    if not response_ids:
        return {}
    rows = conn.execute(
        "SELECT response_id, fetched_at FROM raw.responses WHERE response_id IN"
        " (SELECT unnest(?::BIGINT[]))",
        [list(response_ids)],
    ).fetchall()
    return {int(r[0]): r[1] for r in rows}


def set_parse_errors(
    conn: duckdb.DuckDBPyConnection, errors: Sequence[tuple[int, str | None]]
) -> None:
    """Set ``raw.responses.parse_error`` (None clears it) for ``(response_id, error)`` pairs."""
    if not errors:
        return
    table = pa.table(
        {
            "response_id": pa.array([e[0] for e in errors], type=pa.int64()),
            "err": pa.array([e[1] for e in errors], type=pa.string()),
        }
    )
    conn.register("_parse_errors", table)
    try:
        conn.execute(
            "UPDATE raw.responses SET parse_error = e.err FROM _parse_errors e"
            " WHERE raw.responses.response_id = e.response_id"
            " AND raw.responses.parse_error IS DISTINCT FROM e.err"
        )
    finally:
        _unregister(conn, "_parse_errors")


def get_watermark(conn: duckdb.DuckDBPyConnection, collector: str) -> dt.date | None:
    """``ops.watermarks.watermark`` of ``collector`` (None when never run)."""
    row = conn.execute(
        "SELECT watermark FROM ops.watermarks WHERE collector = ?", [collector]
    ).fetchone()
    return None if row is None or row[0] is None else row[0]  # type: ignore[no-any-return]


def set_watermark(conn: duckdb.DuckDBPyConnection, collector: str, day: dt.date) -> None:
    """Upsert the watermark of ``collector``."""
    conn.execute(
        "INSERT INTO ops.watermarks (collector, watermark, updated_at) VALUES (?, ?, now())"
        " ON CONFLICT (collector) DO UPDATE SET watermark = excluded.watermark,"
        " updated_at = excluded.updated_at",
        [collector, day],
    )
