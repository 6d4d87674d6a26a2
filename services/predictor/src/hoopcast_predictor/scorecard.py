"""The scorecard: forecasts of record judged against the yardsticks on the same games.

``predictions.scorecard_games`` has one row per final game with a forecast of record
(``predictions.forecasts_of_record``: the last forecast made before tip-off by the model then
in production) next to

* the result (``home_win``, ``home_margin``) of ``core.games``;
* the Elo baseline (``features.game_features.elo_home_prob``, point-in-time);
* the betting line: the last line with a spread fetched before tip-off
  (``core.betting_lines``, latest ``fetched_at`` before ``start_time_utc``; ties: pickcenter
  before scoreboard odds, then provider id), its provider and home spread (negative = home
  favoured), and its home-win probability ``Φ(-spread / σ)``
  (:func:`hoopcast_ml.metrics.line_home_win_prob`);
* ESPN's predictor: the last ``core.espn_predictions`` row fetched before tip-off.

σ is fitted by maximum likelihood (:func:`hoopcast_ml.metrics.fit_line_sigma`) on the final
games with a pre-tip-off line in the seasons before the earliest scored season when they are at
least ``min_sigma_games``; otherwise it is ``PREDICTOR_LINE_SIGMA`` (10.46 points: the fit on
the shipped results file's 2010-11 … 2024-25 seasons, 66,944 games, by
``bench/predictor/line_sigma.py``).

``predictions.scorecard`` scores each forecaster (``model``, ``elo``, ``line``, ``espn``)
overall and per ISO week of the game date on the SAME games: a period's games are those with
the model's forecast, Elo's probability and every yardstick present in the period. A yardstick
(line, ESPN) is present in a period when it covers at least ``min_coverage`` of the games that
have the model and Elo; otherwise it gets no row for that period, so that a partial coverage
(ESPN's predictor is missing for many games) never shrinks the comparison of the others.
Metrics come from :func:`hoopcast_ml.metrics.score` (scikit-learn). The line and ESPN's
predictor are yardsticks only: nothing here feeds a model.
"""

from __future__ import annotations

from dataclasses import dataclass

import duckdb
import numpy as np
import pandas as pd
from hoopcast_common.db import table_exists, transaction
from hoopcast_common.errors import BadInputError
from hoopcast_common.games import is_final_sql
from hoopcast_ml.metrics import fit_line_sigma, line_home_win_prob, score

DEFAULT_LINE_SIGMA = 10.46
"""σ (points) of the line's normal model when the warehouse has too little history to fit it:
``bench/predictor/line_sigma.py`` on seasons 2010-11 … 2024-25 of the shipped results file."""

GAME_COLUMNS = [
    "event_id",
    "game_date",
    "start_time_utc",
    "home_team_id",
    "away_team_id",
    "model_name",
    "model_version",
    "forecast_at",
    "home_win_prob",
    "predicted_margin",
    "home_win",
    "home_margin",
    "elo_home_prob",
    "line_provider",
    "line_spread",
    "line_home_win_prob",
    "espn_home_win_prob",
]
SCORE_COLUMNS = ["period", "forecaster", "games", "accuracy", "log_loss", "brier", "margin_mae"]
FORECASTERS = ("model", "elo", "line", "espn")


def _line_cte(conn: duckdb.DuckDBPyConnection) -> str:
    """``pre_tip_line(event_id, line_provider, line_spread)``: the last line before tip-off."""
    if not table_exists(conn, "core", "betting_lines"):
        return (
            "pre_tip_line AS (SELECT NULL::VARCHAR AS event_id, NULL::VARCHAR AS line_provider,"
            " NULL::DOUBLE AS line_spread WHERE false)"
        )
    return (
        "pre_tip_line AS (SELECT l.event_id, coalesce(l.provider_name, l.provider_id) AS "
        "line_provider, l.home_spread AS line_spread FROM core.betting_lines l "
        "JOIN core.games lg ON lg.event_id = l.event_id WHERE l.home_spread IS NOT NULL "
        "AND l.fetched_at < lg.start_time_utc QUALIFY row_number() OVER (PARTITION BY "
        "l.event_id ORDER BY l.fetched_at DESC, l.source = 'pickcenter' DESC, l.provider_id)"
        " = 1)"
    )


def _espn_cte(conn: duckdb.DuckDBPyConnection) -> str:
    """``pre_tip_espn(event_id, espn_home_win_prob)``: ESPN's last predictor before tip-off,
    as the probability of ``core.games``' home team."""
    if not table_exists(conn, "core", "espn_predictions"):
        return (
            "pre_tip_espn AS (SELECT NULL::VARCHAR AS event_id, NULL::DOUBLE AS "
            "espn_home_win_prob WHERE false)"
        )
    return (
        "pre_tip_espn AS (SELECT e.event_id, CASE WHEN e.home_team_id IS NULL OR "
        "e.home_team_id = eg.home_team_id THEN e.home_win_prob ELSE 1 - e.home_win_prob END "
        "AS espn_home_win_prob FROM core.espn_predictions e JOIN core.games eg "
        "ON eg.event_id = e.event_id WHERE e.fetched_at < eg.start_time_utc "
        "QUALIFY row_number() OVER (PARTITION BY e.event_id ORDER BY e.fetched_at DESC) = 1)"
    )


def final_games_with_forecast(conn: duckdb.DuckDBPyConnection) -> pd.DataFrame:
    """Scorecard game rows (:data:`GAME_COLUMNS` but ``line_home_win_prob``), by date/event."""
    elo = (
        "features.game_features"
        if table_exists(conn, "features", "game_features")
        else "(SELECT NULL::VARCHAR AS event_id, NULL::DOUBLE AS elo_home_prob WHERE false)"
    )
    return conn.execute(
        f"WITH {_line_cte(conn)}, {_espn_cte(conn)} "
        "SELECT r.event_id, g.game_date, g.start_time_utc, g.home_team_id, g.away_team_id, "
        "r.model_name, r.model_version, r.forecast_at, r.home_win_prob, r.predicted_margin, "
        "g.home_score > g.away_score AS home_win, g.home_score - g.away_score AS home_margin, "
        "f.elo_home_prob, l.line_provider, l.line_spread, e.espn_home_win_prob "
        "FROM predictions.forecasts_of_record r JOIN core.games g ON g.event_id = r.event_id "
        f"LEFT JOIN {elo} f ON f.event_id = r.event_id "
        "LEFT JOIN pre_tip_line l ON l.event_id = r.event_id "
        "LEFT JOIN pre_tip_espn e ON e.event_id = r.event_id "
        f"WHERE {is_final_sql('g')} ORDER BY g.game_date, r.event_id, r.model_name"
    ).df()


@dataclass(frozen=True)
class LineSigma:
    """σ of the line's normal model: ``value`` (points), ``source`` (``fitted`` on
    ``games`` final games of seasons before ``before_season``, or ``PREDICTOR_LINE_SIGMA``)."""

    value: float
    source: str
    games: int
    before_season: int | None


def line_sigma(
    conn: duckdb.DuckDBPyConnection,
    before_season: int | None,
    default: float,
    min_games: int,
) -> LineSigma:
    """σ fitted on final games with a pre-tip-off line of seasons before ``before_season``,
    or ``default`` when they are fewer than ``min_games``."""
    if before_season is None or not table_exists(conn, "core", "betting_lines"):
        return LineSigma(default, "PREDICTOR_LINE_SIGMA", 0, before_season)
    history = conn.execute(
        f"WITH {_line_cte(conn)} SELECT l.line_spread, "
        "CAST(g.home_score > g.away_score AS DOUBLE) FROM pre_tip_line l "
        f"JOIN core.games g ON g.event_id = l.event_id WHERE {is_final_sql('g')} "
        "AND g.season < ?",
        [before_season],
    ).fetchall()
    if len(history) < min_games:
        return LineSigma(default, "PREDICTOR_LINE_SIGMA", len(history), before_season)
    spread = np.array([float(r[0]) for r in history])
    won = np.array([float(r[1]) for r in history])
    return LineSigma(fit_line_sigma(spread, won), "fitted", len(history), before_season)


def iso_week(day: object) -> str:
    """ISO week ``YYYY-Www`` of a date (e.g. 2025-01-20 → ``2025-W04``)."""
    year, week, _ = pd.Timestamp(str(day)).isocalendar()
    return f"{year}-W{week:02d}"


def _forecasts(part: pd.DataFrame) -> dict[str, tuple[np.ndarray, np.ndarray | None]]:
    """(home-win probability, predicted home margin or None) per forecaster."""
    return {
        "model": (
            part["home_win_prob"].to_numpy(np.float64),
            part["predicted_margin"].to_numpy(np.float64)
            if part["predicted_margin"].notna().all()
            else None,
        ),
        "elo": (part["elo_home_prob"].to_numpy(np.float64), None),
        "line": (
            part["line_home_win_prob"].to_numpy(np.float64),
            -part["line_spread"].to_numpy(np.float64),
        ),
        "espn": (part["espn_home_win_prob"].to_numpy(np.float64), None),
    }


_REQUIRED = {"line": "line_home_win_prob", "espn": "espn_home_win_prob"}


def score_period(period: str, rows: pd.DataFrame, min_coverage: float) -> list[dict[str, object]]:
    """Scorecard rows (:data:`SCORE_COLUMNS`) of one period on the same games (see module)."""
    base = rows[rows["home_win_prob"].notna() & rows["elo_home_prob"].notna()]
    if base.empty:
        return []
    present = ["model", "elo"]
    for name, column in _REQUIRED.items():
        if base[column].notna().mean() >= min_coverage:
            present.append(name)
    common = base
    for name in present[2:]:
        common = common[common[_REQUIRED[name]].notna()]
    if common.empty:
        return []
    y = common["home_win"].astype(np.float64).to_numpy()
    margin = common["home_margin"].astype(np.float64).to_numpy()
    out: list[dict[str, object]] = []
    forecasts = _forecasts(common)
    for name in present:
        prob, predicted = forecasts[name]
        m = score(y, prob, margin, predicted, with_calibration=False)
        out.append(
            {
                "period": period,
                "forecaster": name,
                "games": m["n_games"],
                "accuracy": m["accuracy"],
                "log_loss": m["log_loss"],
                "brier": m["brier"],
                "margin_mae": m["margin_mae"],
            }
        )
    return out


def summarise(games: pd.DataFrame, min_coverage: float) -> pd.DataFrame:
    """``predictions.scorecard`` rows: ``overall`` then every ISO week, of one model name."""
    rows = score_period("overall", games, min_coverage)
    weeks = games.assign(week=[iso_week(d) for d in games["game_date"]])
    for week, part in weeks.groupby("week", sort=True):
        rows += score_period(str(week), part, min_coverage)
    return pd.DataFrame(rows, columns=SCORE_COLUMNS)


@dataclass
class Scorecard:
    """What :func:`rebuild` wrote: the game rows, the score rows, σ and the model name."""

    games: pd.DataFrame
    scores: pd.DataFrame
    sigma: LineSigma
    model_name: str | None


def rebuild(
    conn: duckdb.DuckDBPyConnection,
    *,
    model_name: str | None,
    sigma_default: float = DEFAULT_LINE_SIGMA,
    min_sigma_games: int = 1000,
    min_coverage: float = 0.8,
) -> Scorecard:
    """Rebuild ``predictions.scorecard_games`` (every model name) and ``predictions.scorecard``
    (forecasts of ``model_name``; None = the only model name with forecasts of record) in one
    transaction; re-running gives the same tables.

    Raises:
        BadInputError: ``model_name`` None while several model names have forecasts of record.
    """
    games = final_games_with_forecast(conn)
    names = sorted(set(games["model_name"].astype(str)))
    if model_name is None:
        if len(names) > 1:
            raise BadInputError(
                f"forecasts of record come from several models {names}: set "
                "PREDICTOR_MODEL_NAME to the one the scorecard judges"
            )
        model_name = names[0] if names else None
    seasons = conn.execute(
        "SELECT min(g.season) FROM predictions.forecasts_of_record r "
        "JOIN core.games g ON g.event_id = r.event_id"
    ).fetchone()
    first_season = int(seasons[0]) if seasons and seasons[0] is not None else None
    sigma = line_sigma(conn, first_season, sigma_default, min_sigma_games)
    games["line_home_win_prob"] = line_home_win_prob(
        games["line_spread"].astype(np.float64), sigma.value
    )
    games = games[GAME_COLUMNS]
    for column in (
        "predicted_margin",
        "elo_home_prob",
        "line_spread",
        "line_home_win_prob",
        "espn_home_win_prob",
    ):  # NaN -> NULL in DuckDB
        games[column] = games[column].astype("Float64")
    scores = summarise(games[games["model_name"] == model_name], min_coverage)
    with transaction(conn):
        conn.execute("DELETE FROM predictions.scorecard_games")
        conn.execute("DELETE FROM predictions.scorecard")
        for table, frame in (("scorecard_games", games), ("scorecard", scores)):
            if frame.empty:
                continue
            cols = ", ".join(frame.columns)
            conn.register("scorecard_rows", frame)
            try:
                conn.execute(
                    f"INSERT INTO predictions.{table} ({cols}) SELECT {cols} FROM scorecard_rows"
                )
            finally:
                conn.unregister("scorecard_rows")
    return Scorecard(games, scores, sigma, model_name)
