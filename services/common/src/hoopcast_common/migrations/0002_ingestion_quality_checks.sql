-- ingestion: results of `hoopcast-ingestion check` (core data quality), one row per check per run.
CREATE TABLE IF NOT EXISTS ops.quality_checks (
    run_id        VARCHAR NOT NULL,       -- ops.stage_runs.run_id of the check run
    stage         VARCHAR NOT NULL,       -- ingestion
    check_name    VARCHAR NOT NULL,       -- e.g. games_without_teams
    severity      VARCHAR NOT NULL,       -- blocking | warning
    passed        BOOLEAN NOT NULL,
    failing_rows  BIGINT NOT NULL,
    detail        VARCHAR,                -- description and up to a few example keys
    checked_at    TIMESTAMPTZ NOT NULL DEFAULT current_timestamp,
    PRIMARY KEY (run_id, check_name)
);
