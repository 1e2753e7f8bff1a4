-- One upload request (one attempt of routing's case) and each of its recap rows' outcome.
-- The request and every row are written in the transaction that consumed the request; rows
-- then move from PENDING to a final state as BKN answers; the upload is finished, and its
-- result event added to the outbox, in one transaction once no row is pending.
CREATE TABLE uploads (
    request_id text PRIMARY KEY,
    submission_id text NOT NULL,
    case_id text NOT NULL,
    service_code text NOT NULL,
    perangkat_daerah text NOT NULL,
    period text,
    attempt integer NOT NULL,
    requested_by text,
    requested_at timestamptz NOT NULL,
    correlation_id text,
    recap jsonb NOT NULL,
    rules jsonb NOT NULL,
    sections jsonb NOT NULL DEFAULT '[]',
    notes jsonb NOT NULL DEFAULT '[]',
    adapter text NOT NULL,
    status text NOT NULL DEFAULT 'UPLOADING' CHECK (status IN ('UPLOADING', 'FINISHED')),
    outcome text CHECK (outcome IN ('COMPLETED', 'PARTIALLY_COMPLETED', 'FAILED')),
    rows_total integer NOT NULL,
    rows_stored integer,
    rows_rejected integer,
    rows_failed integer,
    reasons jsonb NOT NULL DEFAULT '[]',
    received_at timestamptz NOT NULL DEFAULT now(),
    finished_at timestamptz
);
CREATE INDEX uploads_by_submission ON uploads (submission_id, received_at DESC);
CREATE INDEX uploads_by_unit ON uploads (perangkat_daerah, received_at DESC);
CREATE INDEX uploads_unfinished ON uploads (received_at) WHERE status = 'UPLOADING';

CREATE TABLE upload_rows (
    request_id text NOT NULL REFERENCES uploads (request_id) ON DELETE CASCADE,
    row_no integer NOT NULL,
    nip text,
    nama text,
    unit_kerja text,
    target text,
    natural_key text,
    idempotency_key text,
    payload jsonb,
    detail jsonb NOT NULL DEFAULT '{}',
    state text NOT NULL CHECK (state IN ('PENDING', 'STORED', 'EXPORTED', 'REJECTED', 'FAILED')),
    bkn_id text,
    replayed boolean NOT NULL DEFAULT false,
    reasons jsonb NOT NULL DEFAULT '[]',
    attempts integer NOT NULL DEFAULT 0,
    updated_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (request_id, row_no)
);
CREATE INDEX upload_rows_pending ON upload_rows (request_id, row_no) WHERE state = 'PENDING';
