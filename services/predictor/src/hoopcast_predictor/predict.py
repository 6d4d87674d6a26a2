"""Generate, stage and store predictions of upcoming and past games.

Daily predictions: every scheduled game of ``features.game_features`` with
``as_of < game_date <= as_of + days`` gets one row per active model (the production model of
each model name and every active challenger) in ``predictions.predictions`` with
``run_kind = 'daily'``. Rows are keyed by (event_id, model_name, model_version, as_of,
run_kind), so re-running replaces rows instead of adding them.

Backtests predict final games with their point-in-time feature rows (a game's features use
only games finished before it) and store them with ``run_kind = 'backtest'`` and
``as_of = game_date - 1 day`` (the day the forecast would have been made).
"""

from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass
from pathlib import Path

import duckdb
import pandas as pd
from hoopcast_common.db import one, transaction
from hoopcast_common.errors import BadInputError, NothingToDoError
from hoopcast_ml import registry
from hoopcast_ml.feature_table import feature_columns, load_events
from hoopcast_ml.model import GameModel

log = logging.getLogger(__name__)

PREDICTION_COLUMNS = [
    "event_id",
    "model_name",
    "model_version",
    "model_stage",
    "predicted_at",
    "as_of",
    "run_kind",
    "game_date",
    "home_team_id",
    "away_team_id",
    "home_win_prob",
    "predicted_margin",
]


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


def upcoming_games(conn: duckdb.DuckDBPyConnection, as_of: dt.date, days: int) -> pd.DataFrame:
    """Scheduled games with ``as_of < game_date <= as_of + days`` and their feature rows.

    Raises:
        BadInputError: ``days`` < 1 or features missing.
    """
    if days < 1:
        raise BadInputError(f"--days {days}: must be at least 1")
    features = feature_columns(conn)
    return load_events(
        conn,
        features,
        start=as_of + dt.timedelta(days=1),
        end=as_of + dt.timedelta(days=days),
        scheduled_only=True,
    )


def predict_frame(
    models: list[ServingModel],
    games: pd.DataFrame,
    *,
    as_of: dt.date | None,
    run_kind: str,
    predicted_at: dt.datetime,
) -> pd.DataFrame:
    """One prediction row per (game, model): columns :data:`PREDICTION_COLUMNS`.

    ``as_of`` None (backtests) sets each row's as_of to its game date minus one day.
    """
    frames: list[pd.DataFrame] = []
    for serving in models:
        prob, margin = serving.model.predict(games)
        game_dates = pd.to_datetime(games["game_date"]).dt.date
        frame = pd.DataFrame(
            {
                "event_id": games["event_id"].astype(str).to_numpy(),
                "model_name": serving.entry.model_name,
                "model_version": serving.entry.version,
                "model_stage": serving.entry.serving_role,
                "predicted_at": predicted_at,
                "as_of": (
                    [as_of] * len(games)
                    if as_of is not None
                    else [d - dt.timedelta(days=1) for d in game_dates]
                ),
                "run_kind": run_kind,
                "game_date": game_dates.to_numpy(),
                "home_team_id": games["home_team_id"].astype(str).to_numpy(),
                "away_team_id": games["away_team_id"].astype(str).to_numpy(),
                "home_win_prob": prob,
                "predicted_margin": margin,
            }
        )
        frames.append(frame)
    if not frames:
        return pd.DataFrame(columns=PREDICTION_COLUMNS)
    return pd.concat(frames, ignore_index=True)[PREDICTION_COLUMNS]


_INSERT_COLUMNS = ", ".join(PREDICTION_COLUMNS)


def store_rows(conn: duckdb.DuckDBPyConnection, rows: pd.DataFrame) -> int:
    """Upsert prediction rows into ``predictions.predictions`` (call inside a transaction).

    Returns the number of rows written; re-storing the same keys replaces them.
    """
    if rows.empty:
        return 0
    conn.register("incoming_predictions", rows)
    try:
        one(
            conn,
            f"INSERT OR REPLACE INTO predictions.predictions ({_INSERT_COLUMNS}) "
            f"SELECT {_INSERT_COLUMNS} FROM incoming_predictions",
        )
    finally:
        conn.unregister("incoming_predictions")
    return len(rows)


def verify_stored(conn: duckdb.DuckDBPyConnection, rows: pd.DataFrame, *, run_kind: str) -> None:
    """Check that every (game, model version) of ``rows`` has exactly one stored row.

    Raises:
        BadInputError: a game lacks a row for some model version, or has duplicates.
    """
    if rows.empty:
        return
    keys = rows[["event_id", "model_name", "model_version", "as_of"]].drop_duplicates()
    conn.register("expected_keys", keys)
    try:
        row = one(
            conn,
            "SELECT count(*) FILTER (WHERE n <> 1), count(*) FROM ("
            " SELECT k.event_id, count(p.event_id) AS n FROM expected_keys k"
            " LEFT JOIN predictions.predictions p ON p.event_id = k.event_id"
            " AND p.model_name = k.model_name AND p.model_version = k.model_version"
            " AND p.as_of = k.as_of AND p.run_kind = ?"
            " GROUP BY k.event_id, k.model_name, k.model_version, k.as_of)",
            [run_kind],
        )
    finally:
        conn.unregister("expected_keys")
    bad = int(row[0]) if row else 0
    if bad:
        raise BadInputError(
            f"{bad} (game, model version) pairs do not have exactly one stored {run_kind} "
            "prediction"
        )


def _store_verified(conn: duckdb.DuckDBPyConnection, rows: pd.DataFrame) -> int:
    """:func:`store_rows` then :func:`verify_stored` for each run kind of ``rows`` (call inside
    a transaction)."""
    n = store_rows(conn, rows)
    for kind in rows["run_kind"].unique().tolist():
        verify_stored(conn, rows[rows["run_kind"] == kind], run_kind=str(kind))
    return n


def store_predictions(conn: duckdb.DuckDBPyConnection, rows: pd.DataFrame) -> int:
    """Upsert ``rows`` (:data:`PREDICTION_COLUMNS`) into ``predictions.predictions`` and verify
    them, in one transaction; returns the rows written.

    Raises:
        BadInputError: verification failed (nothing is written).
    """
    with transaction(conn):
        return _store_verified(conn, rows)


def stage_rows(conn: duckdb.DuckDBPyConnection, rows: pd.DataFrame, batch_id: str) -> int:
    """Write rows to ``predictions.staged_predictions`` under ``batch_id`` (idempotent)."""
    with transaction(conn):
        one(conn, "DELETE FROM predictions.staged_predictions WHERE batch_id = ?", [batch_id])
        if not rows.empty:
            staged = rows.assign(batch_id=batch_id)
            conn.register("staged_rows", staged)
            try:
                conn.execute(
                    f"INSERT INTO predictions.staged_predictions (batch_id, {_INSERT_COLUMNS}) "
                    f"SELECT batch_id, {_INSERT_COLUMNS} FROM staged_rows"
                )
            finally:
                conn.unregister("staged_rows")
    return len(rows)


def publish_batch(conn: duckdb.DuckDBPyConnection, batch_id: str | None) -> tuple[str, int]:
    """Publish a staged batch into ``predictions.predictions`` and verify it, in one transaction.

    ``batch_id`` None = the most recently staged batch not yet stored.

    Returns:
        ``(batch_id, rows stored)``.

    Raises:
        NothingToDoError: no unstored batch.
        BadInputError: unknown batch id, or verification failed (nothing is written).
    """
    if batch_id is None:
        row = one(
            conn,
            "SELECT batch_id FROM predictions.staged_predictions WHERE stored_at IS NULL "
            "GROUP BY batch_id ORDER BY max(staged_at) DESC LIMIT 1",
        )
        if row is None:
            raise NothingToDoError("no staged predictions waiting: run `predict --stage-only`")
        batch_id = str(row[0])
    rows = conn.execute(
        f"SELECT {_INSERT_COLUMNS} FROM predictions.staged_predictions WHERE batch_id = ?",
        [batch_id],
    ).df()
    if rows.empty:
        raise BadInputError(f"--batch-id {batch_id!r}: no staged predictions with this id")
    with transaction(conn):
        n = _store_verified(conn, rows)
        conn.execute(
            "UPDATE predictions.staged_predictions SET stored_at = current_timestamp "
            "WHERE batch_id = ?",
            [batch_id],
        )
    return batch_id, n
