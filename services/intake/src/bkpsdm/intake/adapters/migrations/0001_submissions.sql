-- Submissions and their status (the tracking read model applicants look up).
CREATE TABLE submissions (
    submission_id    uuid        PRIMARY KEY,
    service_code     text        NOT NULL,
    perangkat_daerah text        NOT NULL,
    title            text        NOT NULL,
    status           text        NOT NULL,
    received_at      timestamptz NOT NULL,
    case_id          text,
    acknowledged_at  timestamptz,
    correlation_id   text        NOT NULL
);
