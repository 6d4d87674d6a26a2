-- ml: training runs (the trainer's DAG steps chain through them) and the model registry.
CREATE SCHEMA IF NOT EXISTS ml;

-- One row per training run; `step` is the last step that finished:
-- dataset -> fit -> evaluate -> register. Artefacts of an unregistered run live in
-- HOOPCAST_MODEL_DIR/runs/<run_id>/ (work_dir, relative to HOOPCAST_MODEL_DIR).
CREATE TABLE IF NOT EXISTS ml.training_runs (
    run_id         VARCHAR PRIMARY KEY,
    model_name     VARCHAR NOT NULL,
    as_of          DATE,
    step           VARCHAR NOT NULL,        -- dataset | fit | evaluate | register
    status         VARCHAR NOT NULL,        -- ok | failed
    train_from     DATE,
    train_until    DATE NOT NULL,
    validate_from  DATE NOT NULL,
    validate_to    DATE NOT NULL,
    n_train        INTEGER,
    n_validate     INTEGER,
    feature_list   JSON,                    -- ordered model inputs (f_ columns)
    data_hash      VARCHAR,                 -- sha256 of the train + validation rows
    params         JSON,                    -- LightGBM parameters and boosting rounds
    work_dir       VARCHAR,
    metrics        JSON,                    -- validation metrics incl. baselines
    model_version  VARCHAR,                 -- set by register
    gate_decision  VARCHAR,                 -- why the gate promoted or kept the model
    created_at     TIMESTAMPTZ NOT NULL DEFAULT current_timestamp,
    updated_at     TIMESTAMPTZ NOT NULL DEFAULT current_timestamp
);

-- One row per registered model version. stage: candidate | production | archived.
-- At most one production row per model_name. is_challenger marks an active challenger
-- (a candidate that also gets daily predictions).
CREATE TABLE IF NOT EXISTS ml.model_registry (
    model_name     VARCHAR NOT NULL,
    version        VARCHAR NOT NULL,        -- v1, v2, ... per model_name
    version_number INTEGER NOT NULL,
    stage          VARCHAR NOT NULL CHECK (stage IN ('candidate', 'production', 'archived')),
    is_challenger  BOOLEAN NOT NULL DEFAULT FALSE,
    run_id         VARCHAR,
    artefact_path  VARCHAR NOT NULL,        -- folder relative to HOOPCAST_MODEL_DIR
    train_from     DATE,
    train_until    DATE NOT NULL,
    validate_from  DATE NOT NULL,
    validate_to    DATE NOT NULL,
    feature_list   JSON NOT NULL,
    data_hash      VARCHAR NOT NULL,
    metrics        JSON NOT NULL,
    created_at     TIMESTAMPTZ NOT NULL DEFAULT current_timestamp,
    stage_changed_at TIMESTAMPTZ NOT NULL DEFAULT current_timestamp,
    PRIMARY KEY (model_name, version)
);

-- Every stage change of a registered model (audit trail; rollback reads it).
CREATE SEQUENCE IF NOT EXISTS ml.stage_changes_id_seq;
CREATE TABLE IF NOT EXISTS ml.stage_changes (
    change_id      BIGINT PRIMARY KEY DEFAULT nextval('ml.stage_changes_id_seq'),
    model_name     VARCHAR NOT NULL,
    version        VARCHAR NOT NULL,
    from_stage     VARCHAR,
    to_stage       VARCHAR NOT NULL,
    reason         VARCHAR NOT NULL,
    changed_at     TIMESTAMPTZ NOT NULL DEFAULT current_timestamp
);
