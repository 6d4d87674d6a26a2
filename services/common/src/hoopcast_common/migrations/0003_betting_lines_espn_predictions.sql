-- ingestion: the betting line and ESPN's predictor, one row per fetched response (the line
-- moves, so every distinct fetch is kept). Derived from raw.responses like the other core
-- tables: from summaries (`pickcenter[]`, `predictor`) and scoreboards
-- (`events[].competitions[0].odds[]`). An identical re-fetch only bumps
-- raw.responses.last_fetched_at, so fetched_at is when that body (and line) was first seen.
-- Yardsticks for the forecasts, never inputs of the production model.
CREATE TABLE IF NOT EXISTS core.betting_lines (
    event_id        VARCHAR NOT NULL,     -- ESPN event id
    provider_id     VARCHAR NOT NULL,     -- ESPN provider id, e.g. 1004 (consensus), 58 (ESPN BET)
    source          VARCHAR NOT NULL,     -- pickcenter (summary) | scoreboard_odds (scoreboard)
    fetched_at      TIMESTAMPTZ NOT NULL, -- raw.responses.fetched_at of the response it came from
    provider_name   VARCHAR,
    home_spread     DOUBLE,               -- ESPN `spread`: points added to the HOME score;
                                          -- negative = home favoured (-5.5: home by 5.5)
    total           DOUBLE,               -- ESPN `overUnder`: combined points
    home_moneyline  INTEGER,              -- American odds, e.g. -275
    away_moneyline  INTEGER,              -- American odds, e.g. +250
    details         VARCHAR,              -- ESPN's text, e.g. "EIU -5.5"
    response_id     BIGINT NOT NULL,      -- raw.responses.response_id
    updated_at      TIMESTAMPTZ NOT NULL DEFAULT current_timestamp,
    PRIMARY KEY (event_id, provider_id, source, fetched_at)
);
CREATE TABLE IF NOT EXISTS core.espn_predictions (
    event_id        VARCHAR NOT NULL,     -- ESPN event id
    fetched_at      TIMESTAMPTZ NOT NULL, -- raw.responses.fetched_at of the summary
    home_team_id    VARCHAR,              -- predictor.homeTeam.id
    home_win_prob   DOUBLE NOT NULL,      -- predictor.homeTeam.gameProjection / 100, in [0, 1]
    away_win_prob   DOUBLE,               -- predictor.awayTeam.gameProjection / 100
    response_id     BIGINT NOT NULL,      -- raw.responses.response_id
    updated_at      TIMESTAMPTZ NOT NULL DEFAULT current_timestamp,
    PRIMARY KEY (event_id, fetched_at)
);
