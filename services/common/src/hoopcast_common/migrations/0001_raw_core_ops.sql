-- raw: every HTTP response as received, written before anything is derived from it.
-- One row per distinct (endpoint, request_key, body sha256): re-fetching an unchanged
-- response only bumps last_fetched_at, a changed response adds a row (history kept).
CREATE SCHEMA IF NOT EXISTS raw;
CREATE SEQUENCE IF NOT EXISTS raw.responses_id_seq;
CREATE TABLE IF NOT EXISTS raw.responses (
    response_id      BIGINT PRIMARY KEY DEFAULT nextval('raw.responses_id_seq'),
    endpoint         VARCHAR NOT NULL,   -- teams | scoreboard | summary | roster
    request_key      VARCHAR NOT NULL,   -- e.g. 20241201, event id, team id
    url              VARCHAR NOT NULL,
    params           JSON,
    status           INTEGER NOT NULL,
    fetched_at       TIMESTAMPTZ NOT NULL,
    last_fetched_at  TIMESTAMPTZ NOT NULL,
    body             VARCHAR,            -- response text exactly as received
    sha256           VARCHAR NOT NULL,
    parse_error      VARCHAR,            -- NULL when normalization succeeded
    UNIQUE (endpoint, request_key, sha256)
);

-- core: normalized tables, upserted by ESPN ids.
CREATE SCHEMA IF NOT EXISTS core;
CREATE TABLE IF NOT EXISTS core.teams (
    team_id            VARCHAR PRIMARY KEY,  -- ESPN team id
    uid                VARCHAR,
    slug               VARCHAR,
    abbreviation       VARCHAR,
    display_name       VARCHAR,
    short_display_name VARCHAR,
    name               VARCHAR,             -- mascot, e.g. "Musketeers"
    location           VARCHAR,             -- e.g. "Xavier"
    color              VARCHAR,
    alternate_color    VARCHAR,
    is_active          BOOLEAN,
    is_d1              BOOLEAN NOT NULL DEFAULT TRUE,
    conference_id      VARCHAR,
    logo_url           VARCHAR,
    updated_at         TIMESTAMPTZ NOT NULL DEFAULT current_timestamp
);
CREATE TABLE IF NOT EXISTS core.games (
    event_id               VARCHAR PRIMARY KEY,  -- ESPN event id (= competition id)
    season                 INTEGER NOT NULL,     -- ESPN season.year: the year the season ends
    season_type            INTEGER,              -- 2 regular season, 3 postseason
    game_date              DATE NOT NULL,        -- scoreboard date the event is listed under (US Eastern)
    start_time_utc         TIMESTAMPTZ,          -- events[].date
    status                 VARCHAR NOT NULL,     -- STATUS_SCHEDULED | STATUS_FINAL | ...
    status_state           VARCHAR,              -- pre | in | post
    completed              BOOLEAN NOT NULL DEFAULT FALSE,
    neutral_site           BOOLEAN,
    conference_competition BOOLEAN,
    home_team_id           VARCHAR NOT NULL,
    away_team_id           VARCHAR NOT NULL,
    home_score             INTEGER,
    away_score             INTEGER,
    periods                INTEGER,              -- 2 = regulation, 3+ = overtime
    venue_id               VARCHAR,
    venue_name             VARCHAR,
    attendance             INTEGER,
    source_response_id     BIGINT,
    updated_at             TIMESTAMPTZ NOT NULL DEFAULT current_timestamp
);
CREATE TABLE IF NOT EXISTS core.players (
    player_id        VARCHAR PRIMARY KEY,  -- ESPN athlete id
    display_name     VARCHAR,
    full_name        VARCHAR,
    jersey           VARCHAR,
    position         VARCHAR,
    height_in        DOUBLE,
    weight_lb        DOUBLE,
    experience_years INTEGER,
    experience_abbr  VARCHAR,              -- FR | SO | JR | SR
    team_id          VARCHAR,              -- latest team seen
    updated_at       TIMESTAMPTZ NOT NULL DEFAULT current_timestamp
);
CREATE TABLE IF NOT EXISTS core.rosters (
    team_id    VARCHAR NOT NULL,
    season     INTEGER NOT NULL,
    player_id  VARCHAR NOT NULL,
    jersey     VARCHAR,
    position   VARCHAR,
    updated_at TIMESTAMPTZ NOT NULL DEFAULT current_timestamp,
    PRIMARY KEY (team_id, season, player_id)
);
CREATE TABLE IF NOT EXISTS core.team_game_stats (
    event_id   VARCHAR NOT NULL,
    team_id    VARCHAR NOT NULL,
    home_away  VARCHAR NOT NULL,           -- home | away
    points     INTEGER,
    fgm        INTEGER, fga INTEGER,
    tpm        INTEGER, tpa INTEGER,
    ftm        INTEGER, fta INTEGER,
    orb        INTEGER, drb INTEGER, trb INTEGER,
    ast        INTEGER, stl INTEGER, blk INTEGER,
    tov        INTEGER,
    fouls      INTEGER,
    updated_at TIMESTAMPTZ NOT NULL DEFAULT current_timestamp,
    PRIMARY KEY (event_id, team_id)
);
CREATE TABLE IF NOT EXISTS core.player_game_stats (
    event_id     VARCHAR NOT NULL,
    player_id    VARCHAR NOT NULL,
    team_id      VARCHAR NOT NULL,
    starter      BOOLEAN,
    did_not_play BOOLEAN,
    minutes      INTEGER,
    points       INTEGER,
    fgm INTEGER, fga INTEGER,
    tpm INTEGER, tpa INTEGER,
    ftm INTEGER, fta INTEGER,
    orb INTEGER, drb INTEGER, reb INTEGER,
    ast INTEGER, stl INTEGER, blk INTEGER,
    tov INTEGER, fouls INTEGER,
    updated_at   TIMESTAMPTZ NOT NULL DEFAULT current_timestamp,
    PRIMARY KEY (event_id, player_id)
);

-- ops: run log and collector state.
CREATE TABLE IF NOT EXISTS ops.stage_runs (
    run_id      VARCHAR PRIMARY KEY,
    stage       VARCHAR NOT NULL,
    command     VARCHAR NOT NULL,
    as_of       DATE,
    profile     VARCHAR,
    started_at  TIMESTAMPTZ NOT NULL,
    finished_at TIMESTAMPTZ,
    status      VARCHAR NOT NULL,        -- running | success | nothing_to_do | bad_input | ...
    exit_code   INTEGER,
    counts      JSON,
    error       VARCHAR
);
CREATE TABLE IF NOT EXISTS ops.watermarks (
    collector  VARCHAR PRIMARY KEY,      -- teams | scoreboard | summaries | rosters
    watermark  DATE,                     -- last date fully collected (scoreboard)
    updated_at TIMESTAMPTZ NOT NULL DEFAULT current_timestamp
);
