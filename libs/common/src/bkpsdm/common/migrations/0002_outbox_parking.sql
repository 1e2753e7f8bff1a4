-- Rows Kafka keeps refusing are parked (left pending with their error) instead of holding up
-- every key of their claimer; the per-key order guard now matches Kafka's: topic and key.
ALTER TABLE outbox
    ADD COLUMN attempts   integer     NOT NULL DEFAULT 0,
    ADD COLUMN last_error text,
    ADD COLUMN parked_at  timestamptz;

DROP INDEX outbox_pending_aggregate;
CREATE INDEX outbox_pending_key ON outbox (topic, aggregateid, seq) WHERE sent_at IS NULL;
CREATE INDEX outbox_parked ON outbox (seq) WHERE parked_at IS NOT NULL AND sent_at IS NULL;

-- The inbox is pruned after its retention (longer than the topics'): an index keeps that cheap.
CREATE INDEX inbox_handled_at ON inbox (handled_at);
