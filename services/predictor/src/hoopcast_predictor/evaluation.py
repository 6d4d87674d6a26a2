"""Accuracy tracking: predictions joined to final results → ``predictions.prediction_evaluations``.

For each (model_name, model_version, run_kind) the evaluated prediction of a game is the one
with the latest ``forecast_at`` before tip-off (``core.games.start_time_utc``; a game without
a start time: made on or before its game date). Results come from ``core.games`` (final
games with both scores). Metrics
(accuracy, log-loss, Brier score, margin MAE) come from :func:`hoopcast_ml.metrics.score`
(scikit-learn), for the whole period (``period = 'all'``) and per ISO week of the game date
(``period = 'week'``, ``period_start`` = Monday). The table is rebuilt in one transaction, so
re-running never duplicates rows.
"""

from __future__ import annotations

import datetime as dt

import duckdb
import numpy as np
import pandas as pd
from hoopcast_common.db import transaction
from hoopcast_common.games import is_final_sql
from hoopcast_ml.metrics import score

EVALUATION_COLUMNS = [
    "model_name",
    "model_version",
    "run_kind",
    "period",
    "period_start",
    "period_end",
    "n_games",
    "accuracy",
    "log_loss",
    "brier",
    "margin_mae",
    "evaluated_at",
]


def scored_predictions(conn: duckdb.DuckDBPyConnection) -> pd.DataFrame:
    """The evaluated prediction of every finished game per model version and run kind.

    Columns: model_name, model_version, run_kind, event_id, game_date, as_of, home_win_prob,
    predicted_margin, home_win (0/1), home_margin (points).
    """
    return conn.execute(
        f"""
        SELECT p.model_name, p.model_version, p.run_kind, p.event_id, g.game_date, p.as_of,
               p.home_win_prob, p.predicted_margin,
               CAST(g.home_score > g.away_score AS INTEGER) AS home_win,
               g.home_score - g.away_score AS home_margin
        FROM predictions.predictions p
        JOIN core.games g ON g.event_id = p.event_id
        WHERE {is_final_sql("g")}
          AND CASE WHEN g.start_time_utc IS NULL THEN p.as_of <= g.game_date
                   ELSE p.forecast_at < g.start_time_utc END
        QUALIFY row_number() OVER (
            PARTITION BY p.model_name, p.model_version, p.run_kind, p.event_id
            ORDER BY p.forecast_at DESC) = 1
        ORDER BY g.game_date, p.event_id
        """
    ).df()


def summarise(frame: pd.DataFrame, evaluated_at: dt.datetime) -> pd.DataFrame:
    """Evaluation rows (columns :data:`EVALUATION_COLUMNS`) of scored predictions.

    ``frame`` has the columns of :func:`scored_predictions`.
    """
    rows: list[dict[str, object]] = []
    if frame.empty:
        return pd.DataFrame(columns=EVALUATION_COLUMNS)
    frame = frame.assign(game_date=pd.to_datetime(frame["game_date"]))
    frame = frame.assign(week=frame["game_date"].dt.to_period("W-SUN").dt.start_time)
    keys = ["model_name", "model_version", "run_kind"]
    for key, group in frame.groupby(keys, sort=True):
        periods: list[tuple[str, pd.DataFrame]] = [("all", group)]
        periods += [("week", g) for _, g in group.groupby("week", sort=True)]
        for period, part in periods:
            m = score(
                part["home_win"].to_numpy(dtype=np.float64),
                part["home_win_prob"].to_numpy(dtype=np.float64),
                part["home_margin"].to_numpy(dtype=np.float64),
                part["predicted_margin"].fillna(0.0).to_numpy(dtype=np.float64),
                with_calibration=False,
            )
            start = part["week"].iloc[0] if period == "week" else part["game_date"].min()
            end = start + pd.Timedelta(days=6) if period == "week" else part["game_date"].max()
            rows.append(
                {
                    "model_name": key[0],
                    "model_version": key[1],
                    "run_kind": key[2],
                    "period": period,
                    "period_start": start.date(),
                    "period_end": end.date(),
                    "n_games": m["n_games"],
                    "accuracy": m["accuracy"],
                    "log_loss": m["log_loss"],
                    "brier": m["brier"],
                    "margin_mae": m["margin_mae"],
                    "evaluated_at": evaluated_at,
                }
            )
    return pd.DataFrame(rows, columns=EVALUATION_COLUMNS)


def evaluate(conn: duckdb.DuckDBPyConnection, evaluated_at: dt.datetime) -> pd.DataFrame:
    """Rebuild ``predictions.prediction_evaluations``; returns the rows written."""
    rows = summarise(scored_predictions(conn), evaluated_at)
    cols = ", ".join(EVALUATION_COLUMNS)
    with transaction(conn):
        conn.execute("DELETE FROM predictions.prediction_evaluations")
        if not rows.empty:
            conn.register("evaluation_rows", rows)
            try:
                conn.execute(
                    f"INSERT INTO predictions.prediction_evaluations ({cols}) "
                    f"SELECT {cols} FROM evaluation_rows"
                )
            finally:
                conn.unregister("evaluation_rows")
    return rows
