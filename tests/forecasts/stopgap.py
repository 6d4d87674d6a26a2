"""Stopgap: the forecast-of-record schema and a scorecard for a warehouse whose migrations and
predictor do not have them yet. Used by conftest only when ``hoopcast-predictor scorecard``
does not exist; it does nothing to objects that already exist."""

from __future__ import annotations

from pathlib import Path

from hoopcast_common.db import connect
from hoopcast_common.forecasts import table_exists


def build_scorecard(db: Path) -> None:
    """Add forecast_at (09:00 US Eastern of as_of) and model_role to the predictions, the view
    predictions.forecasts_of_record, and fill predictions.scorecard_games / scorecard."""
    conn = connect(db)
    try:
        cols = {
            r[0]
            for r in conn.execute(
                "SELECT column_name FROM duckdb_columns() WHERE schema_name = 'predictions'"
                " AND table_name = 'predictions'"
            ).fetchall()
        }
        if "forecast_at" not in cols:
            conn.execute("ALTER TABLE predictions.predictions ADD COLUMN forecast_at TIMESTAMPTZ")
            conn.execute(
                "UPDATE predictions.predictions SET forecast_at ="
                " timezone('America/New_York', as_of + INTERVAL 9 HOUR)"
            )
        if "model_role" not in cols:
            conn.execute("ALTER TABLE predictions.predictions ADD COLUMN model_role VARCHAR")
            conn.execute("UPDATE predictions.predictions SET model_role = model_stage")
        if not table_exists(conn, "predictions.forecasts_of_record"):
            conn.execute(
                """CREATE VIEW predictions.forecasts_of_record AS
                SELECT p.event_id, p.model_name, p.model_version, p.forecast_at,
                       p.home_win_prob, p.predicted_margin
                FROM predictions.predictions p JOIN core.games g ON g.event_id = p.event_id
                WHERE p.run_kind = 'daily' AND p.model_role = 'production'
                  AND g.start_time_utc IS NOT NULL AND p.forecast_at < g.start_time_utc
                QUALIFY row_number() OVER (PARTITION BY p.event_id, p.model_name
                    ORDER BY p.forecast_at DESC, p.model_version DESC) = 1"""
            )
        if not table_exists(conn, "core.betting_lines"):
            conn.execute(
                """CREATE TABLE core.betting_lines (event_id VARCHAR, provider_id VARCHAR,
                source VARCHAR, fetched_at TIMESTAMPTZ, provider_name VARCHAR,
                home_spread DOUBLE, total DOUBLE, home_moneyline INTEGER,
                away_moneyline INTEGER, details VARCHAR, response_id BIGINT)"""
            )
        if not table_exists(conn, "predictions.scorecard_games"):
            conn.execute(
                """CREATE TABLE predictions.scorecard_games AS
                SELECT f.event_id, g.game_date, g.start_time_utc, g.home_team_id,
                       g.away_team_id, f.model_name, f.model_version, f.forecast_at,
                       f.home_win_prob, f.predicted_margin,
                       g.home_score > g.away_score AS home_win,
                       g.home_score - g.away_score AS home_margin,
                       e.elo_home_prob, NULL::VARCHAR AS line_provider,
                       NULL::DOUBLE AS line_spread, NULL::DOUBLE AS line_home_win_prob,
                       NULL::DOUBLE AS espn_home_win_prob
                FROM predictions.forecasts_of_record f
                JOIN core.games g ON g.event_id = f.event_id
                LEFT JOIN features.elo_game e ON e.event_id = f.event_id
                WHERE g.completed AND g.home_score <> g.away_score"""
            )
        if not table_exists(conn, "predictions.scorecard"):
            conn.execute(
                """CREATE TABLE predictions.scorecard AS
                WITH b AS (
                  SELECT strftime(game_date, '%G-W%V') AS week, 'model' AS forecaster,
                         home_win_prob AS p, home_win, abs(predicted_margin - home_margin) AS ae
                  FROM predictions.scorecard_games
                  UNION ALL
                  SELECT strftime(game_date, '%G-W%V'), 'elo', elo_home_prob, home_win, NULL
                  FROM predictions.scorecard_games),
                w AS (SELECT week AS period, * EXCLUDE (week) FROM b
                      UNION ALL SELECT 'overall', * EXCLUDE (week) FROM b)
                SELECT period, forecaster, count(*)::INTEGER AS games,
                       avg(((p >= 0.5) = home_win)::INTEGER) AS accuracy,
                       avg(CASE WHEN home_win THEN -ln(p) ELSE -ln(1 - p) END) AS log_loss,
                       avg(power(p - home_win::INTEGER, 2)) AS brier, avg(ae) AS margin_mae
                FROM w GROUP BY ALL"""
            )
    finally:
        conn.close()
