-- Issue 6: receipts, documents, recaps by reference, the timeline of a submission's case.
ALTER TABLE submissions
    ADD COLUMN receipt_number   text UNIQUE,
    ADD COLUMN period           text,
    ADD COLUMN due_at           timestamptz,
    ADD COLUMN submitted_by     text,
    ADD COLUMN request          jsonb NOT NULL DEFAULT '{}',
    ADD COLUMN replaces         uuid REFERENCES submissions (submission_id),
    ADD COLUMN replaced_by      uuid,
    ADD COLUMN current_step     text,
    ADD COLUMN holder_role      text,
    ADD COLUMN step_due_at      timestamptz,
    ADD COLUMN return_reasons   jsonb NOT NULL DEFAULT '[]',
    ADD COLUMN fingerprint      text,
    -- The recap's NIPs, for the duplicate check against the unit's earlier recaps of a period.
    ADD COLUMN recap_nips       text[];
CREATE INDEX submissions_unit_period ON submissions (perangkat_daerah, service_code, period)
    WHERE recap_nips IS NOT NULL;

-- A receipt number's sequence: one row per service and year, incremented inside the
-- submission's transaction, so a refused submission gives its number back (no gaps).
CREATE TABLE receipt_sequences (
    service_code text    NOT NULL,
    year         integer NOT NULL,
    last_value   integer NOT NULL,
    PRIMARY KEY (service_code, year)
);

-- Document metadata; the content is in the document store under its SHA-256.
CREATE TABLE documents (
    document_id    uuid        PRIMARY KEY,
    submission_id  uuid        NOT NULL REFERENCES submissions (submission_id),
    requirement_id text        NOT NULL,
    filename       text        NOT NULL,
    media_type     text        NOT NULL,
    size_bytes     bigint      NOT NULL,
    sha256         text        NOT NULL,
    uploaded_by    text        NOT NULL,
    uploaded_at    timestamptz NOT NULL,
    is_recap       boolean     NOT NULL DEFAULT false,
    recap_rows     integer,
    recap_format   text,
    rules_version  text
);
CREATE INDEX documents_submission ON documents (submission_id);

-- What happened to a submission, in order: intake's receipt, then routing's facts.
CREATE TABLE timeline (
    submission_id uuid        NOT NULL REFERENCES submissions (submission_id),
    position      bigserial,
    at            timestamptz NOT NULL,
    step          text        NOT NULL,
    label         text        NOT NULL,
    holder_role   text,
    due_at        timestamptz,
    reasons       jsonb       NOT NULL DEFAULT '[]',
    PRIMARY KEY (submission_id, position)
);
