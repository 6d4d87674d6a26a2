-- The scorecard: forecasts of record of final games next to the yardsticks (the Elo
-- baseline, the betting line, ESPN's predictor), rebuilt by `hoopcast-predictor scorecard`.
CREATE TABLE IF NOT EXISTS predictions.scorecard_games (
    event_id            VARCHAR NOT NULL,
    game_date           DATE NOT NULL,
    start_time_utc      TIMESTAMPTZ,
    home_team_id        VARCHAR,
    away_team_id        VARCHAR,
    model_name          VARCHAR NOT NULL,
    model_version       VARCHAR NOT NULL,
    forecast_at         TIMESTAMPTZ NOT NULL,
    home_win_prob       DOUBLE NOT NULL,
    predicted_margin    DOUBLE,
    home_win            BOOLEAN NOT NULL,
    home_margin         INTEGER NOT NULL,
    elo_home_prob       DOUBLE,
    line_provider       VARCHAR,
    line_spread         DOUBLE,   -- home perspective, negative = home favoured
    line_home_win_prob  DOUBLE,   -- Phi(-line_spread / sigma)
    espn_home_win_prob  DOUBLE,
    PRIMARY KEY (event_id, model_name)
);

-- period: 'overall' or ISO week 'YYYY-Www' of game_date; forecaster: model | elo | line | espn.
-- Within a period every forecaster is scored on the same games.
CREATE TABLE IF NOT EXISTS predictions.scorecard (
    period       VARCHAR NOT NULL,
    forecaster   VARCHAR NOT NULL CHECK (forecaster IN ('model', 'elo', 'line', 'espn')),
    games        INTEGER NOT NULL,
    accuracy     DOUBLE,
    log_loss     DOUBLE,
    brier        DOUBLE,
    margin_mae   DOUBLE,
    PRIMARY KEY (period, forecaster)
);
