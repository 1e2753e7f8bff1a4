-- The daily-attendance consumer's own copy of the punches topic, by employee (de-duplicated by
-- idempotency key), and the daily record computed from it.
CREATE TABLE employee_punches (
    idempotency_key text        PRIMARY KEY,
    nip             text        NOT NULL,
    unit            text        NOT NULL,
    punched_at      timestamptz NOT NULL,
    punch_state     integer     NOT NULL,
    terminal_serial text        NOT NULL,
    user_id         text        NOT NULL
);
CREATE INDEX employee_punches_nip ON employee_punches (nip, punched_at);
CREATE INDEX employee_punches_unit ON employee_punches (unit, punched_at);

CREATE TABLE daily_attendance (
    nip        text        NOT NULL,
    day        date        NOT NULL,
    unit       text        NOT NULL,
    record     jsonb       NOT NULL,  -- DailyAttendance, with the rule set version it was computed under
    updated_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (nip, day)
);
CREATE INDEX daily_attendance_unit ON daily_attendance (unit, day);
