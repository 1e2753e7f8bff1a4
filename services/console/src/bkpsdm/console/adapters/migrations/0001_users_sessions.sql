-- The console's own user store: accounts (argon2 hashes, lockout state) and sign-in sessions.
CREATE TABLE users (
    user_id         uuid        PRIMARY KEY,
    username        text        NOT NULL UNIQUE CHECK (username = lower(username)),
    name            text        NOT NULL,
    roles           text[]      NOT NULL CHECK (cardinality(roles) > 0),
    unit            text,
    password_hash   text        NOT NULL,
    failed_attempts integer     NOT NULL DEFAULT 0,
    locked_until    timestamptz,
    disabled        boolean     NOT NULL DEFAULT false,
    created_at      timestamptz NOT NULL DEFAULT now(),
    updated_at      timestamptz NOT NULL DEFAULT now()
);

-- Only a hash of the session token is kept: a copy of this table opens no session.
CREATE TABLE sessions (
    token_sha256 bytea       PRIMARY KEY,
    user_id      uuid        NOT NULL REFERENCES users (user_id) ON DELETE CASCADE,
    created_at   timestamptz NOT NULL,
    expires_at   timestamptz NOT NULL
);
CREATE INDEX sessions_expiry ON sessions (expires_at);

-- Submissions an applicant unit sent through the console, so its page can list them (intake's
-- API looks a submission up by id or receipt number but does not list a unit's submissions).
CREATE TABLE unit_submissions (
    submission_id  uuid        PRIMARY KEY,
    unit           text        NOT NULL,
    receipt_number text,
    service_code   text        NOT NULL,
    title          text        NOT NULL,
    submitted_at   timestamptz NOT NULL,
    replaces       uuid
);
CREATE INDEX unit_submissions_by_unit ON unit_submissions (unit, submitted_at DESC);
