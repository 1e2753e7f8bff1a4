-- One case per submission; the workflow version it runs under is kept with it.
CREATE TABLE cases (
    case_id          uuid        PRIMARY KEY,
    submission_id    text        NOT NULL UNIQUE,
    service_code     text        NOT NULL,
    perangkat_daerah text        NOT NULL,
    workflow_version text        NOT NULL,
    opened_at        timestamptz NOT NULL,
    correlation_id   text
);
