-- The forecast of record: per game (and model name), the last daily forecast made before
-- tip-off (forecast_at < core.games.start_time_utc) by the model then in production
-- (model_role = 'production' on the row). Games without a start time have none.
CREATE OR REPLACE VIEW predictions.forecasts_of_record AS
SELECT p.event_id, p.model_name, p.model_version, p.forecast_at, p.home_win_prob,
       p.predicted_margin
FROM predictions.predictions p
JOIN core.games g ON g.event_id = p.event_id
WHERE p.run_kind = 'daily'
  AND p.model_role = 'production'
  AND g.start_time_utc IS NOT NULL
  AND p.forecast_at < g.start_time_utc
QUALIFY row_number() OVER (
    PARTITION BY p.event_id, p.model_name
    ORDER BY p.forecast_at DESC, p.model_version DESC) = 1;
