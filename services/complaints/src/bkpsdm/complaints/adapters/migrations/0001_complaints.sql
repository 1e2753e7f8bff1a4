-- Complaints from every channel, their history, attachments and the channels' own state.
CREATE TABLE complaints (
    complaint_id     uuid        PRIMARY KEY,
    ticket_code      text        NOT NULL UNIQUE,
    channel          text        NOT NULL,
    classification   text        NOT NULL,
    title            text        NOT NULL,
    content          text        NOT NULL,
    status           text        NOT NULL,
    anonim           boolean     NOT NULL DEFAULT false,
    rahasia          boolean     NOT NULL DEFAULT false,
    -- Who reported (name, e-mail, phone): read by the complaints officer only, never logged
    -- and never put on a topic.
    reporter         jsonb,
    receipt_number   text,
    reference        text,
    external_id      text,
    lapor_id         text        UNIQUE,
    assigned_unit    text,
    received_at      timestamptz NOT NULL,
    verify_due_at    timestamptz NOT NULL,
    follow_up_due_at timestamptz,
    answered_at      timestamptz,
    auto_close_at    timestamptz,
    closed_at        timestamptz,
    paused_verify_s  double precision,
    sla_breaches     text[]      NOT NULL DEFAULT '{}',
    updated_at       timestamptz NOT NULL,
    correlation_id   text
);
-- A channel's redelivery (the same e-mail Message-ID, the same SMS parts) is the same complaint.
CREATE UNIQUE INDEX complaints_external ON complaints (channel, external_id) WHERE external_id IS NOT NULL;
CREATE INDEX complaints_status ON complaints (status, received_at);
CREATE INDEX complaints_unit ON complaints (assigned_unit, received_at) WHERE assigned_unit IS NOT NULL;

CREATE TABLE complaint_history (
    complaint_id uuid        NOT NULL REFERENCES complaints (complaint_id),
    position     bigserial,
    at           timestamptz NOT NULL,
    action       text        NOT NULL,
    status       text        NOT NULL,
    actor_role   text,
    note         text,
    unit         text,
    public       boolean     NOT NULL,
    PRIMARY KEY (complaint_id, position)
);

CREATE TABLE attachments (
    attachment_id uuid    PRIMARY KEY,
    complaint_id  uuid    NOT NULL REFERENCES complaints (complaint_id),
    filename      text    NOT NULL,
    media_type    text    NOT NULL,
    size_bytes    integer NOT NULL,
    sha256        text    NOT NULL,
    content       bytea   NOT NULL
);
CREATE INDEX attachments_complaint ON attachments (complaint_id);

-- The web form's one-time tokens once used (the replay guard); pruned after they expire.
CREATE TABLE form_tokens_used (
    nonce   text        PRIMARY KEY,
    used_at timestamptz NOT NULL
);

-- Parts of concatenated SMS until the message is whole; kept with the complaint they made,
-- so a gateway's redelivery of a part is answered with the same ticket.
CREATE TABLE sms_parts (
    message_id   text        PRIMARY KEY,
    sender       text        NOT NULL,
    reference    text        NOT NULL,
    part         integer     NOT NULL,
    total        integer     NOT NULL,
    text         text        NOT NULL,
    received_at  timestamptz NOT NULL,
    complaint_id uuid,
    outcome      text
);
CREATE INDEX sms_parts_message ON sms_parts (sender, reference);

-- SP4N-LAPOR!: how far the pull has read, and follow-ups to push (written with the change
-- that causes them; sent with their id as the idempotency key until LAPOR acknowledges).
CREATE TABLE lapor_cursor (
    agency     text        PRIMARY KEY,
    last_seq   bigint      NOT NULL,
    updated_at timestamptz NOT NULL
);
CREATE TABLE lapor_pushes (
    push_id      uuid        PRIMARY KEY,
    position     bigserial   UNIQUE,
    complaint_id uuid        NOT NULL REFERENCES complaints (complaint_id),
    lapor_id     text        NOT NULL,
    status       text        NOT NULL,
    text         text        NOT NULL,
    created_at   timestamptz NOT NULL,
    attempts     integer     NOT NULL DEFAULT 0,
    last_error   text,
    sent_at      timestamptz
);
CREATE INDEX lapor_pushes_pending ON lapor_pushes (position) WHERE sent_at IS NULL;

-- Submissions as intake announced them (the receipt a complaint or a survey refers to), and
-- when their product was delivered (routing's last step, or the officer's record).
CREATE TABLE submissions (
    submission_id    text        PRIMARY KEY,
    receipt_number   text        UNIQUE,
    service_code     text        NOT NULL,
    perangkat_daerah text        NOT NULL,
    received_at      timestamptz NOT NULL,
    delivered_at     timestamptz
);

-- The satisfaction survey: nine answers once per delivered product.
CREATE TABLE survey_responses (
    response_id   uuid        PRIMARY KEY,
    submission_id text        NOT NULL UNIQUE REFERENCES submissions (submission_id),
    service_code  text        NOT NULL,
    period        text        NOT NULL,
    answers       jsonb       NOT NULL,
    suggestion    text,
    answered_at   timestamptz NOT NULL,
    rules_version text        NOT NULL
);
CREATE INDEX survey_responses_period ON survey_responses (period, service_code);
