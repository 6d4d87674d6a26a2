"""``hoopcast-trainer``: build training sets, fit LightGBM, evaluate, register and gate models.

Commands (docs/DESIGN.md, "Stage CLI subcommands"; docs/guides/models.md):
``train`` (dataset + fit + evaluate + register), the DAG steps ``dataset``, ``fit``,
``evaluate``, ``register`` (each on ``--run-id``: the ``training_run_id`` of the previous
step's summary; required when more than one run is open), and ``list``, ``promote VERSION``,
``rollback``, ``challenger VERSION [--off]``, ``storage`` (artefact folder sizes) and
``prune`` (apply the retention rule).
Every command runs through :func:`hoopcast_common.runs.run_command`: exit codes 0/2/3/99 and the
last stdout line is the JSON run summary.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from pathlib import Path
from typing import Annotated

import typer
from hoopcast_common.cli import AsOf
from hoopcast_common.dates import parse_date
from hoopcast_common.db import WarehouseTarget, connect, transaction
from hoopcast_common.runs import RunContext, run_command
from hoopcast_common.settings import Settings
from hoopcast_ml import registry
from hoopcast_ml.registry import model_dir

from hoopcast_trainer import pipeline, storage
from hoopcast_trainer.config import TrainerConfig

STAGE = "trainer"
app = typer.Typer(add_completion=False, no_args_is_help=True, help=__doc__)

RunId = Annotated[
    str | None,
    typer.Option(
        "--run-id",
        help="The training_run_id of the previous step's summary (may be left out only while "
        "a single training run is open)",
    ),
]
Force = Annotated[
    bool,
    typer.Option(
        "--force", help="Retrain even when no game became final since the last version's data"
    ),
]
# The training window of ``dataset`` and ``train`` (game_date, inclusive; docs/guides/models.md).
TrainFrom = Annotated[
    str | None, typer.Option("--train-from", help="First training game date YYYY-MM-DD")
]
TrainUntil = Annotated[
    str | None, typer.Option("--train-until", help="Last training game date YYYY-MM-DD")
]
ValidateFrom = Annotated[
    str | None, typer.Option("--validate-from", help="First validation game date YYYY-MM-DD")
]
ValidateTo = Annotated[
    str | None, typer.Option("--validate-to", help="Last validation game date YYYY-MM-DD")
]


Body = Callable[[RunContext, TrainerConfig, WarehouseTarget, Path], None]
"""A command body: (run context, training config, DuckDB path, model folder)."""


def _execute(command: str, as_of_text: str | None, body: Body) -> None:
    """Run ``body`` as one logged trainer run; ``model_name`` goes into the summary.

    The training configuration is resolved before the run starts, so a bad ``TRAINER_*``
    setting fails like a bad ``--as-of`` (exit 2, no ``ops.stage_runs`` row).
    """

    def run(ctx: RunContext, resolved: tuple[Settings, TrainerConfig]) -> None:
        settings, cfg = resolved
        ctx.extra["model_name"] = cfg.model_name
        body(ctx, cfg, settings.warehouse, model_dir(settings))

    def prepare(settings: Settings) -> tuple[Settings, TrainerConfig]:
        return settings, TrainerConfig.from_settings(settings)

    raise typer.Exit(run_command(STAGE, command, as_of_text, run, prepare=prepare))


def _opt_date(value: str | None, name: str) -> dt.date | None:
    return parse_date(value, name) if value else None


def _report(ctx: RunContext, run: pipeline.TrainingRun, *counts: str) -> None:
    """Put training run ``run`` into the summary: ``run.summary()`` and the named ``counts``.

    ``counts`` are among ``train_games`` (``run.n_train``), ``validation_games``
    (``run.n_validate``) and ``models_registered`` (1).
    """
    values = {
        "train_games": run.n_train,
        "validation_games": run.n_validate,
        "models_registered": 1,
    }
    for key in counts:
        ctx.count(key, values[key])
    ctx.extra.update(run.summary())


Step = Callable[[WarehouseTarget, Path, TrainerConfig, str | None], pipeline.TrainingRun]
"""A DAG step after ``dataset``: (DuckDB path, model folder, config, run id) → the run."""


def _execute_step(
    command: str, as_of: str | None, run_id: str | None, step: Step, count: str
) -> None:
    """Run ``step`` on training run ``run_id`` (default: latest ready) as one logged run."""

    def body(ctx: RunContext, cfg: TrainerConfig, db: WarehouseTarget, models: Path) -> None:
        _report(ctx, step(db, models, cfg, run_id), count)

    _execute(command, as_of, body)


def _new_training_run(
    ctx: RunContext,
    cfg: TrainerConfig,
    db: WarehouseTarget,
    models: Path,
    window: tuple[str | None, str | None, str | None, str | None],
    force: bool = False,
) -> pipeline.TrainingRun:
    """:func:`pipeline.step_dataset` on the typed training window.

    ``window`` = (``--train-from``, ``--train-until``, ``--validate-from``, ``--validate-to``)
    as typed, each None when not given.

    Raises:
        BadInputError: a window date is not ``YYYY-MM-DD`` (or see ``step_dataset``).
    """
    assert ctx.as_of is not None
    train_from, train_until, validate_from, validate_to = window
    return pipeline.step_dataset(
        db,
        models,
        cfg,
        as_of=ctx.as_of,
        train_from=_opt_date(train_from, "--train-from"),
        train_until=_opt_date(train_until, "--train-until"),
        validate_from=_opt_date(validate_from, "--validate-from"),
        validate_to=_opt_date(validate_to, "--validate-to"),
        force=force,
    )


@app.command()
def dataset(
    as_of: AsOf = None,
    train_from: TrainFrom = None,
    train_until: TrainUntil = None,
    validate_from: ValidateFrom = None,
    validate_to: ValidateTo = None,
    force: Force = False,
) -> None:
    """Snapshot training and validation sets (time-based split) as a new training run; exit
    99 when no game became final since the last registered version's data."""

    def body(ctx: RunContext, cfg: TrainerConfig, db: WarehouseTarget, models: Path) -> None:
        window = (train_from, train_until, validate_from, validate_to)
        run = _new_training_run(ctx, cfg, db, models, window, force)
        _report(ctx, run, "train_games", "validation_games")

    _execute("dataset", as_of, body)


@app.command()
def fit(as_of: AsOf = None, run_id: RunId = None) -> None:
    """Fit the LightGBM binary (home win) and regression (home margin) models."""
    _execute_step("fit", as_of, run_id, pipeline.step_fit, "train_games")


@app.command()
def evaluate(as_of: AsOf = None, run_id: RunId = None) -> None:
    """Score the fitted models on the validation window against the baselines."""
    _execute_step("evaluate", as_of, run_id, pipeline.step_evaluate, "validation_games")


@app.command()
def register(as_of: AsOf = None, run_id: RunId = None) -> None:
    """Register the evaluated run as a new version and apply the promotion gate."""
    _execute_step("register", as_of, run_id, pipeline.step_register, "models_registered")


@app.command()
def train(
    as_of: AsOf = None,
    train_from: TrainFrom = None,
    train_until: TrainUntil = None,
    validate_from: ValidateFrom = None,
    validate_to: ValidateTo = None,
    force: Force = False,
) -> None:
    """dataset + fit + evaluate + register in one go (exit 99 like ``dataset``)."""

    def body(ctx: RunContext, cfg: TrainerConfig, db: WarehouseTarget, models: Path) -> None:
        window = (train_from, train_until, validate_from, validate_to)
        run = _new_training_run(ctx, cfg, db, models, window, force)
        pipeline.step_fit(db, models, cfg, run.run_id)
        pipeline.step_evaluate(db, models, cfg, run.run_id)
        run = pipeline.step_register(db, models, cfg, run.run_id)
        _report(ctx, run, "train_games", "validation_games", "models_registered")

    _execute("train", as_of, body)


@app.command("list")
def list_(as_of: AsOf = None) -> None:
    """Print the registered versions (one line each on stderr; all in the summary)."""

    def body(ctx: RunContext, cfg: TrainerConfig, db: WarehouseTarget, models: Path) -> None:
        conn = connect(db)
        try:
            entries = registry.list_models(conn, cfg.model_name)
        finally:
            conn.close()
        for e in entries:
            d = e.as_dict()
            figures = " ".join(
                f"{key} {d[key]:.4f}" if isinstance(d[key], float) else f"{key} -"
                for key in ("log_loss", "accuracy", "margin_mae")
            )
            typer.echo(
                f"{e.model_name} {e.version:>5} {e.serving_role:<10} train..{d['train_until']} "
                f"validate {d['validate']} {figures}",
                err=True,
            )
        ctx.count("models", len(entries))
        ctx.extra["models"] = [e.as_dict() for e in entries]

    _execute("list", as_of, body)


@app.command()
def promote(
    version: Annotated[str, typer.Argument(help="Version to make production, e.g. v3")],
    as_of: AsOf = None,
) -> None:
    """Force VERSION to production (bypasses the gate; the current production is archived)."""

    def body(ctx: RunContext, cfg: TrainerConfig, db: WarehouseTarget, models: Path) -> None:
        conn = connect(db)
        try:
            entry = registry.get(conn, cfg.model_name, version)
            registry.load_model(models, entry)  # refuse to serve missing/corrupt artefacts
            with transaction(conn):
                registry.promote(conn, cfg.model_name, version, "forced by `promote`")
        finally:
            conn.close()
        ctx.extra["production"] = version

    _execute("promote", as_of, body)


@app.command()
def rollback(as_of: AsOf = None) -> None:
    """Restore the previous production model (the current one is archived)."""

    def body(ctx: RunContext, cfg: TrainerConfig, db: WarehouseTarget, models: Path) -> None:
        conn = connect(db)
        try:
            with transaction(conn):
                demoted, restored = registry.rollback(conn, cfg.model_name)
                registry.load_model(models, registry.get(conn, cfg.model_name, restored))
        finally:
            conn.close()
        ctx.extra.update({"production": restored, "archived": demoted})

    _execute("rollback", as_of, body)


@app.command()
def challenger(
    version: Annotated[str, typer.Argument(help="Candidate version, e.g. v4")],
    off: Annotated[bool, typer.Option("--off", help="Stop challenging")] = False,
    as_of: AsOf = None,
) -> None:
    """Mark a candidate as an active challenger (it gets daily predictions too), or unmark it."""

    def body(ctx: RunContext, cfg: TrainerConfig, db: WarehouseTarget, models: Path) -> None:
        conn = connect(db)
        try:
            if not off:
                registry.load_model(models, registry.get(conn, cfg.model_name, version))
            with transaction(conn):
                registry.set_challenger(conn, cfg.model_name, version, not off)
        finally:
            conn.close()
        ctx.extra.update({"challenger": version, "active": not off})

    _execute("challenger", as_of, body)


def _storage(
    ctx: RunContext, cfg: TrainerConfig, db: WarehouseTarget, models: Path, apply: bool
) -> None:
    conn = connect(db)
    try:
        folders = storage.inventory(conn, models, cfg.model_name, cfg.keep_archived)
        deleted = storage.prune(conn, models, folders) if apply else []
    finally:
        conn.close()
    for f in folders:
        verdict = "keep" if f.keep else ("deleted" if f in deleted else "prunable")
        typer.echo(
            f"{f.kind:<7} {f.name:<28} {f.role:<10} {f.bytes / 1e6:>9.2f} MB  {verdict}", err=True
        )
    ctx.count("folders", len(folders))
    ctx.count("bytes", sum(f.bytes for f in folders))
    ctx.count("prunable_bytes", sum(f.bytes for f in folders if not f.keep and f not in deleted))
    ctx.count("folders_deleted", len(deleted))
    ctx.count("bytes_deleted", sum(f.bytes for f in deleted))
    ctx.extra["keep_archived"] = cfg.keep_archived
    ctx.extra["folders"] = [f.as_dict() for f in folders]


@app.command("storage")
def storage_(as_of: AsOf = None) -> None:
    """Sizes of the model artefact folders and which ones `prune` would delete."""

    def body(ctx: RunContext, cfg: TrainerConfig, db: WarehouseTarget, models: Path) -> None:
        _storage(ctx, cfg, db, models, apply=False)

    _execute("storage", as_of, body)


@app.command()
def prune(as_of: AsOf = None) -> None:
    """Delete artefact folders outside the retention rule: archived versions beyond the
    TRAINER_KEEP_ARCHIVED most recent, and the working folders of finished training runs."""

    def body(ctx: RunContext, cfg: TrainerConfig, db: WarehouseTarget, models: Path) -> None:
        _storage(ctx, cfg, db, models, apply=True)

    _execute("prune", as_of, body)


def main() -> None:
    """Console-script entry point."""
    app()


if __name__ == "__main__":
    main()
