-- features: point-in-time team-game and game features (owner: features stage).
-- The feature tables themselves (features.team_game_features, features.player_game_features,
-- features.game_features) are created by the stage from its SQL, because their f_ columns are
-- the stage's to evolve; this migration holds the stage's state and run records.
CREATE SCHEMA IF NOT EXISTS features;

-- Elo state: one row per core.games event in start order, pre- and post-game ratings.
-- Incremental builds resume from the post-game ratings of the last finished games before the
-- earliest changed game (see docs/guides/features.md, "Elo").
CREATE TABLE IF NOT EXISTS features.elo_game (
    event_id       VARCHAR PRIMARY KEY,
    season         INTEGER NOT NULL,
    start_epoch    DOUBLE NOT NULL,       -- seconds since 1970 (UTC) the game starts
    home_team_id   VARCHAR NOT NULL,
    away_team_id   VARCHAR NOT NULL,
    completed      BOOLEAN NOT NULL,      -- final with scores: updated the ratings
    home_elo_pre   DOUBLE NOT NULL,
    away_elo_pre   DOUBLE NOT NULL,
    elo_home_prob  DOUBLE NOT NULL,       -- pre-game P(home win) incl. home advantage
    home_elo_post  DOUBLE NOT NULL,       -- = pre when not completed
    away_elo_post  DOUBLE NOT NULL
);

-- Current Elo rating per team (after its last finished game), for people and the predictor.
CREATE TABLE IF NOT EXISTS features.elo_ratings (
    team_id        VARCHAR PRIMARY KEY,
    rating         DOUBLE NOT NULL,
    last_season    INTEGER NOT NULL,
    last_event_id  VARCHAR NOT NULL,
    games          INTEGER NOT NULL
);

-- Input fingerprints per layer: what each layer was last built from (change detection).
CREATE TABLE IF NOT EXISTS features.layer_inputs (
    layer        VARCHAR NOT NULL,        -- team | player | game
    event_id     VARCHAR NOT NULL,
    season       INTEGER NOT NULL,
    start_epoch  DOUBLE NOT NULL,
    fingerprint  UBIGINT NOT NULL,        -- hash of the game's core rows the layer reads
    PRIMARY KEY (layer, event_id)
);

-- One row per layer build.
CREATE TABLE IF NOT EXISTS features.builds (
    run_id         VARCHAR NOT NULL,
    layer          VARCHAR NOT NULL,
    as_of          DATE,
    full_refresh   BOOLEAN NOT NULL,
    from_season    INTEGER,               -- first season recomputed (NULL: nothing)
    changed_games  INTEGER NOT NULL,
    rows_written   INTEGER NOT NULL,
    built_at       TIMESTAMPTZ NOT NULL DEFAULT current_timestamp,
    PRIMARY KEY (run_id, layer)
);

-- Quality check results, one row per check per run.
CREATE TABLE IF NOT EXISTS features.quality_checks (
    run_id      VARCHAR NOT NULL,
    checked_at  TIMESTAMPTZ NOT NULL DEFAULT current_timestamp,
    as_of       DATE,
    target      VARCHAR NOT NULL,         -- table checked (staging or published)
    check_name  VARCHAR NOT NULL,
    severity    VARCHAR NOT NULL,         -- blocking | warning
    passed      BOOLEAN NOT NULL,
    observed    DOUBLE,
    threshold   VARCHAR,
    detail      VARCHAR,
    PRIMARY KEY (run_id, target, check_name)
);
