-- A double click is one action: the first use of each (official, client key) is kept with what
-- it asked for, so a retry is answered and another request under the same key refused.
-- Nothing of the reporter is kept here.
CREATE TABLE client_keys (
    subject      text        NOT NULL,
    client_key   text        NOT NULL,
    complaint_id text        NOT NULL,
    action       text        NOT NULL,
    fingerprint  text        NOT NULL,
    created_at   timestamptz NOT NULL,
    PRIMARY KEY (subject, client_key)
);
-- The public statistics count complaints received in a year.
CREATE INDEX complaints_received ON complaints (received_at);
