-- predictions: published predictions, the staging area of the DAG's predict step,
-- and accuracy tracking.
CREATE SCHEMA IF NOT EXISTS predictions;

-- One row per (event, model version, as_of, run_kind): re-running replaces, never duplicates.
CREATE TABLE IF NOT EXISTS predictions.predictions (
    event_id          VARCHAR NOT NULL,
    model_name        VARCHAR NOT NULL,
    model_version     VARCHAR NOT NULL,
    model_stage       VARCHAR,              -- production | challenger | candidate (at prediction time)
    predicted_at      TIMESTAMPTZ NOT NULL,
    as_of             DATE NOT NULL,
    run_kind          VARCHAR NOT NULL CHECK (run_kind IN ('daily', 'backtest')),
    game_date         DATE,
    home_team_id      VARCHAR,
    away_team_id      VARCHAR,
    home_win_prob     DOUBLE NOT NULL CHECK (home_win_prob >= 0 AND home_win_prob <= 1),
    predicted_margin  DOUBLE,               -- home minus away, points
    PRIMARY KEY (event_id, model_name, model_version, as_of, run_kind)
);

-- Rows written by `predict --stage-only` (batch_id = that run's id), published by `store`.
CREATE TABLE IF NOT EXISTS predictions.staged_predictions (
    batch_id          VARCHAR NOT NULL,
    event_id          VARCHAR NOT NULL,
    model_name        VARCHAR NOT NULL,
    model_version     VARCHAR NOT NULL,
    model_stage       VARCHAR,
    predicted_at      TIMESTAMPTZ NOT NULL,
    as_of             DATE NOT NULL,
    run_kind          VARCHAR NOT NULL,
    game_date         DATE,
    home_team_id      VARCHAR,
    away_team_id      VARCHAR,
    home_win_prob     DOUBLE NOT NULL,
    predicted_margin  DOUBLE,
    staged_at         TIMESTAMPTZ NOT NULL DEFAULT current_timestamp,
    stored_at         TIMESTAMPTZ,          -- set when `store` published the batch
    PRIMARY KEY (batch_id, event_id, model_name, model_version)
);

-- Accuracy by model version, run kind and period: period 'all' (period_start = first game
-- date) or 'week' (period_start = Monday of the ISO week). Rebuilt idempotently by `evaluate`.
CREATE TABLE IF NOT EXISTS predictions.prediction_evaluations (
    model_name        VARCHAR NOT NULL,
    model_version     VARCHAR NOT NULL,
    run_kind          VARCHAR NOT NULL,
    period            VARCHAR NOT NULL CHECK (period IN ('all', 'week')),
    period_start      DATE NOT NULL,
    period_end        DATE NOT NULL,
    n_games           INTEGER NOT NULL,
    accuracy          DOUBLE,
    log_loss          DOUBLE,
    brier             DOUBLE,
    margin_mae        DOUBLE,
    evaluated_at      TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (model_name, model_version, run_kind, period, period_start)
);
