-- predictions: forecast history. Every daily run re-forecasts the upcoming games with the
-- freshest features and keeps every forecast: a prediction row is keyed by the moment it was
-- made on the pipeline's clock (forecast_at) instead of by as_of, and carries the role of the
-- model at that moment (production | challenger). DuckDB cannot change a primary key in
-- place, so both tables are rebuilt; existing rows keep predicted_at as their forecast_at.
CREATE TABLE predictions.predictions_0301 (
    event_id          VARCHAR NOT NULL,
    model_name        VARCHAR NOT NULL,
    model_version     VARCHAR NOT NULL,
    model_role        VARCHAR NOT NULL
                      CHECK (model_role IN ('production', 'challenger', 'candidate')),
    forecast_at       TIMESTAMPTZ NOT NULL,  -- the pipeline's clock when the forecast was made
    predicted_at      TIMESTAMPTZ NOT NULL,  -- wall clock when the row was computed
    as_of             DATE NOT NULL,         -- game day of the run (US Eastern)
    run_kind          VARCHAR NOT NULL CHECK (run_kind IN ('daily', 'backtest')),
    game_date         DATE,
    home_team_id      VARCHAR,
    away_team_id      VARCHAR,
    home_win_prob     DOUBLE NOT NULL CHECK (home_win_prob >= 0 AND home_win_prob <= 1),
    predicted_margin  DOUBLE,                -- home minus away, points
    batch_id          VARCHAR,               -- the predict run that made it
    PRIMARY KEY (event_id, model_name, model_version, run_kind, forecast_at)
);
INSERT INTO predictions.predictions_0301
SELECT event_id, model_name, model_version, coalesce(model_stage, 'production'),
       predicted_at, predicted_at, as_of, run_kind, game_date, home_team_id, away_team_id,
       home_win_prob, predicted_margin, NULL
FROM predictions.predictions;
DROP TABLE predictions.predictions;
ALTER TABLE predictions.predictions_0301 RENAME TO predictions;

CREATE TABLE predictions.staged_predictions_0301 (
    batch_id          VARCHAR NOT NULL,
    event_id          VARCHAR NOT NULL,
    model_name        VARCHAR NOT NULL,
    model_version     VARCHAR NOT NULL,
    model_role        VARCHAR NOT NULL,
    forecast_at       TIMESTAMPTZ NOT NULL,
    predicted_at      TIMESTAMPTZ NOT NULL,
    as_of             DATE NOT NULL,
    run_kind          VARCHAR NOT NULL,
    game_date         DATE,
    home_team_id      VARCHAR,
    away_team_id      VARCHAR,
    home_win_prob     DOUBLE NOT NULL,
    predicted_margin  DOUBLE,
    staged_at         TIMESTAMPTZ NOT NULL DEFAULT current_timestamp,
    stored_at         TIMESTAMPTZ,
    PRIMARY KEY (batch_id, event_id, model_name, model_version)
);
INSERT INTO predictions.staged_predictions_0301
SELECT batch_id, event_id, model_name, model_version, coalesce(model_stage, 'production'),
       predicted_at, predicted_at, as_of, run_kind, game_date, home_team_id, away_team_id,
       home_win_prob, predicted_margin, staged_at, stored_at
FROM predictions.staged_predictions;
DROP TABLE predictions.staged_predictions;
ALTER TABLE predictions.staged_predictions_0301 RENAME TO staged_predictions;

-- One row per daily predict run (batch_id = the run's id): what it was asked to forecast.
-- `store` and the verification after every write compare the published rows with it.
CREATE TABLE IF NOT EXISTS predictions.forecast_batches (
    batch_id          VARCHAR PRIMARY KEY,
    as_of             DATE NOT NULL,
    forecast_at       TIMESTAMPTZ NOT NULL,
    first_day         DATE NOT NULL,
    last_day          DATE NOT NULL,
    event_ids         JSON NOT NULL,         -- games forecast (withheld ones excluded)
    withheld          JSON NOT NULL,         -- {event_id: quality_flags} not forecast
    models            JSON NOT NULL,         -- [[model_name, model_version, role], ...]
    staged_at         TIMESTAMPTZ NOT NULL DEFAULT current_timestamp,
    stored_at         TIMESTAMPTZ
);
