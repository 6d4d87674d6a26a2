"""``hoopcast-predictor``: predictions of upcoming games, accuracy tracking, backtests, reports.

Commands (docs/TEAM_NOTES.md, "Stage CLI subcommands"; docs/guides/models.md):
``predict --days N`` (generate + store), the DAG steps ``upcoming --days N`` (exit 99 when no
game is scheduled), ``predict --stage-only`` and ``store``, plus ``evaluate``,
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
import typer
from hoopcast_common.cli import AsOf
from hoopcast_common.dates import parse_date
from hoopcast_common.db import connect
from hoopcast_common.errors import BadInputError, NothingToDoError
from hoopcast_common.runs import RunContext, run_command
from hoopcast_common.settings import Settings
from hoopcast_ml.feature_table import feature_columns, load_events
from hoopcast_ml.registry import model_dir

from hoopcast_predictor import evaluation, exports, predict, report, show

log = logging.getLogger(__name__)

STAGE = "predictor"
app = typer.Typer(add_completion=False, no_args_is_help=True, help=__doc__)

Days = Annotated[
    int | None,
    typer.Option("--days", help="Predict games in (as-of, as-of + days] (default PREDICTOR_DAYS)"),
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
    if value < 1:
        raise BadInputError(f"--days {value}: must be at least 1")
    return value


@app.command()
def upcoming(as_of: AsOf = None, days: Days = None) -> None:
    """List scheduled games in (as-of, as-of + days]; exit 99 when there is none."""

    def body(ctx: RunContext, settings: Settings, db: Path, _models: Path) -> None:
        assert ctx.as_of is not None
        n_days = _days(settings, days)
        conn = connect(db)
        try:
            games = predict.upcoming_games(conn, ctx.as_of, n_days)
        finally:
            conn.close()
        ctx.count("upcoming_games", len(games))
        ctx.extra["window"] = (
            f"{ctx.as_of + dt.timedelta(days=1)}..{ctx.as_of + dt.timedelta(days=n_days)}"
        )
        if games.empty:
            raise NothingToDoError(f"no scheduled game in the {n_days} days after {ctx.as_of}")
        for g in games.itertuples():
            typer.echo(f"{g.game_date} {g.event_id} {g.away_team_id} @ {g.home_team_id}", err=True)

    _execute("upcoming", as_of, body)


@app.command("predict")
def predict_(
    as_of: AsOf = None,
    days: Days = None,
    stage_only: Annotated[
        bool,
        typer.Option(
            "--stage-only", help="Write predictions.staged_predictions; `store` publishes"
        ),
    ] = False,
) -> None:
    """Predict every scheduled game in (as-of, as-of + days] with every active model."""

    def body(ctx: RunContext, settings: Settings, db: Path, models: Path) -> None:
        assert ctx.as_of is not None
        n_days = _days(settings, days)
        conn = connect(db)
        try:
            serving = predict.load_active_models(conn, models)
            games = predict.upcoming_games(conn, ctx.as_of, n_days)
            if games.empty:
                raise NothingToDoError(f"no scheduled game in the {n_days} days after {ctx.as_of}")
            rows = predict.predict_frame(
                serving,
                games,
                as_of=ctx.as_of,
                run_kind="daily",
                predicted_at=dt.datetime.now(dt.UTC),
            )
            if stage_only:
                predict.stage_rows(conn, rows, ctx.run_id)
                ctx.extra["batch_id"] = ctx.run_id
                ctx.count("predictions_staged", len(rows))
            else:
                predict.store_predictions(conn, rows)
                ctx.count("predictions_stored", len(rows))
                _export(ctx, conn, db, n_days)
        finally:
            conn.close()
        ctx.count("games", len(games))
        ctx.extra["models"] = [f"{s.entry.model_name} {s.entry.version}" for s in serving]

    _execute("predict", as_of, body)


@app.command()
def store(
    as_of: AsOf = None,
    batch_id: Annotated[
        str | None, typer.Option("--batch-id", help="Staged batch (default: latest unstored)")
    ] = None,
) -> None:
    """Publish staged predictions idempotently and verify one row per game per model."""

    def body(ctx: RunContext, _settings: Settings, db: Path, _models: Path) -> None:
        conn = connect(db)
        try:
            batch, n = predict.publish_batch(conn, batch_id)
            _export(ctx, conn, db, _days(_settings, None))
        finally:
            conn.close()
        ctx.count("predictions_stored", n)
        ctx.extra["batch_id"] = batch

    _execute("store", as_of, body)


def _export(ctx: RunContext, conn: duckdb.DuckDBPyConnection, db: Path, days: int) -> None:
    """Write the run's forecast exports; a failure is reported, the stored predictions stay."""
    assert ctx.as_of is not None
    try:
        ctx.extra["exports"] = exports.write_exports(conn, db, ctx.as_of, days)
    except (duckdb.Error, OSError) as exc:
        log.warning("forecast exports of %s not written: %s", ctx.as_of, exc)
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


@app.command("evaluate")
def evaluate_(as_of: AsOf = None) -> None:
    """Join predictions to final results; rebuild predictions.prediction_evaluations."""

    def body(ctx: RunContext, _settings: Settings, db: Path, _models: Path) -> None:
        _evaluate(ctx, db)

    _execute("evaluate", as_of, body)


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
                predicted_at=dt.datetime.now(dt.UTC),
            )
            predict.store_predictions(conn, rows)
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
    """Write calibration.png, rolling_accuracy.png and summary.txt; print where they are."""

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
        finally:
            conn.close()
        paths = report.write_report(scored, evaluations, out_dir)
        typer.echo(report.summary_table(evaluations), err=True)
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
