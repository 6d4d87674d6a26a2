"""The training steps, chained through ``ml.training_runs``: dataset → fit → evaluate → register.

Each step works on the training run given by ``--run-id`` (the ``training_run_id`` of the
previous step's summary); without it only when a single run of the model name is open (not
yet registered). Each step records itself in the run's row (``step``). The DAG runs one
step per task; ``hoopcast-trainer train`` runs all four in one process. A run's working files
live in ``HOOPCAST_MODEL_DIR/runs/<run_id>/`` (``train.parquet``, ``validate.parquet``,
``model/``); ``register`` copies ``model/`` to ``HOOPCAST_MODEL_DIR/<model_name>/<version>/``.

DuckDB allows one writer at a time, so no step holds the database open while it trains.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import secrets
import shutil
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import duckdb
import numpy as np
import pandas as pd
from hoopcast_common.db import connect, one, transaction
from hoopcast_common.errors import BadInputError, NothingToDoError
from hoopcast_ml import model as model_io
from hoopcast_ml import registry, row_mapping
from hoopcast_ml.feature_table import META_COLUMNS, feature_columns, load_labelled
from hoopcast_ml.metrics import finite_or_none, fit_elo_margin, logit, score

from hoopcast_trainer.config import TrainerConfig
from hoopcast_trainer.dataset import data_hash, labelled_games, resolve_split

log = logging.getLogger(__name__)

STEPS = ("dataset", "fit", "evaluate", "register")
TRAIN_FILE = "train.parquet"
VALIDATE_FILE = "validate.parquet"
MODEL_SUBDIR = "model"


@dataclass(frozen=True)
class TrainingRun:
    """One ``ml.training_runs`` row (JSON columns decoded)."""

    run_id: str
    model_name: str
    as_of: dt.date | None
    step: str
    train_from: dt.date | None
    train_until: dt.date
    validate_from: dt.date
    validate_to: dt.date
    n_train: int
    n_validate: int
    feature_list: list[str]
    data_hash: str
    params: dict[str, Any]
    work_dir: str
    metrics: dict[str, Any]
    model_version: str | None
    gate_decision: str | None

    def folder(self, model_dir: Path) -> Path:
        """Absolute working folder of the run."""
        return model_dir / self.work_dir

    def summary(self) -> dict[str, Any]:
        """Facts for the CLI's JSON run summary."""
        headline = {k: self.metrics.get("model", {}).get(k) for k in ("log_loss", "accuracy")}
        return {
            "training_run_id": self.run_id,
            "step": self.step,
            "train_until": self.train_until.isoformat(),
            "validate": f"{self.validate_from}..{self.validate_to}",
            "n_features": len(self.feature_list),
            **({"validation": headline} if self.metrics else {}),
            **({"model_version": self.model_version} if self.model_version else {}),
            **({"gate": self.gate_decision} if self.gate_decision else {}),
            **({"gate_sample": self.metrics["gate"]} if "gate" in self.metrics else {}),
        }


_run = row_mapping.RowMapping(
    TrainingRun,
    {
        "n_train": row_mapping.count,
        "n_validate": row_mapping.count,
        "feature_list": row_mapping.json_list,
        "data_hash": row_mapping.text,
        "params": row_mapping.json_object,
        "work_dir": row_mapping.text,
        "metrics": row_mapping.json_object,
    },
)
"""``ml.training_runs`` rows as :class:`TrainingRun` (its fields are the selected columns)."""
_RUN_COLUMNS = _run.columns


def get_run(db_path: Path, run_id: str) -> TrainingRun:
    """The training run ``run_id``.

    Raises:
        BadInputError: unknown run id.
    """
    conn = connect(db_path)
    try:
        row = one(conn, f"SELECT {_RUN_COLUMNS} FROM ml.training_runs WHERE run_id = ?", [run_id])
    finally:
        conn.close()
    if row is None:
        raise BadInputError(f"--run-id {run_id!r}: no such training run")
    return _run(row)


def _pick_run(db_path: Path, model_name: str, step: str, run_id: str | None) -> TrainingRun:
    """The training run ``step`` works on: ``run_id``, or — only when exactly one run of
    ``model_name`` is open (not yet registered) — that run.

    Raises:
        BadInputError: the run is at another step; no run ready; several runs open (names
            ``--run-id`` and the open runs).
    """
    previous = STEPS[STEPS.index(step) - 1]
    if run_id is not None:
        run = get_run(db_path, run_id)
        if run.step != previous:
            raise BadInputError(
                f"training run {run_id} is at step {run.step!r}; `{step}` needs a run that "
                f"finished `{previous}`"
            )
        return run
    conn = connect(db_path)
    try:
        rows = conn.execute(
            f"SELECT {_RUN_COLUMNS} FROM ml.training_runs WHERE model_name = ? "
            "AND step <> 'register' AND status = 'ok' ORDER BY created_at, run_id",
            [model_name],
        ).fetchall()
    finally:
        conn.close()
    open_runs = [_run(r) for r in rows]
    if len(open_runs) > 1:
        listed = ", ".join(f"{r.run_id} ({r.step})" for r in open_runs)
        raise BadInputError(
            f"{len(open_runs)} training runs of {model_name!r} are open ({listed}): pass "
            "--run-id with the training_run_id of the previous step's summary"
        )
    if not open_runs or open_runs[0].step != previous:
        raise BadInputError(
            f"no training run of {model_name!r} has finished the `{previous}` step: run "
            f"`hoopcast-trainer {previous}` (or `hoopcast-trainer train`) first"
        )
    return open_runs[0]


def _update(db_path: Path, run_id: str, **columns: Any) -> None:
    conn = connect(db_path)
    try:
        sets = ", ".join(f"{name} = ?" for name in columns)
        conn.execute(
            f"UPDATE ml.training_runs SET {sets}, updated_at = current_timestamp WHERE run_id = ?",
            [*columns.values(), run_id],
        )
    finally:
        conn.close()


def new_run_id() -> str:
    """A sortable, unique training run id: ``tr_YYYYmmddTHHMMSS_<6 hex>`` (UTC)."""
    return f"tr_{dt.datetime.now(dt.UTC):%Y%m%dT%H%M%S}_{secrets.token_hex(3)}"


def step_dataset(
    db_path: Path,
    model_dir: Path,
    cfg: TrainerConfig,
    *,
    as_of: dt.date,
    train_from: dt.date | None = None,
    train_until: dt.date | None = None,
    validate_from: dt.date | None = None,
    validate_to: dt.date | None = None,
    force: bool = False,
) -> TrainingRun:
    """Snapshot the train and validation rows of a new training run.

    Training rows: final D1-vs-D1 games of ``features.game_features`` in the training window;
    validation rows: the same in the validation window (see
    :func:`hoopcast_trainer.dataset.resolve_split` for the defaults).

    With the default windows (no date given) and without ``force``, a retrain that would
    learn nothing new is refused: see :func:`nothing_new`.

    Raises:
        NothingToDoError: see :func:`nothing_new`.
        BadInputError: features missing, inconsistent windows, or an empty window.
    """
    default_window = all(d is None for d in (train_from, train_until, validate_from, validate_to))
    conn = connect(db_path)
    try:
        features = feature_columns(conn)
        if default_window and not force:
            reason = nothing_new(conn, cfg, features, as_of)
            if reason:
                raise NothingToDoError(reason)
        split = resolve_split(
            conn,
            as_of=as_of,
            train_from=train_from if train_from is not None else cfg.train_from,
            train_until=train_until,
            validate_from=validate_from,
            validate_to=validate_to,
            validation_days=cfg.validation_days,
            min_validation_games=cfg.min_gate_games,
        )
        train = load_labelled(conn, features, split.train_from, split.train_until)
        validate = load_labelled(conn, features, split.validate_from, split.validate_to)
    finally:
        conn.close()
    if train.empty:
        raise BadInputError(
            f"training window {split.train_from or 'start'}..{split.train_until} holds no final "
            "D1 games in features.game_features"
        )
    if validate.empty:
        raise BadInputError(
            f"validation window {split.validate_from}..{split.validate_to} holds no final D1 "
            "games in features.game_features"
        )
    run_id = new_run_id()
    work_dir = f"runs/{run_id}"
    folder = model_dir / work_dir
    folder.mkdir(parents=True, exist_ok=True)
    train.to_parquet(folder / TRAIN_FILE, index=False)
    validate.to_parquet(folder / VALIDATE_FILE, index=False)
    digest = data_hash(pd.concat([train, validate]), [*META_COLUMNS, *features])
    conn = connect(db_path)
    try:
        conn.execute(
            "INSERT INTO ml.training_runs (run_id, model_name, as_of, step, status, train_from, "
            "train_until, validate_from, validate_to, n_train, n_validate, feature_list, "
            "data_hash, work_dir) VALUES (?, ?, ?, 'dataset', 'ok', ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            [
                run_id,
                cfg.model_name,
                as_of,
                split.train_from,
                split.train_until,
                split.validate_from,
                split.validate_to,
                len(train),
                len(validate),
                json.dumps(features),
                digest,
                work_dir,
            ],
        )
    finally:
        conn.close()
    log.info(
        "dataset %s: %d training games (..%s), %d validation games (%s..%s), %d features",
        run_id,
        len(train),
        split.train_until,
        len(validate),
        split.validate_from,
        split.validate_to,
        len(features),
    )
    return get_run(db_path, run_id)


def fit_params(cfg: TrainerConfig) -> dict[str, Any]:
    """The training settings recorded with a fitted run (``ml.training_runs.params``)."""
    return {
        **cfg.params,
        "num_boost_round": cfg.num_boost_round,
        "early_stopping_rounds": cfg.early_stopping_rounds,
        "holdout_fraction": cfg.holdout_fraction,
    }


def nothing_new(
    conn: duckdb.DuckDBPyConnection, cfg: TrainerConfig, features: list[str], as_of: dt.date
) -> str | None:
    """Why a default retrain on game day ``as_of`` would be a no-op, or None.

    It is one when the last registered version of the model name was trained with the same
    feature list, ``train_from`` and settings (:func:`fit_params`) on data that already held
    every final D1-vs-D1 game now available before ``as_of``: no game final after its
    validation window, and as many games up to then as it used (a late result changes the
    count).
    """
    entries = registry.list_models(conn, cfg.model_name)
    if not entries:
        return None
    last = entries[0]
    run = one(
        conn,
        "SELECT n_train, n_validate, params FROM ml.training_runs WHERE run_id = ?",
        [last.run_id],
    )
    if run is None or last.feature_list != features or last.train_from != cfg.train_from:
        return None
    used = int(run[0] or 0) + int(run[1] or 0)
    if json.loads(run[2] or "{}") != json.loads(json.dumps(fit_params(cfg))):
        return None
    available, last_day = labelled_games(conn, cfg.train_from, as_of - dt.timedelta(days=1))
    if available != used or (last_day is not None and last_day > last.validate_to):
        return None
    return (
        f"no new final game since {last.version}'s data ({used} games through "
        f"{last.validate_to}): nothing to retrain (pass --force to retrain anyway)"
    )


def _read_frame(path: Path) -> pd.DataFrame:
    if not path.is_file():
        raise BadInputError(
            f"training dataset {path} is missing; re-run `hoopcast-trainer dataset`"
        )
    try:
        return pd.read_parquet(path)
    except Exception as exc:  # pyarrow raises several types for a damaged file
        raise BadInputError(f"training dataset {path} is corrupt: {exc}") from exc


def step_fit(
    db_path: Path, model_dir: Path, cfg: TrainerConfig, run_id: str | None = None
) -> TrainingRun:
    """Fit the binary and regression LightGBM models of a run that finished ``dataset``."""
    run = _pick_run(db_path, cfg.model_name, "fit", run_id)
    folder = run.folder(model_dir)
    train = _read_frame(folder / TRAIN_FILE)
    fitted = model_io.fit(
        train,
        run.feature_list,
        cfg.params,
        cfg.num_boost_round,
        early_stopping_rounds=cfg.early_stopping_rounds,
        holdout_fraction=cfg.holdout_fraction,
    )
    params = fit_params(cfg)
    fitted.metadata = {
        **fitted.metadata,
        "model_name": run.model_name,
        "training_run_id": run.run_id,
        "train_from": run.train_from,
        "train_until": run.train_until,
        "validate_from": run.validate_from,
        "validate_to": run.validate_to,
        "n_train": run.n_train,
        "data_hash": run.data_hash,
        "params": params,
        "label_means": {
            "home_win": float(train["home_win"].astype(np.float64).mean()),
            "home_margin": float(train["home_margin"].astype(np.float64).mean()),
        },
        "elo_margin_line": list(fit_elo_margin(train["elo_home_prob"], train["home_margin"])),
    }
    model_io.save(fitted, folder / MODEL_SUBDIR)
    _update(db_path, run.run_id, step="fit", params=json.dumps(params))
    boosting = fitted.metadata["boosting"]
    log.info(
        "fit %s on %d games (+%d held out): %d classifier / %d regressor rounds",
        run.run_id,
        boosting["fit_games"],
        boosting["holdout_games"],
        boosting["classifier_rounds"],
        boosting["regressor_rounds"],
    )
    return get_run(db_path, run.run_id)


def baseline_predictions(
    frame: pd.DataFrame, metadata: dict[str, Any]
) -> dict[str, tuple[np.ndarray, np.ndarray]]:
    """Baseline (probability, margin) per game for ``frame``.

    * ``home_court``: the training set's home-win rate and mean home margin for every game;
    * ``elo``: ``elo_home_prob`` from features, margin = a + b * logit(elo_home_prob) with
      (a, b) fitted by least squares on the training set.
    """
    n = len(frame)
    means = metadata.get("label_means", {})
    a, b = metadata.get("elo_margin_line", [0.0, 0.0])
    elo = frame["elo_home_prob"].astype(np.float64).fillna(0.5).to_numpy()
    return {
        "home_court": (
            np.full(n, float(means.get("home_win", 0.5))),
            np.full(n, float(means.get("home_margin", 0.0))),
        ),
        "elo": (elo, a + b * logit(elo)),
    }


def evaluate_frame(fitted: model_io.GameModel, frame: pd.DataFrame) -> dict[str, Any]:
    """Validation metrics of a model and of the baselines on the same games.

    Returns ``{"n_games", "model": {...}, "elo": {...}, "home_court": {...}}`` with each entry
    as :func:`hoopcast_ml.metrics.score` returns it.
    """
    y = frame["home_win"].astype(np.float64).to_numpy()
    margin = frame["home_margin"].astype(np.float64).to_numpy()
    prob, predicted_margin = fitted.predict(frame)
    out: dict[str, Any] = {"n_games": len(frame), "model": score(y, prob, margin, predicted_margin)}
    for name, (p, m) in baseline_predictions(frame, fitted.metadata).items():
        out[name] = score(y, p, margin, m)
    return out


def step_evaluate(
    db_path: Path, model_dir: Path, cfg: TrainerConfig, run_id: str | None = None
) -> TrainingRun:
    """Score a fitted run on its validation window against the baselines; saved with the model."""
    run = _pick_run(db_path, cfg.model_name, "evaluate", run_id)
    folder = run.folder(model_dir)
    fitted = model_io.load(folder / MODEL_SUBDIR)
    validate = _read_frame(folder / VALIDATE_FILE)
    metrics = evaluate_frame(fitted, validate)
    model_io.write_metadata(folder / MODEL_SUBDIR, {**fitted.metadata, "metrics": metrics})
    _update(db_path, run.run_id, step="evaluate", metrics=json.dumps(metrics))
    m, e = metrics["model"], metrics["elo"]
    log.info(
        "evaluate %s on %d games: log-loss %.4f (Elo %.4f), accuracy %.3f (Elo %.3f), "
        "margin MAE %.2f (Elo %.2f)",
        run.run_id,
        metrics["n_games"],
        m["log_loss"],
        e["log_loss"],
        m["accuracy"],
        e["accuracy"],
        m["margin_mae"],
        e["margin_mae"],
    )
    return get_run(db_path, run.run_id)


def gate_decision(
    new_log_loss: float,
    elo_log_loss: float,
    production_log_loss: float | None,
    elo_tolerance: float = 0.0,
    *,
    games: int | None = None,
    min_games: int = 0,
) -> tuple[bool, str]:
    """The promotion gate: promote only if compared on enough games, better than production
    and not worse than Elo.

    All log-losses are validation log-losses on the same ``games`` games (the candidate's
    validation games that the production model did not train on). ``production_log_loss``
    None means there is no comparable production model: a first model is promoted when it is
    not worse than Elo. Fewer than ``min_games`` games keeps production whatever the scores
    (``games`` None = not checked). The model counts as worse than Elo when its log-loss
    exceeds Elo's by more than ``elo_tolerance`` (see :func:`elo_tolerance`; 0 = any excess).
    Beating production is strict: a lower log-loss.

    Returns:
        ``(promote, reason)``.
    """
    if games is not None and (games < min_games or games == 0):
        return False, (
            f"kept as candidate: compared on {games} validation games, fewer than the gate's "
            f"minimum sample of {min_games} (TRAINER_MIN_GATE_GAMES)"
        )
    on = f" on {games} validation games" if games is not None else ""
    if new_log_loss > elo_log_loss + elo_tolerance:
        return False, (
            f"kept as candidate: log-loss {new_log_loss:.4f} is worse than the Elo baseline "
            f"{elo_log_loss:.4f} (tolerance {elo_tolerance:.4f}){on}"
        )
    if production_log_loss is None:
        return True, (
            f"promoted: no comparable production model; log-loss {new_log_loss:.4f} is not "
            f"worse than Elo {elo_log_loss:.4f} (tolerance {elo_tolerance:.4f}){on}"
        )
    if new_log_loss < production_log_loss:
        return True, (
            f"promoted: log-loss {new_log_loss:.4f} beats production {production_log_loss:.4f} "
            f"on the same validation games{on}"
        )
    return False, (
        f"kept as candidate: log-loss {new_log_loss:.4f} does not beat production "
        f"{production_log_loss:.4f} on the same validation games{on}"
    )


def elo_tolerance(
    home_win: np.ndarray, model_prob: np.ndarray, elo_prob: np.ndarray, z: float
) -> float:
    """How much higher than Elo's the model's log-loss may be and still count as "not worse".

    ``z`` standard errors of the mean per-game log-loss difference (model − Elo) on the same
    games — a one-sided paired z-test: with ``z`` = 1.645 the model is "worse than Elo" only
    when that is significant at the 5 % level. ``z`` = 0 gives a strict comparison.
    """
    if z <= 0 or len(home_win) < 2:
        return 0.0
    y = home_win.astype(np.float64)
    p = np.clip(model_prob, 1e-15, 1 - 1e-15)
    e = np.clip(elo_prob, 1e-15, 1 - 1e-15)
    diff = -(y * np.log(p) + (1 - y) * np.log(1 - p)) + (y * np.log(e) + (1 - y) * np.log(1 - e))
    return float(z * diff.std(ddof=1) / np.sqrt(len(diff)))


@dataclass
class GateSample:
    """The games the gate compares on and the probabilities of both models there.

    ``games``: validation rows (columns as the validation parquet); ``candidate_prob`` and
    ``production_prob`` (None without a comparable production model) are home-win
    probabilities per row.
    """

    games: pd.DataFrame
    candidate_prob: np.ndarray
    production_prob: np.ndarray | None


def gate_sample(
    validate: pd.DataFrame,
    candidate: model_io.GameModel,
    current: registry.RegistryEntry | None,
    model_dir: Path,
) -> GateSample:
    """The candidate's validation games the gate compares on, both models scored on them.

    With a production model whose features are all still built, the games are the
    candidate's validation games dated after the production model's ``train_until`` (games
    neither model trained on), so both are judged on the same, unseen games. Without one
    (none, or its features are gone) they are all the candidate's validation games, compared
    with Elo only.

    Raises:
        BadInputError: the production model's artefacts are corrupt (names the file).
    """
    if current is None:
        return GateSample(validate, candidate.predict(validate)[0], None)
    current_model = registry.load_model(model_dir, current)
    missing = [f for f in current_model.features if f not in validate.columns]
    if missing:
        log.warning(
            "production %s uses features no longer built (%s): it cannot be compared",
            current.version,
            missing,
        )
        return GateSample(validate, candidate.predict(validate)[0], None)
    dates = pd.to_datetime(validate["game_date"]).dt.date
    games = validate[dates > current.train_until].reset_index(drop=True)
    return GateSample(games, candidate.predict(games)[0], current_model.predict(games)[0])


def step_register(
    db_path: Path, model_dir: Path, cfg: TrainerConfig, run_id: str | None = None
) -> TrainingRun:
    """Register an evaluated run as a new version and apply the promotion gate.

    The artefacts are copied to ``<model_dir>/<model_name>/<version>/``; the registry row, the
    gate's stage change and the run's ``register`` step are written in one transaction. The
    gate (:func:`gate_decision`) compares on :func:`gate_sample`'s games; its facts (games,
    days, log-losses, production version) go into the registry metrics under ``gate`` and the
    run summary as ``gate_sample``.

    Raises:
        BadInputError: the current production model's artefacts are corrupt (names the file).
    """
    run = _pick_run(db_path, cfg.model_name, "register", run_id)
    folder = run.folder(model_dir)
    validate = _read_frame(folder / VALIDATE_FILE)
    conn = connect(db_path)
    try:
        current = registry.production(conn, run.model_name)
        version, number = registry.next_version(conn, run.model_name)
    finally:
        conn.close()
    new_model = model_io.load(folder / MODEL_SUBDIR)
    gate = gate_sample(validate, new_model, current, model_dir)
    y = gate.games["home_win"].astype(np.float64).to_numpy()
    elo = gate.games["elo_home_prob"].astype(np.float64).fillna(0.5).to_numpy()
    if len(y):
        new_ll = float(score(y, gate.candidate_prob, with_calibration=False)["log_loss"])
        elo_ll = float(score(y, elo, with_calibration=False)["log_loss"])
    else:
        new_ll = elo_ll = float("nan")
    production_ll = (
        float(score(y, gate.production_prob, with_calibration=False)["log_loss"])
        if gate.production_prob is not None and len(y)
        else None
    )
    tolerance = elo_tolerance(y, gate.candidate_prob, elo, cfg.gate_elo_z)
    promote, reason = gate_decision(
        new_ll,
        elo_ll,
        production_ll,
        tolerance,
        games=len(y),
        min_games=cfg.min_gate_games,
    )
    days = [d.date() for d in pd.to_datetime(gate.games["game_date"])]
    gate_facts = {
        "games": len(y),
        "min_games": cfg.min_gate_games,
        "first_day": min(days).isoformat() if days else None,
        "last_day": max(days).isoformat() if days else None,
        "production_version": current.version if current else None,
        "candidate_log_loss": finite_or_none(new_ll),
        "production_log_loss": production_ll,
        "elo_log_loss": finite_or_none(elo_ll),
        "promoted": promote,
    }
    artefact_path = f"{run.model_name}/{version}"
    target = model_dir / artefact_path
    if target.exists():
        shutil.rmtree(target)
    shutil.copytree(folder / MODEL_SUBDIR, target)
    metadata = model_io.read_metadata(target)
    model_io.write_metadata(
        target, {**metadata, "version": version, "registered_at": dt.datetime.now(dt.UTC)}
    )
    conn = connect(db_path)
    try:
        with transaction(conn):
            registry.insert(
                conn,
                model_name=run.model_name,
                version=version,
                version_number=number,
                run_id=run.run_id,
                artefact_path=artefact_path,
                train_from=run.train_from,
                train_until=run.train_until,
                validate_from=run.validate_from,
                validate_to=run.validate_to,
                feature_list=run.feature_list,
                data_hash=run.data_hash,
                metrics={**run.metrics, "gate": gate_facts},
            )
            if promote:
                registry.promote(conn, run.model_name, version, reason)
            conn.execute(
                "UPDATE ml.training_runs SET step = 'register', model_version = ?, "
                "gate_decision = ?, metrics = ?, updated_at = current_timestamp "
                "WHERE run_id = ?",
                [
                    version,
                    reason,
                    json.dumps({**run.metrics, "gate": gate_facts}, default=str),
                    run.run_id,
                ],
            )
    except BaseException:
        shutil.rmtree(target, ignore_errors=True)
        raise
    finally:
        conn.close()
    log.info("register %s as %s %s: %s", run.run_id, run.model_name, version, reason)
    return get_run(db_path, run.run_id)
