-- features: D1 membership per team and season as the season's games tell it
-- (hoopcast_features.team_seasons; docs/guides/features.md, "D1 membership"), written by
-- `hoopcast-features build` with the feature tables.
CREATE TABLE IF NOT EXISTS features.team_seasons (
    team_id   VARCHAR NOT NULL,
    season    INTEGER NOT NULL,
    games     INTEGER NOT NULL,   -- the team's core.games rows that season (any status)
    d1_games  INTEGER NOT NULL,   -- of those, against teams on today's D1 list (core.teams.is_d1)
    is_d1     BOOLEAN NOT NULL,   -- D1 in that season
    PRIMARY KEY (team_id, season)
);
