"""Trainer settings: model name, LightGBM hyperparameters and training windows.

Values come from the env profile (``env/<profile>/trainer.env``, then the process environment)
through :func:`hoopcast_common.settings.load_settings`; every ``TRAINER_*`` key is optional and
falls back to the defaults below.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from hoopcast_common.dates import parse_date
from hoopcast_common.settings import Settings

DEFAULT_MODEL_NAME = "game_lgbm"


@dataclass(frozen=True)
class TrainerConfig:
    """Training configuration resolved from settings.

    Attributes:
        model_name: registry name of the model family (``TRAINER_MODEL_NAME``).
        num_boost_round: boosting rounds of both LightGBM models (``TRAINER_NUM_BOOST_ROUND``).
        params: LightGBM parameters shared by the binary and regression models; always
            deterministic (``deterministic``, ``force_row_wise``, fixed ``num_threads`` and
            ``seed``) so the same data gives the same model.
        min_validation_games: fewest finished D1 games of the current season needed before it
            becomes the default validation window (``TRAINER_MIN_VALIDATION_GAMES``).
        train_from: first game date of the training window (``TRAINER_TRAIN_FROM``; None = all).
        early_stopping_rounds: stop boosting when the loss on the latest ``holdout_fraction``
            of the training window has not improved for this many rounds
            (``TRAINER_EARLY_STOPPING_ROUNDS``; 0 = always ``num_boost_round`` rounds).
        holdout_fraction: share of the training games (the most recent) held out for early
            stopping (``TRAINER_HOLDOUT_FRACTION``).
        gate_elo_z: the promotion gate counts a model as worse than the Elo baseline only when
            its validation log-loss is higher by more than this many standard errors of the
            paired per-game difference (``TRAINER_GATE_ELO_Z``; 0 = strict comparison).
    """

    model_name: str = DEFAULT_MODEL_NAME
    num_boost_round: int = 600
    params: dict[str, Any] = field(default_factory=dict)
    min_validation_games: int = 300
    train_from: dt.date | None = None
    early_stopping_rounds: int = 50
    holdout_fraction: float = 0.15
    gate_elo_z: float = 0.0

    @classmethod
    def from_settings(cls, settings: Settings) -> TrainerConfig:
        """Read every ``TRAINER_*`` setting.

        Raises:
            ConfigError: a setting is malformed (names the setting and its source file).
            BadInputError: ``TRAINER_TRAIN_FROM`` is not a date.
        """
        params: dict[str, Any] = {
            "learning_rate": settings.get_float("TRAINER_LEARNING_RATE", 0.03),
            "num_leaves": settings.get_int("TRAINER_NUM_LEAVES", 7),
            "min_data_in_leaf": settings.get_int("TRAINER_MIN_DATA_IN_LEAF", 100),
            "feature_fraction": settings.get_float("TRAINER_FEATURE_FRACTION", 0.8),
            "bagging_fraction": settings.get_float("TRAINER_BAGGING_FRACTION", 0.8),
            "bagging_freq": settings.get_int("TRAINER_BAGGING_FREQ", 1),
            "lambda_l2": settings.get_float("TRAINER_LAMBDA_L2", 1.0),
            "max_bin": settings.get_int("TRAINER_MAX_BIN", 255),
            "seed": settings.get_int("TRAINER_SEED", 20250120),
            "num_threads": settings.get_int("TRAINER_NUM_THREADS", 1),
            "deterministic": True,
            "force_row_wise": True,
            "verbosity": -1,
        }
        raw_from = settings.get("TRAINER_TRAIN_FROM")
        return cls(
            model_name=settings.get("TRAINER_MODEL_NAME") or DEFAULT_MODEL_NAME,
            num_boost_round=settings.get_int("TRAINER_NUM_BOOST_ROUND", 600),
            params=params,
            min_validation_games=settings.get_int("TRAINER_MIN_VALIDATION_GAMES", 300),
            train_from=parse_date(raw_from, "TRAINER_TRAIN_FROM") if raw_from else None,
            early_stopping_rounds=settings.get_int("TRAINER_EARLY_STOPPING_ROUNDS", 50),
            holdout_fraction=settings.get_float("TRAINER_HOLDOUT_FRACTION", 0.15),
            gate_elo_z=settings.get_float("TRAINER_GATE_ELO_Z", 0.0),
        )
