"""Generate, stage and store forecasts of upcoming games, and backtest predictions of past ones.

Daily forecasts: a run on game day D (``--as-of``) at the moment ``now`` on the pipeline's
clock (``--now``, :func:`hoopcast_common.clock.resolve_now`) forecasts every game not yet tipped
off at ``now`` and dated
D .. D + days (:func:`hoopcast_common.games.upcoming_window`), with one row per active model
(the production model of each model name and every active challenger) in
``predictions.predictions`` (``run_kind = 'daily'``, ``forecast_at = now``, ``model_role`` =
production / challenger). Rows are keyed by (event_id, model_name, model_version, run_kind,
forecast_at): every daily run adds a forecast (history); re-running the same moment replaces
its own rows. Games whose feature row carries ``quality_flags`` are withheld (not forecast)
and listed in the run summary and the batch record.

Each run is a **batch** (batch_id = the run's id) recorded in ``predictions.forecast_batches``:
the games it forecast, those it withheld and the model versions. Writing a batch and checking
it (:func:`verify_batch`) happen in one transaction.

Backtests predict final games with their point-in-time feature rows (a game's features use
only games finished before it) and store them with ``run_kind = 'backtest'``,
``as_of = game_date - 1 day`` and ``forecast_at`` = 09:00 US Eastern of that day.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import duckdb
import pandas as pd
from hoopcast_common.clock import default_moment
from hoopcast_common.db import merge_rows, one, transaction
from hoopcast_common.errors import BadInputError, NothingToDoError
from hoopcast_common.games import upcoming_window
from hoopcast_ml import registry
from hoopcast_ml.feature_table import QUALITY_FLAGS, feature_columns, load_upcoming
from hoopcast_ml.model import GameModel

log = logging.getLogger(__name__)

PREDICTION_COLUMNS = [
    "event_id",
    "model_name",
    "model_version",
    "model_role",
    "forecast_at",
    "predicted_at",
    "as_of",
    "run_kind",
    "game_date",
    "home_team_id",
    "away_team_id",
    "home_win_prob",
    "predicted_margin",
    "batch_id",
]
KEY_COLUMNS = ["event_id", "model_name", "model_version", "run_kind", "forecast_at"]
"""Primary key of ``predictions.predictions``."""


@dataclass
class ServingModel:
    """A registry entry with its loaded model."""

    entry: registry.RegistryEntry
    model: GameModel


def load_active_models(conn: duckdb.DuckDBPyConnection, model_dir: Path) -> list[ServingModel]:
    """Load the production model and active challengers of every model name.

    Raises:
        BadInputError: no production model (names the fix), or an artefact is missing/corrupt
            (names the file).
    """
    entries = registry.active_models(conn)
    if not any(e.stage == "production" for e in entries):
        raise BadInputError(
            "no production model in ml.model_registry: run `hoopcast-trainer train` (the gate "
            "promotes a model that beats the Elo baseline) or `hoopcast-trainer promote VERSION`"
        )
    return [ServingModel(e, registry.load_model(model_dir, e)) for e in entries]


def load_model_version(
    conn: duckdb.DuckDBPyConnection, model_dir: Path, version: str | None
) -> ServingModel:
    """The model a backtest uses: ``version`` (of any model name) or the production model.

    Raises:
        NothingToDoError: ``version`` None and no production model yet (nothing to backtest:
            the prediction DAG's backtest_model task skips).
        BadInputError: unknown version or a corrupt artefact.
    """
    if version is None:
        entries = [e for e in registry.active_models(conn) if e.stage == "production"]
        if not entries:
            raise NothingToDoError(
                "no production model in ml.model_registry yet: nothing to backtest (pass "
                "--model VERSION for a candidate, or run `hoopcast-trainer train`)"
            )
        entry = entries[0]
    else:
        matches = [e for e in registry.list_models(conn) if e.version == version]
        if not matches:
            known = [e.version for e in registry.list_models(conn)]
            raise BadInputError(f"--model {version!r} is not registered (known: {known})")
        entry = matches[0]
    return ServingModel(entry, registry.load_model(model_dir, entry))


def upcoming_games(
    conn: duckdb.DuckDBPyConnection, as_of: dt.date, days: int, now: dt.datetime
) -> pd.DataFrame:
    """Games not yet tipped off at ``now``, dated ``as_of`` .. ``as_of + days``, with their
    feature rows (:func:`hoopcast_ml.feature_table.load_upcoming`; ``quality_flags`` included).

    Raises:
        BadInputError: ``days`` < 0 or features missing.
    """
    if days < 0:
        raise BadInputError(f"--days {days}: must be 0 or more")
    first, last = upcoming_window(as_of, days)
    return load_upcoming(conn, feature_columns(conn), first_day=first, last_day=last, now=now)


def withhold_flagged(games: pd.DataFrame) -> tuple[pd.DataFrame, dict[str, str]]:
    """Split off games whose feature row has ``quality_flags`` (value-range outliers).

    Returns ``(games to forecast, {event_id: quality_flags} withheld)``.
    """
    if QUALITY_FLAGS not in games.columns:
        return games, {}
    flagged = games[QUALITY_FLAGS].notna()
    withheld = {
        str(e): str(f)
        for e, f in zip(
            games.loc[flagged, "event_id"], games.loc[flagged, QUALITY_FLAGS], strict=True
        )
    }
    return games[~flagged].reset_index(drop=True), withheld


def predict_frame(
    models: list[ServingModel],
    games: pd.DataFrame,
    *,
    as_of: dt.date | None,
    run_kind: str,
    forecast_at: dt.datetime | None,
    predicted_at: dt.datetime,
    batch_id: str,
) -> pd.DataFrame:
    """One prediction row per (game, model): columns :data:`PREDICTION_COLUMNS`.

    ``as_of`` None (backtests) sets each row's as_of to its game date minus one day and
    ``forecast_at`` None sets it to 09:00 US Eastern of that as_of
    (:func:`hoopcast_common.clock.default_moment`).
    """
    frames: list[pd.DataFrame] = []
    game_dates = [d.date() for d in pd.to_datetime(games["game_date"])]
    as_ofs = (
        [as_of] * len(games)
        if as_of is not None
        else [d - dt.timedelta(days=1) for d in game_dates]
    )
    moments = (
        [forecast_at] * len(games)
        if forecast_at is not None
        else [default_moment(d) for d in as_ofs]
    )
    for serving in models:
        prob, margin = serving.model.predict(games)
        frame = pd.DataFrame(
            {
                "event_id": games["event_id"].astype(str).to_numpy(),
                "model_name": serving.entry.model_name,
                "model_version": serving.entry.version,
                "model_role": serving.entry.serving_role,
                "forecast_at": pd.to_datetime(pd.Series(moments), utc=True),
                "predicted_at": predicted_at,
                "as_of": pd.Series(as_ofs, dtype="object"),
                "run_kind": run_kind,
                "game_date": pd.Series(game_dates, dtype="object"),
                "home_team_id": games["home_team_id"].astype(str).to_numpy(),
                "away_team_id": games["away_team_id"].astype(str).to_numpy(),
                "home_win_prob": prob,
                "predicted_margin": margin,
                "batch_id": batch_id,
            }
        )
        frames.append(frame)
    if not frames:
        return pd.DataFrame(columns=PREDICTION_COLUMNS)
    return pd.concat(frames, ignore_index=True)[PREDICTION_COLUMNS]


@dataclass
class Batch:
    """What one predict run was asked to forecast: ``event_ids`` x ``models``.

    ``models`` are ``(model_name, model_version, role)``; ``withheld`` maps event ids not
    forecast to their quality flags.
    """

    batch_id: str
    as_of: dt.date
    forecast_at: dt.datetime
    first_day: dt.date
    last_day: dt.date
    event_ids: list[str]
    models: list[tuple[str, str, str]]
    withheld: dict[str, str] = field(default_factory=dict)

    def summary(self) -> dict[str, Any]:
        """Facts for the run summary (JSON-safe)."""
        return {
            "batch_id": self.batch_id,
            "forecast_at": self.forecast_at.isoformat(),
            "window": f"{self.first_day}..{self.last_day}",
            "models": [f"{n} {v} ({r})" for n, v, r in self.models],
            "withheld": self.withheld,
        }


def record_batch(conn: duckdb.DuckDBPyConnection, batch: Batch, *, stored: bool) -> None:
    """Insert (or replace) the ``predictions.forecast_batches`` row of ``batch`` (call inside
    a transaction)."""
    conn.execute("DELETE FROM predictions.forecast_batches WHERE batch_id = ?", [batch.batch_id])
    conn.execute(
        "INSERT INTO predictions.forecast_batches (batch_id, as_of, forecast_at, "
        "first_day, last_day, event_ids, withheld, models, stored_at) "
        "VALUES (?, ?, ?, ?, ?, ?, ?, ?, CASE WHEN ? THEN current_timestamp END)",
        [
            batch.batch_id,
            batch.as_of,
            batch.forecast_at,
            batch.first_day,
            batch.last_day,
            json.dumps(batch.event_ids),
            json.dumps(batch.withheld),
            json.dumps([list(m) for m in batch.models]),
            stored,
        ],
    )


def load_batch(conn: duckdb.DuckDBPyConnection, batch_id: str) -> tuple[Batch, bool]:
    """The recorded batch ``batch_id`` and whether it was stored already.

    Raises:
        BadInputError: no such batch (names ``--batch-id``).
    """
    row = one(
        conn,
        "SELECT as_of, forecast_at, first_day, last_day, event_ids, withheld, models, "
        "stored_at IS NOT NULL FROM predictions.forecast_batches WHERE batch_id = ?",
        [batch_id],
    )
    if row is None:
        raise BadInputError(f"--batch-id {batch_id!r}: no forecast batch with this id")
    batch = Batch(
        batch_id=batch_id,
        as_of=row[0],
        forecast_at=row[1],
        first_day=row[2],
        last_day=row[3],
        event_ids=[str(e) for e in json.loads(row[4])],
        withheld={str(k): str(v) for k, v in dict(json.loads(row[5])).items()},
        models=[(str(m[0]), str(m[1]), str(m[2])) for m in json.loads(row[6])],
    )
    return batch, bool(row[7])


_INSERT_COLUMNS = ", ".join(PREDICTION_COLUMNS)
_STAGED_COLUMNS = ", ".join(c for c in PREDICTION_COLUMNS if c != "batch_id")


def fingerprint_outside(conn: duckdb.DuckDBPyConnection, rows: pd.DataFrame) -> tuple[int, int]:
    """``(count, sum of row hashes)`` of the ``predictions.predictions`` rows whose key is not
    among the keys of ``rows``: equal before and after a write = nothing else changed."""
    keys = rows[KEY_COLUMNS].drop_duplicates()
    conn.register("batch_keys", keys)
    try:
        row = one(
            conn,
            f"SELECT count(*), coalesce(sum(CAST(hash({_INSERT_COLUMNS}) AS HUGEINT)), 0) "
            "FROM predictions.predictions p WHERE NOT EXISTS (SELECT 1 FROM batch_keys k "
            "WHERE k.event_id = p.event_id AND k.model_name = p.model_name "
            "AND k.model_version = p.model_version AND k.run_kind = p.run_kind "
            "AND CAST(k.forecast_at AS TIMESTAMPTZ) = p.forecast_at)",
        )
    finally:
        conn.unregister("batch_keys")
    assert row is not None
    return int(row[0]), int(row[1])


def verify_batch(
    conn: duckdb.DuckDBPyConnection,
    batch_id: str,
    event_ids: list[str],
    models: list[tuple[str, str]],
    before: tuple[int, int],
    after: tuple[int, int],
) -> None:
    """Check a written batch: every game of ``event_ids`` has exactly one row of this batch
    from each model version of ``models`` ((model_name, model_version) pairs), the batch has
    no other row, and the rows outside the batch are unchanged (``before == after``, from
    :func:`fingerprint_outside`).

    Raises:
        BadInputError: what is wrong, with up to five examples (nothing is kept: the caller
            runs inside a transaction).
    """
    if before != after:
        raise BadInputError(
            f"batch {batch_id}: rows outside the batch changed while storing it "
            f"(count/hash {before} -> {after})"
        )
    expected = pd.DataFrame(
        [(e, n, v) for e in event_ids for n, v in models],
        columns=["event_id", "model_name", "model_version"],
    )
    conn.register("expected_forecasts", expected)
    try:
        problems = conn.execute(
            "WITH got AS (SELECT event_id, model_name, model_version, count(*) AS n "
            " FROM predictions.predictions WHERE batch_id = ? "
            " GROUP BY event_id, model_name, model_version) "
            "SELECT coalesce(e.event_id, g.event_id), coalesce(e.model_name, g.model_name), "
            " coalesce(e.model_version, g.model_version), coalesce(g.n, 0), "
            " e.event_id IS NOT NULL "
            "FROM expected_forecasts e FULL OUTER JOIN got g ON g.event_id = e.event_id "
            " AND g.model_name = e.model_name AND g.model_version = e.model_version "
            "WHERE e.event_id IS NULL OR coalesce(g.n, 0) <> 1 ORDER BY 1, 2, 3",
            [batch_id],
        ).fetchall()
    finally:
        conn.unregister("expected_forecasts")
    if problems:
        examples = "; ".join(
            f"{e} {n} {v}: {c} row(s){'' if wanted else ' not in the batch'}"
            for e, n, v, c, wanted in problems[:5]
        )
        raise BadInputError(
            f"batch {batch_id}: {len(problems)} (game, model version) pairs do not have "
            f"exactly one forecast of the batch ({examples})"
        )


def write_verified(
    conn: duckdb.DuckDBPyConnection,
    rows: pd.DataFrame,
    batch_id: str,
    event_ids: list[str],
    models: list[tuple[str, str]],
) -> int:
    """Upsert ``rows`` into ``predictions.predictions`` and :func:`verify_batch` them (call
    inside a transaction); returns the rows written."""
    before = fingerprint_outside(conn, rows)
    if not rows.empty:
        conn.register("incoming_predictions", rows)
        try:
            merge_rows(
                conn,
                "predictions.predictions",
                f"SELECT {_INSERT_COLUMNS} FROM incoming_predictions",
                KEY_COLUMNS,
                PREDICTION_COLUMNS,
            )
        finally:
            conn.unregister("incoming_predictions")
    verify_batch(conn, batch_id, event_ids, models, before, fingerprint_outside(conn, rows))
    return len(rows)


def _model_pairs(batch: Batch) -> list[tuple[str, str]]:
    return [(n, v) for n, v, _ in batch.models]


def store_batch(conn: duckdb.DuckDBPyConnection, batch: Batch, rows: pd.DataFrame) -> int:
    """Publish a daily batch: record it, write ``rows`` and verify, in one transaction.

    Raises:
        BadInputError: verification failed (nothing is written).
    """
    with transaction(conn):
        record_batch(conn, batch, stored=True)
        return write_verified(conn, rows, batch.batch_id, batch.event_ids, _model_pairs(batch))


def store_backtest(
    conn: duckdb.DuckDBPyConnection, rows: pd.DataFrame, batch_id: str, model: tuple[str, str]
) -> int:
    """Write backtest ``rows`` (one model) and verify them, in one transaction."""
    events = sorted(set(rows["event_id"].astype(str)))
    with transaction(conn):
        return write_verified(conn, rows, batch_id, events, [model])


def stage_batch(conn: duckdb.DuckDBPyConnection, batch: Batch, rows: pd.DataFrame) -> int:
    """Record ``batch`` and write its rows to ``predictions.staged_predictions`` (idempotent)."""
    with transaction(conn):
        record_batch(conn, batch, stored=False)
        one(conn, "DELETE FROM predictions.staged_predictions WHERE batch_id = ?", [batch.batch_id])
        if not rows.empty:
            conn.register("staged_rows", rows)
            try:
                conn.execute(
                    f"INSERT INTO predictions.staged_predictions (batch_id, {_STAGED_COLUMNS}) "
                    f"SELECT batch_id, {_STAGED_COLUMNS} FROM staged_rows"
                )
            finally:
                conn.unregister("staged_rows")
    return len(rows)


def unstored_batches(conn: duckdb.DuckDBPyConnection) -> list[str]:
    """Ids of staged batches not yet stored, oldest first."""
    rows = conn.execute(
        "SELECT batch_id FROM predictions.forecast_batches WHERE stored_at IS NULL "
        "ORDER BY staged_at, batch_id"
    ).fetchall()
    return [str(r[0]) for r in rows]


def publish_batch(conn: duckdb.DuckDBPyConnection, batch_id: str | None) -> tuple[Batch, int]:
    """Publish staged batch ``batch_id`` into ``predictions.predictions``, verify it against
    its record in ``predictions.forecast_batches`` and mark it stored, in one transaction.
    Publishing a stored batch again rewrites the same rows (idempotent).

    ``batch_id`` None is allowed only when exactly one staged batch waits.

    Returns:
        ``(the batch, rows stored)``.

    Raises:
        NothingToDoError: no ``batch_id`` and no unstored batch.
        BadInputError: no ``batch_id`` and several unstored batches (names ``--batch-id``),
            unknown batch id, or verification failed (nothing is written).
    """
    if batch_id is None:
        waiting = unstored_batches(conn)
        if not waiting:
            raise NothingToDoError("no staged forecast batch waiting: run `predict --stage-only`")
        if len(waiting) > 1:
            raise BadInputError(
                f"{len(waiting)} staged forecast batches wait ({', '.join(waiting)}): "
                "pass --batch-id with the batch_id of the `predict --stage-only` summary"
            )
        batch_id = waiting[0]
    batch, _stored = load_batch(conn, batch_id)
    rows = conn.execute(
        f"SELECT batch_id, {_STAGED_COLUMNS} FROM predictions.staged_predictions "
        "WHERE batch_id = ?",
        [batch_id],
    ).df()[PREDICTION_COLUMNS]
    with transaction(conn):
        n = write_verified(conn, rows, batch.batch_id, batch.event_ids, _model_pairs(batch))
        conn.execute(
            "UPDATE predictions.staged_predictions SET stored_at = current_timestamp "
            "WHERE batch_id = ?",
            [batch_id],
        )
        conn.execute(
            "UPDATE predictions.forecast_batches SET stored_at = current_timestamp "
            "WHERE batch_id = ?",
            [batch_id],
        )
    return batch, n


def batch_of(
    batch_id: str,
    as_of: dt.date,
    now: dt.datetime,
    days: int,
    games: pd.DataFrame,
    serving: list[ServingModel],
    withheld: Mapping[str, str],
) -> Batch:
    """The :class:`Batch` of a daily run forecasting ``games`` with ``serving``."""
    first, last = upcoming_window(as_of, days)
    return Batch(
        batch_id=batch_id,
        as_of=as_of,
        forecast_at=now,
        first_day=first,
        last_day=last,
        event_ids=[str(e) for e in games["event_id"]],
        models=[(s.entry.model_name, s.entry.version, s.entry.serving_role) for s in serving],
        withheld=dict(withheld),
    )
