"""``hoopcast-predictor``: forecasts of upcoming games, accuracy tracking, the scorecard,
backtests, reports.

Commands (docs/DESIGN.md, "Stage CLI subcommands"; docs/guides/models.md):
``predict --days N [--now MOMENT]`` (forecast + store), the DAG steps ``upcoming --days N``
(exit 99 when no game is left to forecast), ``predict --stage-only`` (summary: ``batch_id``)
and ``store --batch-id ID``, plus ``evaluate`` (evaluations + scorecard), ``scorecard``,
``backtest --from D1 --to D2 | --days N [--model VERSION]`` and ``report [--out DIR]``. Every
command runs through :func:`hoopcast_common.runs.run_command` (exit codes 0/2/3/99, last stdout
line = JSON).
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Callable
from pathlib import Path
from typing import Annotated

import duckdb
import pandas as pd
import typer
from hoopcast_common.cli import AsOf, Now
from hoopcast_common.clock import run_clock
from hoopcast_common.dates import parse_date
from hoopcast_common.db import connect
from hoopcast_common.errors import BadInputError, NothingToDoError
from hoopcast_common.games import upcoming_window
from hoopcast_common.runs import RunContext, run_command
from hoopcast_common.settings import Settings
from hoopcast_ml.feature_table import feature_columns, load_events
from hoopcast_ml.registry import model_dir

from hoopcast_predictor import evaluation, exports, predict, scorecard, show

log = logging.getLogger(__name__)

STAGE = "predictor"
app = typer.Typer(add_completion=False, no_args_is_help=True, help=__doc__)

Days = Annotated[
    int | None,
    typer.Option(
        "--days",
        help="Forecast the games dated as-of .. as-of + days (default PREDICTOR_DAYS, 7)",
    ),
]


def _execute(
    command: str,
    as_of_text: str | None,
    body: Callable[[RunContext, Settings, Path, Path], None],
) -> None:
    """Run ``body(ctx, settings, db_path, model_dir)`` as one logged predictor run."""

    def run(ctx: RunContext, settings: Settings) -> None:
        body(ctx, settings, settings.db_path, model_dir(settings))

    raise typer.Exit(run_command(STAGE, command, as_of_text, run))


def _days(settings: Settings, days: int | None) -> int:
    value = days if days is not None else settings.get_int("PREDICTOR_DAYS", 7)
    if value < 0:
        raise BadInputError(f"--days {value}: must be 0 or more")
    return value


@app.command()
def upcoming(as_of: AsOf = None, days: Days = None, now: Now = None) -> None:
    """List the games not yet tipped off, dated as-of .. as-of + days; exit 99 when none."""

    def body(ctx: RunContext, settings: Settings, db: Path, _models: Path) -> None:
        assert ctx.as_of is not None
        n_days = _days(settings, days)
        moment = run_clock(ctx, settings, now)
        conn = connect(db)
        try:
            games = predict.upcoming_games(conn, ctx.as_of, n_days, moment)
        finally:
            conn.close()
        first, last = upcoming_window(ctx.as_of, n_days)
        ctx.count("upcoming_games", len(games))
        ctx.extra["window"] = f"{first}..{last}"
        if games.empty:
            raise NothingToDoError(f"no game to forecast from {first} to {last} at {moment}")
        for g in games.itertuples():
            typer.echo(f"{g.game_date} {g.event_id} {g.away_team_id} @ {g.home_team_id}", err=True)

    _execute("upcoming", as_of, body)


@app.command("predict")
def predict_(
    as_of: AsOf = None,
    days: Days = None,
    now: Now = None,
    stage_only: Annotated[
        bool,
        typer.Option(
            "--stage-only",
            help="Write predictions.staged_predictions; `store --batch-id ID` publishes",
        ),
    ] = False,
) -> None:
    """Forecast every game not yet tipped off, dated as-of .. as-of + days, with every active
    model; games with flagged features are withheld. The summary's batch_id names the batch."""

    def body(ctx: RunContext, settings: Settings, db: Path, models: Path) -> None:
        assert ctx.as_of is not None
        n_days = _days(settings, days)
        moment = run_clock(ctx, settings, now)
        conn = connect(db)
        try:
            serving = predict.load_active_models(conn, models)
            games = predict.upcoming_games(conn, ctx.as_of, n_days, moment)
            first, last = upcoming_window(ctx.as_of, n_days)
            if games.empty:
                raise NothingToDoError(f"no game to forecast from {first} to {last} at {moment}")
            games, withheld = predict.withhold_flagged(games)
            ctx.count("games_withheld", len(withheld))
            batch = predict.batch_of(
                ctx.run_id, ctx.as_of, moment, n_days, games, serving, withheld
            )
            ctx.extra.update(batch.summary())
            rows = predict.predict_frame(
                serving,
                games,
                as_of=ctx.as_of,
                run_kind="daily",
                forecast_at=moment,
                predicted_at=dt.datetime.now(dt.UTC),
                batch_id=batch.batch_id,
            )
            if stage_only:
                predict.stage_batch(conn, batch, rows)
                ctx.count("predictions_staged", len(rows))
            else:
                predict.store_batch(conn, batch, rows)
                ctx.count("predictions_stored", len(rows))
                _export(ctx, conn, db, (ctx.as_of, n_days, moment))
        finally:
            conn.close()
        ctx.count("games", len(games))

    _execute("predict", as_of, body)


@app.command()
def store(
    as_of: AsOf = None,
    batch_id: Annotated[
        str | None,
        typer.Option(
            "--batch-id",
            help="The batch_id of the `predict --stage-only` summary (may be left out only "
            "while exactly one staged batch waits)",
        ),
    ] = None,
    now: Now = None,
) -> None:
    """Publish a staged batch idempotently and verify it: each of its games has exactly one
    forecast from each of its model versions, and no other row changed. ``--now`` is
    accepted for symmetry with ``predict``; the batch keeps the clock it was made with."""

    def body(ctx: RunContext, settings: Settings, db: Path, _models: Path) -> None:
        run_clock(ctx, settings, now)
        conn = connect(db)
        try:
            batch, n = predict.publish_batch(conn, batch_id)
            _export(
                ctx,
                conn,
                db,
                (batch.as_of, (batch.last_day - batch.first_day).days, batch.forecast_at),
            )
        finally:
            conn.close()
        ctx.count("predictions_stored", n)
        ctx.extra.update(batch.summary())

    _execute("store", as_of, body)


def _export(
    ctx: RunContext,
    conn: duckdb.DuckDBPyConnection,
    db: Path,
    window: tuple[dt.date, int, dt.datetime | None],
) -> None:
    """Write the forecast exports of ``window`` = (game day, days after it, the run's clock);
    a failure is reported, the stored predictions stay."""
    day, days, moment = window
    try:
        ctx.extra["exports"] = exports.write_exports(conn, db, day, days, moment)
    except (duckdb.Error, OSError) as exc:
        log.warning("forecast exports of %s not written: %s", day, exc)
        ctx.extra["exports_error"] = str(exc)


app.command("show")(show.show)


def _evaluate(ctx: RunContext, db: Path) -> None:
    conn = connect(db)
    try:
        rows = evaluation.evaluate(conn, dt.datetime.now(dt.UTC))
    finally:
        conn.close()
    overall = rows[rows["period"] == "all"]
    ctx.count("evaluation_rows", len(rows))
    ctx.count("games_evaluated", int(overall["n_games"].sum()) if not overall.empty else 0)
    ctx.extra["evaluations"] = [
        {
            "model": f"{r['model_name']} {r['model_version']}",
            "run_kind": r["run_kind"],
            "n_games": int(r["n_games"]),
            "accuracy": round(float(r["accuracy"]), 4),
            "log_loss": round(float(r["log_loss"]), 4),
            "brier": round(float(r["brier"]), 4),
            "margin_mae": round(float(r["margin_mae"]), 3),
        }
        for r in overall.to_dict("records")
    ]


def _scorecard(ctx: RunContext, settings: Settings, db: Path) -> None:
    conn = connect(db)
    try:
        card = scorecard.rebuild(
            conn,
            model_name=settings.get("PREDICTOR_MODEL_NAME") or None,
            sigma_default=settings.get_float("PREDICTOR_LINE_SIGMA", scorecard.DEFAULT_LINE_SIGMA),
            min_sigma_games=settings.get_int("PREDICTOR_LINE_SIGMA_MIN_GAMES", 1000),
            min_coverage=settings.get_float("PREDICTOR_SCORECARD_MIN_COVERAGE", 0.8),
        )
    finally:
        conn.close()
    ctx.count("scorecard_games", len(card.games))
    ctx.count("scorecard_rows", len(card.scores))
    ctx.extra["scorecard_model"] = card.model_name
    ctx.extra["line_sigma"] = {
        "value": round(card.sigma.value, 3),
        "source": card.sigma.source,
        "games": card.sigma.games,
        "before_season": card.sigma.before_season,
    }
    overall = card.scores[card.scores["period"] == "overall"]
    ctx.extra["scorecard"] = [
        {
            "forecaster": r["forecaster"],
            "games": int(r["games"]),
            "accuracy": round(float(r["accuracy"]), 4),
            "log_loss": round(float(r["log_loss"]), 4),
            "brier": round(float(r["brier"]), 4),
            "margin_mae": None if pd.isna(r["margin_mae"]) else round(float(r["margin_mae"]), 3),
        }
        for r in overall.to_dict("records")
    ]


@app.command("evaluate")
def evaluate_(as_of: AsOf = None) -> None:
    """Join predictions to final results: rebuild predictions.prediction_evaluations and the
    scorecard (as `scorecard` does)."""

    def body(ctx: RunContext, settings: Settings, db: Path, _models: Path) -> None:
        _evaluate(ctx, db)
        _scorecard(ctx, settings, db)

    _execute("evaluate", as_of, body)


@app.command("scorecard")
def scorecard_(as_of: AsOf = None) -> None:
    """Rebuild predictions.scorecard_games and predictions.scorecard: the forecasts of record
    of final games against Elo, the betting line and ESPN's predictor, on the same games."""

    def body(ctx: RunContext, settings: Settings, db: Path, _models: Path) -> None:
        _scorecard(ctx, settings, db)

    _execute("scorecard", as_of, body)


@app.command()
def backtest(
    from_: Annotated[
        str | None, typer.Option("--from", help="First game date YYYY-MM-DD (with --to)")
    ] = None,
    to: Annotated[str | None, typer.Option("--to", help="Last game date YYYY-MM-DD")] = None,
    days: Annotated[
        int | None,
        typer.Option("--days", help="Instead of --from/--to: the games of (as-of − days, as-of]"),
    ] = None,
    model: Annotated[
        str | None, typer.Option("--model", help="Model version (default: production)")
    ] = None,
    all_games: Annotated[
        bool, typer.Option("--all-games", help="Include games against non-D1 teams")
    ] = False,
    as_of: AsOf = None,
) -> None:
    """Predict every final game from --from to --to (or of the --days up to --as-of) with
    point-in-time features and the production model (or --model); evaluate.

    Exit 99 when the window has no final game, or when no model is given and there is no
    production model yet (the prediction DAG's backtest_model task then skips).
    """

    def body(ctx: RunContext, _settings: Settings, db: Path, models: Path) -> None:
        start, end = _backtest_window(from_, to, days, ctx.as_of)
        ctx.extra["window"] = [start.isoformat(), end.isoformat()]
        conn = connect(db)
        try:
            serving = predict.load_model_version(conn, models, model)
            games = load_events(
                conn, feature_columns(conn), start=start, end=end, scheduled_only=False
            )
            if not all_games:
                games = games[games["is_d1_game"].fillna(False).astype(bool)]
            if games.empty:
                raise NothingToDoError(f"no final game with features between {start} and {end}")
            rows = predict.predict_frame(
                [serving],
                games,
                as_of=None,
                run_kind="backtest",
                forecast_at=None,
                predicted_at=dt.datetime.now(dt.UTC),
                batch_id=ctx.run_id,
            )
            predict.store_backtest(
                conn, rows, ctx.run_id, (serving.entry.model_name, serving.entry.version)
            )
        finally:
            conn.close()
        ctx.count("games", len(games))
        ctx.count("predictions_stored", len(rows))
        ctx.extra["model"] = f"{serving.entry.model_name} {serving.entry.version}"
        _evaluate(ctx, db)

    _execute("backtest", as_of, body)


def _backtest_window(
    from_: str | None, to: str | None, days: int | None, as_of: dt.date | None
) -> tuple[dt.date, dt.date]:
    """The backtest's game dates, first and last inclusive: ``--from``/``--to``, or
    ``(as_of − days, as_of]`` for ``--days``.

    Raises:
        BadInputError: neither or both forms given, only one of --from/--to, --days < 1,
            --to before --from, or a malformed date.
    """
    if days is not None:
        if from_ is not None or to is not None:
            raise BadInputError("backtest: give either --from/--to or --days, not both")
        if days < 1:
            raise BadInputError(f"--days {days}: must be at least 1")
        assert as_of is not None
        return as_of - dt.timedelta(days=days - 1), as_of
    if from_ is None or to is None:
        raise BadInputError("backtest: give --from and --to (game dates), or --days N")
    start, end = parse_date(from_, "--from"), parse_date(to, "--to")
    if end < start:
        raise BadInputError(f"--to {end} is before --from {start}")
    return start, end


@app.command("report")
def report_(
    out: Annotated[
        str | None, typer.Option("--out", help="Output folder (default: reports/ beside the DB)")
    ] = None,
    as_of: AsOf = None,
) -> None:
    """Write calibration.png, rolling_accuracy.png, scorecard.png (by week) and summary.txt
    (evaluations, then the scorecard overall and by week); print where they are."""

    def body(ctx: RunContext, _settings: Settings, db: Path, _models: Path) -> None:
        assert ctx.as_of is not None
        out_dir = Path(out) if out else db.parent / "reports" / ctx.as_of.isoformat()
        conn = connect(db)
        try:
            scored = evaluation.scored_predictions(conn)
            evaluations = conn.execute(
                "SELECT * FROM predictions.prediction_evaluations "
                "ORDER BY model_name, model_version, run_kind, period, period_start"
            ).df()
            scores = conn.execute(
                "SELECT * FROM predictions.scorecard ORDER BY period, forecaster"
            ).df()
        finally:
            conn.close()
        from hoopcast_predictor import report  # matplotlib: only the report command needs it

        paths = report.write_report(scored, evaluations, out_dir, scores=scores)
        typer.echo(report.summary_table(evaluations), err=True)
        if not scores.empty:
            typer.echo(report.scorecard_table(scores), err=True)
        for name, path in paths.items():
            typer.echo(f"{name}: {path}", err=True)
        ctx.count("games", len(scored))
        ctx.extra["report_dir"] = str(out_dir)
        ctx.extra["files"] = {k: str(v) for k, v in paths.items()}

    _execute("report", as_of, body)


def main() -> None:
    """Console-script entry point."""
    app()


if __name__ == "__main__":
    main()
