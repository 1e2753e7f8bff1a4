-- The terminal registry. comm_key is a secret: never returned over HTTP, never logged.
CREATE TABLE terminals (
    terminal_id     uuid        PRIMARY KEY,
    name            text        NOT NULL,
    address         text        NOT NULL,
    port            integer     NOT NULL,
    transport       text        NOT NULL,
    comm_key        integer     NOT NULL DEFAULT 0,
    time_zone       text        NOT NULL,
    poll_interval_s integer     NOT NULL,
    unit            text        NOT NULL,
    enabled         boolean     NOT NULL,
    created_at      timestamptz NOT NULL DEFAULT now(),
    UNIQUE (address, port)
);

-- User ids are per terminal: the same id on two terminals may be two different employees.
CREATE TABLE terminal_users (
    terminal_id uuid NOT NULL REFERENCES terminals ON DELETE CASCADE,
    user_id     text NOT NULL,
    nip         text NOT NULL,
    PRIMARY KEY (terminal_id, user_id)
);

-- Polling state, apart from the registry so edits never contend with leases.
-- The lease (owner, token, expiry) lets one gateway process poll a terminal at a time; a
-- dead process's lease expires and another takes the terminal. The token fences: a write
-- by a process whose lease was taken over matches no row and rolls back.
CREATE TABLE terminal_state (
    terminal_id      uuid        PRIMARY KEY REFERENCES terminals ON DELETE CASCADE,
    next_poll_at     timestamptz NOT NULL DEFAULT now(),
    lease_owner      text,
    lease_token      bigint      NOT NULL DEFAULT 0,
    lease_expires_at timestamptz,
    checkpoint       integer     NOT NULL DEFAULT 0,   -- log records already handled
    checkpoint_key   text,                             -- the key of record checkpoint-1: a cleared log shows
    serial           text,
    firmware         text,
    status           text        NOT NULL DEFAULT 'UNKNOWN',
    reason           text,
    detail           text,
    failure_streak   integer     NOT NULL DEFAULT 0,
    last_attempt_at  timestamptz,
    last_success_at  timestamptz,
    drift_s          double precision,
    drift_alert      boolean     NOT NULL DEFAULT false,
    records          integer,
    records_capacity integer,
    users            integer
);
CREATE INDEX terminal_state_due ON terminal_state (next_poll_at);

-- Every punch once, by its idempotency key. A punch of a user id not mapped to a NIP waits
-- here (published_at null) and goes out when the mapping is added.
CREATE TABLE punches (
    idempotency_key text        PRIMARY KEY,
    terminal_id     uuid        NOT NULL REFERENCES terminals ON DELETE CASCADE,
    serial          text        NOT NULL,
    user_id         text        NOT NULL,
    punched_at      timestamptz NOT NULL,
    verify_type     integer     NOT NULL,
    punch_state     integer     NOT NULL,
    nip             text,
    published_at    timestamptz,
    read_at         timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX punches_unmapped ON punches (terminal_id, user_id) WHERE published_at IS NULL;

-- One row per finished session: who polled, when, and how it ended (audit, tests).
CREATE TABLE polls (
    id          bigserial   PRIMARY KEY,
    terminal_id uuid        NOT NULL REFERENCES terminals ON DELETE CASCADE,
    owner       text        NOT NULL,
    lease_token bigint      NOT NULL,
    started_at  timestamptz NOT NULL,
    finished_at timestamptz NOT NULL,
    outcome     text        NOT NULL,
    new_punches integer     NOT NULL DEFAULT 0
);
CREATE INDEX polls_terminal ON polls (terminal_id, started_at);
