-- The claim skips rows behind a refused or parked row of their key. Such rows are rare, so
-- a partial index over only them keeps that check nearly free (without it, every claim
-- walked each key's whole backlog).
CREATE INDEX outbox_refused ON outbox (topic, aggregateid, seq)
    WHERE sent_at IS NULL AND (parked_at IS NOT NULL OR attempts > 0);
