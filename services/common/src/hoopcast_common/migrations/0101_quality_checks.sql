-- One table of data-quality results for every stage (hoopcast_common.quality), replacing the
-- ingestion table of 0002 and features.quality_checks of 0100; their rows are kept.
CREATE TABLE ops.quality_checks_all (
    run_id        VARCHAR NOT NULL,       -- ops.stage_runs.run_id of the run that checked
    stage         VARCHAR NOT NULL,       -- ingestion | features
    as_of         DATE,                   -- the run's logical date
    target        VARCHAR NOT NULL,       -- relation checked (e.g. core.games, staged:cur_game_features)
    check_name    VARCHAR NOT NULL,       -- e.g. games_without_teams, team_rating_range
    severity      VARCHAR NOT NULL,       -- blocking | flag | warning
    passed        BOOLEAN NOT NULL,
    failing_rows  BIGINT,                 -- rows the check found failing (NULL: migrated features row)
    checked_rows  BIGINT,                 -- rows the check looked at, when counted
    threshold     VARCHAR,                -- what passes, in words
    detail        VARCHAR,                -- description, counts and a few example keys
    checked_at    TIMESTAMPTZ NOT NULL DEFAULT current_timestamp,
    PRIMARY KEY (run_id, target, check_name)
);
INSERT INTO ops.quality_checks_all (run_id, stage, target, check_name, severity, passed,
    failing_rows, detail, checked_at)
SELECT run_id, stage, 'core', check_name, severity, passed, failing_rows, detail, checked_at
FROM ops.quality_checks;
INSERT INTO ops.quality_checks_all (run_id, stage, as_of, target, check_name, severity, passed,
    threshold, detail, checked_at)
SELECT run_id, 'features', as_of, target, check_name, severity, passed, threshold,
    concat_ws('; ', detail, 'observed ' || observed), checked_at
FROM features.quality_checks;
DROP TABLE ops.quality_checks;
DROP TABLE features.quality_checks;
ALTER TABLE ops.quality_checks_all RENAME TO quality_checks;
