-- Clearing a terminal's log is opt-in per terminal, and only once all of it is durably published.
ALTER TABLE terminals ADD COLUMN clear_log_after_publish boolean NOT NULL DEFAULT false;
ALTER TABLE terminal_state ADD COLUMN log_cleared_at timestamptz;
