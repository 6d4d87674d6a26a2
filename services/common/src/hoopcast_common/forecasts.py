"""The forecasts read model: the queries behind the Forecasts page, ``hoopcast-predictor show``
and the per-run exports. One definition of each section, shared by every reader.

Every function takes an open DuckDB connection: the published snapshot
(:func:`hoopcast_common.snapshot.open_snapshot`) for people and the UI, or the writer's own
connection for the exports a prediction run writes. The sections:

* :func:`upcoming` — the games of a game day and the days after it, each with the latest daily
  forecast of every model that forecast it, the betting line and ESPN's predictor;
* :func:`recent_results` — forecasts of record of final games next to the outcome and the line
  (``predictions.scorecard_games``);
* :func:`track_record` — accuracy, log-loss, Brier score and margin MAE over time for the model,
  the Elo baseline, the line and ESPN's predictor (``predictions.scorecard``), by model version,
  and calibration (reliability table);
* :func:`models` — the model registry and its stage changes (``ml.model_registry``,
  ``ml.stage_changes``);
* :func:`freshness` — the last successful run of each stage (``ops.stage_runs``).

Missing tables (a warehouse before its first prediction run) read as empty sections, never as
errors: :func:`table_exists` decides.
"""

from __future__ import annotations

import datetime as dt
import json
import math
from collections.abc import Sequence
from dataclasses import asdict, dataclass, fields
from typing import Any

import duckdb

from hoopcast_common.db import table_exists
from hoopcast_common.games import EASTERN, game_day, game_day_start, upcoming_sql, upcoming_window

DEFAULT_DAYS = 7
"""Upcoming covers the game day and this many days after it (the forecast window)."""

RECENT_DAYS = 7
"""Recent results cover the final games of this many days before the game day."""

ROLLING_WEEKS = 4
"""Width of the rolling window of the track record, in ISO weeks (game-weighted mean)."""

CALIBRATION_BINS = 10
"""Equal-width probability bins of the reliability table (0-10 %, …, 90-100 %)."""

LOG_LOSS_EPS = 1e-15
"""Probabilities are clipped to [eps, 1 - eps] before the log-loss (as hoopcast_ml.metrics)."""

FORECASTERS = ("model", "elo", "line", "espn")
"""Forecasters of the track record: the production model (forecast of record), the Elo
baseline, the betting line (its spread as a probability) and ESPN's predictor."""


def _rows(
    conn: duckdb.DuckDBPyConnection, sql: str, params: Sequence[Any] = ()
) -> list[dict[str, Any]]:
    cursor = conn.execute(sql, list(params))
    names = [d[0] for d in cursor.description or []]
    return [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]


def _team_name_sql(alias: str) -> str:
    return f"coalesce({alias}.display_name, {alias}.short_display_name, {alias}.location)"


# --------------------------------------------------------------------------- game day


def latest_forecast_day(conn: duckdb.DuckDBPyConnection) -> dt.date | None:
    """The game day (``as_of``) of the latest daily prediction run, or None when there is none."""
    if not table_exists(conn, "predictions", "predictions", views=True):
        return None
    row = conn.execute(
        "SELECT max(as_of) FROM predictions.predictions WHERE run_kind = 'daily'"
    ).fetchall()
    value = row[0][0] if row else None
    return value if isinstance(value, dt.date) else None


def resolve_view(
    conn: duckdb.DuckDBPyConnection, as_of: dt.date | None, wall_clock: dt.datetime
) -> tuple[dt.date, dt.datetime]:
    """The game day a reader looks at and the moment that decides "not tipped off yet".

    ``as_of`` None → the game day of the latest daily prediction run (the replay profile's
    clock, or today), else today's game day. The moment is the wall clock when the game day is
    today's, else midnight US Eastern starting the game day (every game of that day counts).

    Raises:
        ValueError: ``wall_clock`` has no time zone.
    """
    today = game_day(wall_clock)
    day = as_of or latest_forecast_day(conn) or today
    return day, (wall_clock if day == today else game_day_start(day))


# --------------------------------------------------------------------------- upcoming


@dataclass(frozen=True)
class UpcomingForecast:
    """One game and one model's latest daily forecast of it (a row of Upcoming).

    Probabilities are in [0, 1] (home team winning); margins and the spread are points, home
    minus away; ``line_spread`` is the home spread (negative = home favoured);
    ``edge_points`` = ``predicted_margin + line_spread``: how many points more the model likes
    the home team than the line does (positive = model on the home side).
    """

    game_date: dt.date
    tipoff_et: str | None  # "HH:MM" US Eastern
    start_time_utc: dt.datetime | None
    event_id: str
    away_team: str
    home_team: str
    neutral_site: bool
    model_name: str
    model_version: str
    model_role: str
    forecast_at: dt.datetime
    home_win_prob: float
    predicted_margin: float | None
    line_provider: str | None
    line_spread: float | None
    espn_home_win_prob: float | None
    edge_points: float | None

    def as_json(self) -> dict[str, Any]:
        """A JSON-ready dict (dates and moments as ISO-8601 text)."""
        return {k: _jsonable(v) for k, v in asdict(self).items()}


UPCOMING_COLUMNS: tuple[str, ...] = tuple(f.name for f in fields(UpcomingForecast))
"""Column order of Upcoming in every format (page JSON, ``show --format csv``, exports)."""


def _line_sql() -> str:
    """The latest line with a spread fetched at or before ``?`` (a moment) per event; ties:
    pickcenter before scoreboard odds, then provider id (the scorecard's order, which takes
    the last line before tip-off)."""
    return (
        "SELECT event_id, coalesce(provider_name, provider_id) AS provider_name, home_spread"
        " FROM core.betting_lines WHERE home_spread IS NOT NULL AND fetched_at <= ?"
        " QUALIFY row_number() OVER (PARTITION BY event_id"
        " ORDER BY fetched_at DESC, (source = 'pickcenter') DESC, provider_id) = 1"
    )


def _espn_sql() -> str:
    """ESPN's latest predictor fetched at or before ``?`` per event, as the probability of
    ``core.games``' home team (flipped when ESPN's home team is the other one)."""
    return (
        "SELECT e.event_id, CASE WHEN e.home_team_id IS NULL"
        " OR e.home_team_id = eg.home_team_id THEN e.home_win_prob"
        " ELSE 1 - e.home_win_prob END AS home_win_prob"
        " FROM core.espn_predictions e JOIN core.games eg ON eg.event_id = e.event_id"
        " WHERE e.fetched_at <= ?"
        " QUALIFY row_number() OVER (PARTITION BY e.event_id ORDER BY e.fetched_at DESC) = 1"
    )


def upcoming(
    conn: duckdb.DuckDBPyConnection,
    as_of: dt.date,
    now: dt.datetime,
    *,
    days: int = DEFAULT_DAYS,
    team: str | None = None,
    day: dt.date | None = None,
) -> list[UpcomingForecast]:
    """Upcoming: every game dated ``as_of`` .. ``as_of + days`` not final and not tipped off by
    ``now`` (:func:`hoopcast_common.games.upcoming_sql`), once per model that forecast it, with
    that model's latest daily forecast made on or before game day ``as_of``.

    The line is the latest fetched spread (``core.betting_lines``; ties: pickcenter, then
    provider id) and ESPN's predictor the latest fetched home win probability
    (``core.espn_predictions``), both fetched at or before ``now``; None where unknown.

    Args:
        team: keep games where either team's name contains this text (case-insensitive).
        day: keep only games dated this day (must lie in the window to return rows).

    Returns:
        Rows ordered by tip-off, game, then production model first.

    Raises:
        ValueError: ``days`` is negative.
    """
    first, last = upcoming_window(as_of, days)
    if not table_exists(conn, "predictions", "predictions", views=True):
        return []
    has_lines = table_exists(conn, "core", "betting_lines", views=True)
    has_espn = table_exists(conn, "core", "espn_predictions", views=True)
    params: list[Any] = [as_of]
    line_join = "LEFT JOIN (SELECT NULL::VARCHAR AS event_id, NULL::VARCHAR AS provider_name,"
    line_join += " NULL::DOUBLE AS home_spread) l ON false"
    if has_lines:
        line_join = f"LEFT JOIN ({_line_sql()}) l ON l.event_id = g.event_id"
        params.append(now)
    espn_join = "LEFT JOIN (SELECT NULL::VARCHAR AS event_id, NULL::DOUBLE AS home_win_prob) e"
    espn_join += " ON false"
    if has_espn:
        espn_join = f"LEFT JOIN ({_espn_sql()}) e ON e.event_id = g.event_id"
        params.append(now)
    params += [first, last, now]
    filters = ""
    if team:
        filters += f" AND ({_team_name_sql('ht')} ILIKE ? OR {_team_name_sql('vt')} ILIKE ?)"
        params += [f"%{team}%", f"%{team}%"]
    if day is not None:
        filters += " AND g.game_date = ?"
        params.append(day)
    sql = f"""
        WITH latest AS (
            SELECT * FROM predictions.predictions
            WHERE run_kind = 'daily' AND as_of <= ?
            QUALIFY row_number() OVER (
                PARTITION BY event_id, model_name, model_version ORDER BY forecast_at DESC) = 1
        )
        SELECT g.game_date, g.start_time_utc, g.event_id,
               coalesce({_team_name_sql("vt")}, g.away_team_id) AS away_team,
               coalesce({_team_name_sql("ht")}, g.home_team_id) AS home_team,
               coalesce(g.neutral_site, false) AS neutral_site,
               p.model_name, p.model_version, p.model_role, p.forecast_at,
               p.home_win_prob, p.predicted_margin,
               l.provider_name AS line_provider, l.home_spread AS line_spread,
               e.home_win_prob AS espn_home_win_prob
        FROM core.games g
        JOIN latest p ON p.event_id = g.event_id
        LEFT JOIN core.teams ht ON ht.team_id = g.home_team_id
        LEFT JOIN core.teams vt ON vt.team_id = g.away_team_id
        {line_join}
        {espn_join}
        WHERE {upcoming_sql("g")} {filters}
        ORDER BY g.start_time_utc NULLS LAST, g.game_date, g.event_id,
                 (p.model_role = 'production') DESC, p.model_name, p.model_version
    """
    out: list[UpcomingForecast] = []
    for r in _rows(conn, sql, params):
        start = r["start_time_utc"]
        margin = r["predicted_margin"]
        spread = r["line_spread"]
        out.append(
            UpcomingForecast(
                game_date=r["game_date"],
                tipoff_et=start.astimezone(EASTERN).strftime("%H:%M") if start else None,
                start_time_utc=start,
                event_id=str(r["event_id"]),
                away_team=str(r["away_team"]),
                home_team=str(r["home_team"]),
                neutral_site=bool(r["neutral_site"]),
                model_name=str(r["model_name"]),
                model_version=str(r["model_version"]),
                model_role=str(r["model_role"]),
                forecast_at=r["forecast_at"],
                home_win_prob=float(r["home_win_prob"]),
                predicted_margin=None if margin is None else float(margin),
                line_provider=r["line_provider"],
                line_spread=None if spread is None else float(spread),
                espn_home_win_prob=r["espn_home_win_prob"],
                edge_points=None if margin is None or spread is None else float(margin + spread),
            )
        )
    return out


# --------------------------------------------------------------------------- recent results


def recent_results(
    conn: duckdb.DuckDBPyConnection,
    as_of: dt.date,
    *,
    days: int = RECENT_DAYS,
    team: str | None = None,
) -> list[dict[str, Any]]:
    """Final games dated ``as_of - days`` .. ``as_of`` with their forecast of record
    (``predictions.scorecard_games``), newest first.

    Each dict: the scorecard_games columns, ``home_team``/``away_team`` names, ``home_score``/
    ``away_score``, ``hit`` (the forecast's favourite, P >= 0.5 meaning home, won) and
    ``line_hit`` (the line's favourite won; None without a line or on a pick'em).
    """
    if not table_exists(conn, "predictions", "scorecard_games", views=True):
        return []
    params: list[Any] = [as_of - dt.timedelta(days=days), as_of]
    team_filter = ""
    if team:
        team_filter = f" AND ({_team_name_sql('ht')} ILIKE ? OR {_team_name_sql('vt')} ILIKE ?)"
        params += [f"%{team}%", f"%{team}%"]
    return _rows(
        conn,
        f"""
        SELECT s.*, coalesce({_team_name_sql("ht")}, s.home_team_id) AS home_team,
               coalesce({_team_name_sql("vt")}, s.away_team_id) AS away_team,
               g.home_score, g.away_score,
               (s.home_win_prob >= 0.5) = s.home_win AS hit,
               CASE WHEN s.line_spread IS NULL OR s.line_spread = 0 THEN NULL
                    ELSE (s.line_spread < 0) = s.home_win END AS line_hit
        FROM predictions.scorecard_games s
        LEFT JOIN core.games g ON g.event_id = s.event_id
        LEFT JOIN core.teams ht ON ht.team_id = s.home_team_id
        LEFT JOIN core.teams vt ON vt.team_id = s.away_team_id
        WHERE s.game_date >= ? AND s.game_date <= ? {team_filter}
        ORDER BY s.game_date DESC, s.start_time_utc DESC NULLS LAST, s.event_id, s.model_name
        """,
        params,
    )


# --------------------------------------------------------------------------- track record


def _forecaster_probs() -> dict[str, str]:
    return {
        "model": "s.home_win_prob",
        "elo": "s.elo_home_prob",
        "line": "s.line_home_win_prob",
        "espn": "s.espn_home_win_prob",
    }


def _metric_sql(prob: str) -> str:
    clipped = f"least(greatest({prob}, {LOG_LOSS_EPS}), 1 - {LOG_LOSS_EPS})"
    return (
        f"count({prob}) AS games,"
        f" avg(CASE WHEN {prob} IS NULL THEN NULL"
        f" ELSE ((({prob}) >= 0.5) = s.home_win)::INTEGER END) AS accuracy,"
        f" avg(CASE WHEN {prob} IS NULL THEN NULL WHEN s.home_win THEN -ln({clipped})"
        f" ELSE -ln(1 - {clipped}) END) AS log_loss,"
        f" avg(power({prob} - s.home_win::INTEGER, 2)) AS brier"
    )


def rolling(points: list[dict[str, Any]], weeks: int = ROLLING_WEEKS) -> list[dict[str, Any]]:
    """Game-weighted rolling means of weekly points of one forecaster.

    ``points``: dicts with ``period`` ('YYYY-Www', in time order), ``games`` and the metrics
    ``accuracy``, ``log_loss``, ``brier``, ``margin_mae`` (None allowed). Returns the same
    periods with each metric averaged over the last ``weeks`` points, weighted by games
    (equal to the metric over those weeks' games pooled).
    """
    out: list[dict[str, Any]] = []
    for i, point in enumerate(points):
        window = points[max(0, i - weeks + 1) : i + 1]
        rolled: dict[str, Any] = {"period": point["period"]}
        rolled["games"] = sum(int(p["games"] or 0) for p in window)
        for metric in ("accuracy", "log_loss", "brier", "margin_mae"):
            pairs = [(p[metric], int(p["games"] or 0)) for p in window if p.get(metric) is not None]
            total = sum(n for _, n in pairs)
            rolled[metric] = sum(v * n for v, n in pairs) / total if total else None
        out.append(rolled)
    return out


def track_record(conn: duckdb.DuckDBPyConnection) -> dict[str, Any]:
    """The track record of the forecasts of record and the yardsticks.

    Returns a dict:

    * ``overall``: rows of ``predictions.scorecard`` for period 'overall' (forecaster, games,
      accuracy, log_loss, brier, margin_mae);
    * ``weekly``: {forecaster: weekly rows of ``predictions.scorecard`` in week order};
    * ``rolling``: {forecaster: :func:`rolling` of its weekly rows};
    * ``by_version``: per model version, the metrics of its forecasts of record and of the
      Elo baseline on the same games (from ``predictions.scorecard_games``; log-loss with
      probabilities clipped at :data:`LOG_LOSS_EPS`, margin MAE in points);
    * ``calibration``: {forecaster: reliability rows (bin, lo, hi, games, mean_prob,
      observed)} over :data:`CALIBRATION_BINS` equal-width bins of P(home win).
    """
    result: dict[str, Any] = {
        "overall": [],
        "weekly": {},
        "rolling": {},
        "by_version": [],
        "calibration": {},
    }
    if table_exists(conn, "predictions", "scorecard", views=True):
        rows = _rows(
            conn,
            "SELECT * FROM predictions.scorecard ORDER BY period, "
            "list_position(['model', 'elo', 'line', 'espn'], forecaster)",
        )
        result["overall"] = [r for r in rows if r["period"] == "overall"]
        for forecaster in FORECASTERS:
            weekly = [r for r in rows if r["forecaster"] == forecaster and r["period"] != "overall"]
            if weekly:
                result["weekly"][forecaster] = weekly
                result["rolling"][forecaster] = rolling(weekly)
    if not table_exists(conn, "predictions", "scorecard_games", views=True):
        return result
    result["by_version"] = _rows(
        conn,
        f"""
        SELECT s.model_name, s.model_version, min(s.game_date) AS first_game,
               max(s.game_date) AS last_game, {_metric_sql("s.home_win_prob")},
               avg(abs(s.predicted_margin - s.home_margin)) AS margin_mae,
               avg(CASE WHEN s.elo_home_prob IS NULL THEN NULL
                   WHEN s.home_win THEN -ln(least(greatest(s.elo_home_prob, {LOG_LOSS_EPS}),
                                                1 - {LOG_LOSS_EPS}))
                   ELSE -ln(1 - least(greatest(s.elo_home_prob, {LOG_LOSS_EPS}),
                                      1 - {LOG_LOSS_EPS})) END) AS elo_log_loss
        FROM predictions.scorecard_games s
        GROUP BY s.model_name, s.model_version
        ORDER BY s.model_name, min(s.game_date), s.model_version
        """,
    )
    for forecaster, prob in _forecaster_probs().items():
        rows = _rows(
            conn,
            f"""
            SELECT least(floor({prob} * {CALIBRATION_BINS}), {CALIBRATION_BINS - 1})::INTEGER
                       AS bin,
                   count(*) AS games, avg({prob}) AS mean_prob,
                   avg(s.home_win::INTEGER) AS observed
            FROM predictions.scorecard_games s WHERE {prob} IS NOT NULL
            GROUP BY ALL ORDER BY bin
            """,
        )
        for r in rows:
            r["lo"] = r["bin"] / CALIBRATION_BINS
            r["hi"] = (r["bin"] + 1) / CALIBRATION_BINS
        if rows:
            result["calibration"][forecaster] = rows
    return result


# --------------------------------------------------------------------------- models


def models(conn: duckdb.DuckDBPyConnection) -> dict[str, list[dict[str, Any]]]:
    """The model registry: ``versions`` (every registered version with its stage, challenger
    flag, training and validation window, validation metrics as a dict, created_at,
    stage_changed_at, and ``promoted_at``/``rolled_back_at``: the last move to production and
    the last move out of production) and ``changes`` (``ml.stage_changes``, newest first)."""
    if not table_exists(conn, "ml", "model_registry", views=True):
        return {"versions": [], "changes": []}
    has_changes = table_exists(conn, "ml", "stage_changes", views=True)
    moves = (
        "LEFT JOIN (SELECT model_name, version,"
        " max(changed_at) FILTER (WHERE to_stage = 'production') AS promoted_at,"
        " max(changed_at) FILTER (WHERE from_stage = 'production') AS rolled_back_at"
        " FROM ml.stage_changes GROUP BY ALL) c USING (model_name, version)"
        if has_changes
        else "LEFT JOIN (SELECT NULL AS model_name, NULL AS version, NULL::TIMESTAMPTZ AS"
        " promoted_at, NULL::TIMESTAMPTZ AS rolled_back_at) c USING (model_name, version)"
    )
    versions = _rows(
        conn,
        f"""
        SELECT r.model_name, r.version, r.stage, r.is_challenger, r.train_from, r.train_until,
               r.validate_from, r.validate_to, r.metrics, r.created_at, r.stage_changed_at,
               c.promoted_at, c.rolled_back_at
        FROM ml.model_registry r {moves}
        ORDER BY r.model_name, r.version_number DESC
        """,
    )
    for v in versions:
        raw = v["metrics"]
        v["metrics"] = json.loads(raw) if isinstance(raw, str) else raw
    changes = (
        _rows(conn, "SELECT * FROM ml.stage_changes ORDER BY changed_at DESC, change_id DESC")
        if has_changes
        else []
    )
    return {"versions": versions, "changes": changes}


# --------------------------------------------------------------------------- freshness


def freshness(conn: duckdb.DuckDBPyConnection) -> list[dict[str, Any]]:
    """The last successful run of each stage (``ops.stage_runs`` with status 'success'):
    stage, command, as_of (game day), finished_at; ordered by stage."""
    if not table_exists(conn, "ops", "stage_runs", views=True):
        return []
    return _rows(
        conn,
        """
        SELECT stage, arg_max(command, finished_at) AS command,
               arg_max(as_of, finished_at) AS as_of, max(finished_at) AS finished_at
        FROM ops.stage_runs WHERE status = 'success' AND finished_at IS NOT NULL
        GROUP BY stage ORDER BY stage
        """,
    )


# --------------------------------------------------------------------------- JSON


def _jsonable(value: Any) -> Any:
    if isinstance(value, dt.datetime | dt.date):
        return value.isoformat()
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_jsonable(v) for v in value]
    if hasattr(value, "as_json"):
        return value.as_json()
    return value


def jsonable(value: Any) -> Any:
    """``value`` with dates and moments as ISO-8601 text, non-finite floats as None, and
    :class:`UpcomingForecast` rows as dicts: ready for ``json.dumps``."""
    return _jsonable(value)
