-- The workflow engine: where each case is, its append-only history, agenda numbers,
-- disposisi with read receipts, delegations (Plt/Plh) and the answers given per client key.

ALTER TABLE cases
    ADD COLUMN current_submission_id text,
    ADD COLUMN title               text NOT NULL DEFAULT '',
    ADD COLUMN rules_version       text NOT NULL DEFAULT '',
    ADD COLUMN calendar_version    text NOT NULL DEFAULT '',
    ADD COLUMN origin              text NOT NULL DEFAULT 'SUBMISSION',
    ADD COLUMN opened_by           text,
    ADD COLUMN status              text NOT NULL DEFAULT 'AKTIF',
    ADD COLUMN step                text,
    ADD COLUMN holder_role         text,
    ADD COLUMN holder_unit         text,
    ADD COLUMN step_entered_at     timestamptz,
    ADD COLUMN step_due_at         timestamptz,
    ADD COLUMN step_visit          integer NOT NULL DEFAULT 1,
    ADD COLUMN case_due_at         timestamptz,
    ADD COLUMN sla_round           integer NOT NULL DEFAULT 1,
    ADD COLUMN agenda_number       text UNIQUE,
    ADD COLUMN period              text,
    ADD COLUMN recap               jsonb,
    ADD COLUMN documents           jsonb NOT NULL DEFAULT '[]',
    ADD COLUMN request             jsonb NOT NULL DEFAULT '{}',
    ADD COLUMN upload_request_id   text,
    ADD COLUMN upload_attempt      integer NOT NULL DEFAULT 0,
    ADD COLUMN diagnosis_request_id text,
    ADD COLUMN diagnosis           jsonb,
    ADD COLUMN escalated_to_role   text,
    ADD COLUMN escalated_to_unit   text,
    ADD COLUMN escalation_level    integer NOT NULL DEFAULT 0;

-- Cases the walking skeleton opened wait at their standard's first step with people on it.
UPDATE cases SET
    current_submission_id = submission_id,
    workflow_version = service_code || '/1',
    step = CASE WHEN service_code = 'ABSENSI-FINGER' THEN 'PEMERIKSAAN-TEKNIS' ELSE 'PENERIMAAN' END,
    holder_role = CASE WHEN service_code = 'ABSENSI-FINGER' THEN 'petugas-teknis' ELSE 'petugas-administrasi' END,
    step_entered_at = opened_at;

ALTER TABLE cases
    ALTER COLUMN current_submission_id SET NOT NULL,
    ALTER COLUMN step SET NOT NULL,
    ALTER COLUMN step_entered_at SET NOT NULL;

-- Inboxes: open cases of a holder, soonest due first.
CREATE INDEX cases_inbox ON cases (holder_role, step_due_at NULLS LAST, step_entered_at) WHERE status <> 'SELESAI';
CREATE INDEX cases_escalated ON cases (escalated_to_role) WHERE escalated_to_role IS NOT NULL AND status <> 'SELESAI';

-- Every submission of a case: the one that opened it and each resubmission.
CREATE TABLE case_submissions (
    submission_id text        PRIMARY KEY,
    case_id       uuid        NOT NULL REFERENCES cases (case_id),
    linked_at     timestamptz NOT NULL
);
CREATE INDEX case_submissions_case ON case_submissions (case_id);
INSERT INTO case_submissions (submission_id, case_id, linked_at) SELECT submission_id, case_id, opened_at FROM cases;

CREATE TABLE case_history (
    case_id       uuid        NOT NULL REFERENCES cases (case_id),
    seq           integer     NOT NULL,
    at            timestamptz NOT NULL,
    action        text        NOT NULL,
    from_step     text,
    to_step       text,
    actor_subject text,
    actor_name    text,
    actor_role    text,
    acting_for    jsonb,
    note          text,
    details       jsonb       NOT NULL DEFAULT '{}',
    PRIMARY KEY (case_id, seq)
);

-- Append-only: the history is evidence, so PostgreSQL itself refuses to change it.
CREATE FUNCTION case_history_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'case_history is append-only';
END $$;
CREATE TRIGGER case_history_append_only BEFORE UPDATE OR DELETE ON case_history
    FOR EACH ROW EXECUTE FUNCTION case_history_append_only();

-- One counter row per calendar year, taken in the registering transaction: a rolled-back
-- registration gives its number back, so the agenda book has no gaps.
CREATE TABLE agenda_counters (
    year integer PRIMARY KEY,
    last integer NOT NULL
);

CREATE TABLE disposisi (
    disposisi_id      uuid        PRIMARY KEY,
    case_id           uuid        NOT NULL REFERENCES cases (case_id),
    from_step         text        NOT NULL,
    to_step           text        NOT NULL,
    instructions      text[]      NOT NULL,
    note              text,
    recipients        jsonb       NOT NULL,
    tembusan          jsonb       NOT NULL,
    due_at            timestamptz,
    issued_by_subject text        NOT NULL,
    issued_by_name    text        NOT NULL,
    issued_role       text        NOT NULL,
    issued_at         timestamptz NOT NULL,
    withdrawn_at      timestamptz
);
CREATE INDEX disposisi_case ON disposisi (case_id);

CREATE TABLE disposisi_reads (
    disposisi_id   uuid        NOT NULL REFERENCES disposisi (disposisi_id),
    reader_subject text        NOT NULL,
    reader_name    text        NOT NULL,
    reader_role    text        NOT NULL,
    read_at        timestamptz NOT NULL,
    PRIMARY KEY (disposisi_id, reader_subject)
);

CREATE TABLE delegations (
    delegation_id      uuid        PRIMARY KEY,
    role               text        NOT NULL,
    unit               text,
    delegate_subject   text        NOT NULL,
    delegate_name      text        NOT NULL,
    kind               text        NOT NULL,
    starts_at          timestamptz NOT NULL,
    ends_at            timestamptz NOT NULL,
    for_name           text,
    granted_by_subject text        NOT NULL,
    granted_by_name    text        NOT NULL,
    granted_at         timestamptz NOT NULL,
    revoked_at         timestamptz
);
CREATE INDEX delegations_delegate ON delegations (delegate_subject, ends_at) WHERE revoked_at IS NULL;
CREATE INDEX delegations_role ON delegations (role, ends_at) WHERE revoked_at IS NULL;

-- A double click is one action: the first answer per (caller, client key) is kept.
CREATE TABLE client_keys (
    subject     text        NOT NULL,
    client_key  text        NOT NULL,
    case_id     text        NOT NULL,
    action      text        NOT NULL,
    fingerprint text        NOT NULL,
    response    jsonb,
    created_at  timestamptz NOT NULL,
    PRIMARY KEY (subject, client_key)
);
