"""Warehouse storage: what the tables hold, and the explicit, conservative retention of raw
response bodies (``hoopcast-ingestion storage [--prune]``).

``raw.responses`` keeps every response as received, and the data already collected stays:
nothing is pruned unless ``storage --prune`` is run. Pruning empties the ``body`` of a raw
response (its row stays: url, params, status, fetched_at, last_fetched_at, sha256,
parse_error) only when **all** of these hold (:data:`PRUNABLE_SQL`):

* it was answered 200 and normalized without error (``parse_error`` NULL): a body that could
  not be normalized is kept, so that it can be derived again once the parser is fixed;
* it is not the latest body of its request: a body of the same ``(endpoint, request_key)``
  fetched more recently exists and was also normalized without error, so the current
  ``core`` rows can still be derived again from the raw layer;
* it was last fetched more than ``HOOPCAST_RAW_RETENTION_DAYS`` (default
  :data:`DEFAULT_RETENTION_DAYS`) before the run's game day.

So a final game's box-score summary (fetched once) is never pruned; what goes are the older
versions of scoreboards re-fetched while their games were scheduled, superseded team pages and
rosters, and superseded pre-game summaries (their betting lines and predictions stay in
``core``, one row per fetch).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

import duckdb
from hoopcast_common.db import transaction
from hoopcast_common.games import game_day_start

#: Days a superseded raw body is kept by default (two seasons).
DEFAULT_RETENTION_DAYS = 730

#: SQL condition over ``raw.responses r`` with one parameter (the cut-off TIMESTAMPTZ): the
#: body may be pruned (see the module docstring).
PRUNABLE_SQL = (
    "r.body IS NOT NULL AND r.status = 200 AND r.parse_error IS NULL"
    " AND r.last_fetched_at < ?"
    " AND EXISTS (SELECT 1 FROM raw.responses n WHERE n.endpoint = r.endpoint"
    "   AND n.request_key = r.request_key AND n.status = 200 AND n.parse_error IS NULL"
    "   AND n.last_fetched_at > r.last_fetched_at)"
)


@dataclass(frozen=True)
class TableSize:
    """Size of one table: ``rows``; ``bytes`` = distinct storage blocks × block size (an
    approximation of its share of the file after a checkpoint; small tables that share a
    block are each counted with it)."""

    schema: str
    table: str
    rows: int
    bytes: int


@dataclass(frozen=True)
class EndpointSize:
    """Raw responses of one endpoint: ``responses`` rows, ``bodies`` rows still holding a
    body, ``body_bytes`` (UTF-8 bytes of the stored bodies, uncompressed) and ``prunable``
    bodies / ``prunable_bytes`` under the retention rule."""

    endpoint: str
    responses: int
    bodies: int
    body_bytes: int
    prunable: int
    prunable_bytes: int


def cutoff(as_of: dt.date, retention_days: int) -> dt.datetime:
    """The moment before which a superseded body may be pruned: the start (US Eastern) of
    ``as_of`` minus ``retention_days`` days, UTC.

    Raises:
        ValueError: ``retention_days`` is negative.
    """
    if retention_days < 0:
        raise ValueError(f"retention of {retention_days} days: must be 0 or more")
    return game_day_start(as_of) - dt.timedelta(days=retention_days)


def table_sizes(conn: duckdb.DuckDBPyConnection) -> list[TableSize]:
    """Rows and approximate bytes of every table of the open database, by schema and table.

    Reads ``duckdb_tables()`` and ``pragma_storage_info`` (checkpointed blocks only: run a
    ``CHECKPOINT`` first for figures of the whole file)."""
    block_size = conn.execute("SELECT block_size FROM pragma_database_size()").fetchone()
    size = int(block_size[0]) if block_size and block_size[0] else 0
    tables = conn.execute(
        "SELECT schema_name, table_name FROM duckdb_tables()"
        " WHERE database_name = current_database() ORDER BY 1, 2"
    ).fetchall()
    result = []
    for schema, table in tables:
        name = f'"{schema}"."{table}"'
        rows = conn.execute(f"SELECT count(*) FROM {name}").fetchone()
        blocks = conn.execute(
            "SELECT count(DISTINCT block_id) FILTER (WHERE block_id >= 0)"
            " FROM pragma_storage_info(?)",
            [f"{schema}.{table}"],
        ).fetchone()
        result.append(
            TableSize(
                schema,
                table,
                int(rows[0]) if rows else 0,
                (int(blocks[0]) if blocks and blocks[0] else 0) * size,
            )
        )
    return result


def raw_sizes(conn: duckdb.DuckDBPyConnection, before: dt.datetime) -> list[EndpointSize]:
    """``raw.responses`` by endpoint, with what the retention rule would prune for the
    cut-off ``before`` (:func:`cutoff`)."""
    rows = conn.execute(
        "SELECT r.endpoint, count(*), count(r.body), coalesce(sum(strlen(r.body)), 0),"
        f" count(*) FILTER (WHERE {PRUNABLE_SQL}),"
        f" coalesce(sum(strlen(r.body)) FILTER (WHERE {PRUNABLE_SQL}), 0)"
        " FROM raw.responses r GROUP BY 1 ORDER BY 1",
        [before, before],
    ).fetchall()
    return [EndpointSize(str(r[0]), *(int(v) for v in r[1:])) for r in rows]


def prune(conn: duckdb.DuckDBPyConnection, before: dt.datetime) -> tuple[int, int]:
    """Empty the prunable bodies (:data:`PRUNABLE_SQL` with cut-off ``before``) in one
    transaction, then checkpoint so the space can be reused.

    Returns:
        (bodies pruned, their bytes).
    """
    with transaction(conn):
        found = conn.execute(
            "SELECT count(*), coalesce(sum(strlen(r.body)), 0) FROM raw.responses r"
            f" WHERE {PRUNABLE_SQL}",
            [before],
        ).fetchone()
        n, size = (int(found[0]), int(found[1])) if found else (0, 0)
        if n:
            conn.execute(
                "UPDATE raw.responses SET body = NULL WHERE response_id IN"
                f" (SELECT r.response_id FROM raw.responses r WHERE {PRUNABLE_SQL})",
                [before],
            )
    conn.execute("CHECKPOINT")
    return n, size


def file_size(conn: duckdb.DuckDBPyConnection) -> dict[str, Any]:
    """``pragma_database_size()`` of the open database: ``block_size``, ``total_blocks``,
    ``used_blocks``, ``free_blocks`` and ``bytes`` (total blocks × block size)."""
    row = conn.execute(
        "SELECT block_size, total_blocks, used_blocks, free_blocks FROM pragma_database_size()"
        " WHERE database_name = current_database()"
    ).fetchone()
    if row is None:
        return {}
    block_size, total, used, free = (int(v) for v in row)
    return {
        "block_size": block_size,
        "total_blocks": total,
        "used_blocks": used,
        "free_blocks": free,
        "bytes": total * block_size,
    }
