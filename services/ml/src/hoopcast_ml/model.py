"""The game model: a LightGBM binary model (home-win probability) and a LightGBM regression
model (home margin, points), saved as LightGBM text model files plus ``metadata.json``.

Artefact folder layout (one folder per training run, then per registered version)::

    classifier.txt   LightGBM binary model (objective=binary)
    regressor.txt    LightGBM regression model (objective=regression, L2)
    metadata.json    feature list, training window, params, data hash, metrics, library
                     versions and the sha256 of both model files

Loading verifies every file exists, matches its recorded sha256 and parses; any failure is a
:class:`~hoopcast_common.errors.BadInputError` naming the file (exit 2).
"""

from __future__ import annotations

import hashlib
import json
import platform
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import lightgbm as lgb
import numpy as np
import pandas as pd
from hoopcast_common.errors import BadInputError

from hoopcast_ml.metrics import FloatArray

CLASSIFIER_FILE = "classifier.txt"
REGRESSOR_FILE = "regressor.txt"
METADATA_FILE = "metadata.json"


def library_versions() -> dict[str, str]:
    """Versions of the libraries a model depends on (recorded in its metadata)."""
    import duckdb
    import sklearn

    return {
        "python": platform.python_version(),
        "lightgbm": lgb.__version__,
        "numpy": np.__version__,
        "pandas": pd.__version__,
        "scikit-learn": sklearn.__version__,
        "duckdb": duckdb.__version__,
    }


def _sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


@dataclass
class GameModel:
    """A fitted pair of LightGBM boosters over the same ordered feature list.

    ``metadata`` is the JSON-serialisable description saved beside the model files.
    """

    classifier: lgb.Booster
    regressor: lgb.Booster
    features: list[str]
    metadata: dict[str, Any] = field(default_factory=dict)

    def matrix(self, frame: pd.DataFrame) -> FloatArray:
        """The model's input matrix (n_games x n_features, float64, NaN = missing).

        Raises:
            BadInputError: ``frame`` lacks some of the model's features.
        """
        missing = [f for f in self.features if f not in frame.columns]
        if missing:
            raise BadInputError(
                f"features.game_features lacks the model's feature column(s) {missing}; "
                "retrain the model on the current features"
            )
        return np.asarray(frame[self.features].to_numpy(dtype=np.float64), dtype=np.float64)

    def predict(self, frame: pd.DataFrame) -> tuple[FloatArray, FloatArray]:
        """Home-win probability in [0, 1] and predicted home margin (points) per row."""
        x = self.matrix(frame)
        if x.shape[0] == 0:
            empty = np.zeros(0, dtype=np.float64)
            return empty, empty
        prob = np.asarray(self.classifier.predict(x), dtype=np.float64)
        margin = np.asarray(self.regressor.predict(x), dtype=np.float64)
        return np.clip(prob, 0.0, 1.0), margin


MIN_HOLDOUT_GAMES = 100


def fit(
    train: pd.DataFrame,
    features: list[str],
    params: dict[str, Any],
    num_boost_round: int,
    *,
    early_stopping_rounds: int = 0,
    holdout_fraction: float = 0.15,
) -> GameModel:
    """Fit both boosters on ``train`` (labels ``home_win`` and ``home_margin``).

    ``params`` should carry the deterministic settings (``deterministic``, ``force_row_wise``,
    fixed ``num_threads`` and ``seed``): then the same data gives byte-identical model files.

    With ``early_stopping_rounds`` > 0 the latest ``holdout_fraction`` of ``train`` (rows are
    in date order) is held out, each booster is fitted on the earlier rows and stops once its
    holdout loss (binary log-loss / L2) has not improved for that many rounds; the model keeps
    the best iteration (LightGBM ``early_stopping`` callback). This adapts the number of
    rounds to the amount of history (few seasons → few rounds). Skipped when either part would
    hold fewer than 100 games.

    Raises:
        BadInputError: ``train`` is empty or has a single outcome class.
    """
    if train.empty:
        raise BadInputError("the training window holds no final D1 games with features")
    y_win = train["home_win"].astype(np.float64).to_numpy()
    if len(np.unique(y_win)) < 2:
        raise BadInputError("the training window holds only one outcome (all home wins or losses)")
    x = np.asarray(train[features].to_numpy(dtype=np.float64), dtype=np.float64)
    y_margin = train["home_margin"].astype(np.float64).to_numpy()
    common = {**params, "feature_pre_filter": False}
    n_holdout = int(len(train) * holdout_fraction)
    stop = (
        early_stopping_rounds > 0
        and n_holdout >= MIN_HOLDOUT_GAMES
        and len(train) - n_holdout >= MIN_HOLDOUT_GAMES
    )
    cut = len(train) - n_holdout if stop else len(train)

    def booster(objective: str, metric: str, label: np.ndarray) -> lgb.Booster:
        fit_set = lgb.Dataset(x[:cut], label=label[:cut], feature_name=features)
        if not stop:
            return lgb.train(
                {**common, "objective": objective, "metric": metric},
                fit_set,
                num_boost_round=num_boost_round,
            )
        holdout = lgb.Dataset(x[cut:], label=label[cut:], reference=fit_set)
        return lgb.train(
            {**common, "objective": objective, "metric": metric},
            fit_set,
            num_boost_round=num_boost_round,
            valid_sets=[holdout],
            callbacks=[lgb.early_stopping(early_stopping_rounds, verbose=False)],
        )

    classifier = booster("binary", "binary_logloss", y_win)
    regressor = booster("regression", "l2", y_margin)
    fitted = GameModel(classifier, regressor, list(features))
    fitted.metadata["boosting"] = {
        "early_stopping_rounds": early_stopping_rounds if stop else 0,
        "fit_games": cut,
        "holdout_games": len(train) - cut,
        "classifier_rounds": classifier.best_iteration or classifier.current_iteration(),
        "regressor_rounds": regressor.best_iteration or regressor.current_iteration(),
    }
    return fitted


def save(model: GameModel, folder: Path) -> Path:
    """Write the model files and ``metadata.json`` (with file sha256s) into ``folder``."""
    folder.mkdir(parents=True, exist_ok=True)
    # num_iteration=None saves up to the best iteration when early stopping found one
    model.classifier.save_model(str(folder / CLASSIFIER_FILE))
    model.regressor.save_model(str(folder / REGRESSOR_FILE))
    metadata = {
        **model.metadata,
        "features": model.features,
        "files": {
            CLASSIFIER_FILE: _sha256(folder / CLASSIFIER_FILE),
            REGRESSOR_FILE: _sha256(folder / REGRESSOR_FILE),
        },
        "library_versions": model.metadata.get("library_versions") or library_versions(),
    }
    model.metadata = metadata
    write_metadata(folder, metadata)
    return folder


def write_metadata(folder: Path, metadata: dict[str, Any]) -> None:
    """(Re)write ``metadata.json`` atomically (temp file then rename)."""
    tmp = folder / (METADATA_FILE + ".tmp")
    tmp.write_text(json.dumps(metadata, indent=2, sort_keys=True, default=str), encoding="utf-8")
    tmp.replace(folder / METADATA_FILE)


def read_metadata(folder: Path) -> dict[str, Any]:
    """``metadata.json`` of an artefact folder.

    Raises:
        BadInputError: the file is missing or is not a JSON object (names the file).
    """
    path = folder / METADATA_FILE
    if not path.is_file():
        raise BadInputError(f"model artefact {path} is missing")
    try:
        value = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise BadInputError(f"model artefact {path} is corrupt: {exc}") from exc
    if not isinstance(value, dict):
        raise BadInputError(f"model artefact {path} is corrupt: not a JSON object")
    return value


def load(folder: Path) -> GameModel:
    """Load a saved model, verifying each file against the sha256 in ``metadata.json``.

    Raises:
        BadInputError: a file is missing, differs from its recorded sha256 or does not parse
            as a LightGBM model; the message names the file.
    """
    metadata = read_metadata(folder)
    recorded = metadata.get("files") or {}
    boosters: dict[str, lgb.Booster] = {}
    for name in (CLASSIFIER_FILE, REGRESSOR_FILE):
        path = folder / name
        if not path.is_file():
            raise BadInputError(f"model artefact {path} is missing")
        if recorded.get(name) and _sha256(path) != recorded[name]:
            raise BadInputError(
                f"model artefact {path} is corrupt: its sha256 differs from the one recorded in "
                f"{folder / METADATA_FILE}"
            )
        try:
            boosters[name] = lgb.Booster(model_file=str(path))
        except (lgb.basic.LightGBMError, OSError, ValueError) as exc:
            raise BadInputError(f"model artefact {path} is corrupt: {exc}") from exc
    features = metadata.get("features")
    if not isinstance(features, list) or not features:
        raise BadInputError(f"model artefact {folder / METADATA_FILE} has no feature list")
    return GameModel(
        boosters[CLASSIFIER_FILE], boosters[REGRESSOR_FILE], [str(f) for f in features], metadata
    )
