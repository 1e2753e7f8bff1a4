-- SLA deadlines as rows, fired with FOR UPDATE SKIP LOCKED (bkpsdm.common.deadlines).
-- A row is open until it fires or is cancelled; an open row whose handler kept failing is
-- parked (left open with its error) for an operator, and scheduling its key again re-arms it.
CREATE TABLE deadlines (
    deadline_id     bigserial   PRIMARY KEY,
    aggregate_id    text        NOT NULL,
    kind            text        NOT NULL,
    due_at          timestamptz NOT NULL,
    payload         jsonb       NOT NULL DEFAULT '{}'::jsonb,
    attempts        integer     NOT NULL DEFAULT 0,
    -- due_at at first; pushed back by the retry backoff after a failed attempt.
    next_attempt_at timestamptz NOT NULL,
    last_error      text,
    fired_at        timestamptz,
    cancelled_at    timestamptz,
    parked_at       timestamptz,
    created_at      timestamptz NOT NULL DEFAULT now(),
    CHECK (next_attempt_at >= due_at)
);
-- At most one open deadline per (aggregate, kind): scheduling again moves it.
CREATE UNIQUE INDEX deadlines_open ON deadlines (aggregate_id, kind)
    WHERE fired_at IS NULL AND cancelled_at IS NULL;
-- The firer walks what is due, oldest first; the oldest-overdue gauge reads its first entry.
CREATE INDEX deadlines_due ON deadlines (due_at)
    WHERE fired_at IS NULL AND cancelled_at IS NULL AND parked_at IS NULL;
CREATE INDEX deadlines_parked ON deadlines (kind)
    WHERE parked_at IS NOT NULL AND fired_at IS NULL AND cancelled_at IS NULL;

-- Wake firers on commit when a deadline is added or moved (it may be due sooner than they
-- planned to look); one NOTIFY per statement, on a channel per schema.
CREATE FUNCTION deadlines_notify() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM pg_notify(TG_TABLE_SCHEMA || '_deadlines', '');
    RETURN NULL;
END;
$$;
CREATE TRIGGER deadlines_notify AFTER INSERT OR UPDATE OF due_at ON deadlines
    FOR EACH STATEMENT EXECUTE FUNCTION deadlines_notify();
