-- Transactional outbox in the Debezium shape (id, aggregatetype, aggregateid -> Kafka key,
-- type, payload, headers), so change-data-capture could replace the relay later.
-- `topic` names the destination explicitly; `seq` keeps insertion order for the relay.
CREATE TABLE outbox (
    seq           bigserial   NOT NULL UNIQUE,
    id            uuid        PRIMARY KEY,
    aggregatetype text        NOT NULL,
    aggregateid   text        NOT NULL,
    type          text        NOT NULL,
    topic         text        NOT NULL,
    payload       jsonb       NOT NULL,
    headers       jsonb       NOT NULL DEFAULT '{}'::jsonb,
    created_at    timestamptz NOT NULL DEFAULT now(),
    sent_at       timestamptz
);
-- The relay reads only what is pending, oldest first, and checks per-aggregate order.
CREATE INDEX outbox_pending ON outbox (seq) WHERE sent_at IS NULL;
CREATE INDEX outbox_pending_aggregate ON outbox (aggregatetype, aggregateid, seq) WHERE sent_at IS NULL;

-- Wake relays on commit instead of polling: one NOTIFY per inserting statement.
CREATE FUNCTION outbox_notify() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM pg_notify(TG_TABLE_SCHEMA || '_outbox', '');
    RETURN NULL;
END;
$$;
CREATE TRIGGER outbox_notify AFTER INSERT ON outbox
    FOR EACH STATEMENT EXECUTE FUNCTION outbox_notify();

-- Inbox: an event id handled by a consumer group, written in the same transaction as the
-- handler's effect, so a redelivered event changes nothing.
CREATE TABLE inbox (
    consumer_group text        NOT NULL,
    event_id       text        NOT NULL,
    event_type     text        NOT NULL,
    handled_at     timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (consumer_group, event_id)
);
