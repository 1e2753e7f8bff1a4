-- Relay slots: a row's key hashes to one of 16 slots; a relay claimer holds a slot with an
-- advisory lock while it publishes it, so one key is only ever published by one relay at a
-- time (several processes, any number of claimers each) and the claim needs no per-key check.
ALTER TABLE outbox
    ADD COLUMN slot smallint GENERATED ALWAYS AS (mod(hashtext(aggregateid)::bigint + 2147483648, 16)::smallint) STORED;
CREATE INDEX outbox_pending_slot ON outbox (slot, seq) WHERE sent_at IS NULL AND parked_at IS NULL;
DROP INDEX outbox_pending_key;
