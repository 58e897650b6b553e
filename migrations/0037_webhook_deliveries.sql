-- switchboard schema, version 37: outgoing webhook deliveries, as background jobs.
--
-- One row per (event, endpoint): idempotency_key is `<event id>:<endpoint id>`, so an event
-- published twice enqueues nothing more. payload is the body exactly as every attempt sends
-- it. A worker claims a due delivery by one conditional UPDATE (pending and due, or a claim
-- whose lease ran out), so two instances never both send it, on SQLite as on PostgreSQL.
-- status: pending, sending (claimed), delivered (a 2xx), failed (the last attempt failed).
CREATE TABLE webhook_deliveries (
    id                TEXT   NOT NULL PRIMARY KEY,
    account_id        TEXT   NOT NULL REFERENCES accounts (id),
    endpoint_id       TEXT   NOT NULL REFERENCES webhook_endpoints (id),
    idempotency_key   TEXT   NOT NULL,
    event_id          TEXT   NOT NULL,
    event_type        TEXT   NOT NULL,
    payload           TEXT   NOT NULL,
    status            TEXT   NOT NULL DEFAULT 'pending',
    attempts          BIGINT NOT NULL DEFAULT 0,
    next_attempt_at   BIGINT NOT NULL,
    claimed_until     BIGINT,
    last_status_code  BIGINT,
    last_error        TEXT,
    last_attempt_at   BIGINT,
    delivered_at      BIGINT,
    created_at        BIGINT NOT NULL,
    updated_at        BIGINT NOT NULL,
    CONSTRAINT webhook_deliveries_key_unique UNIQUE (idempotency_key),
    CONSTRAINT webhook_deliveries_status_check
        CHECK (status IN ('pending', 'sending', 'delivered', 'failed'))
);

CREATE INDEX webhook_deliveries_due_idx ON webhook_deliveries (next_attempt_at)
    WHERE status IN ('pending', 'sending');
CREATE INDEX webhook_deliveries_endpoint_idx ON webhook_deliveries (endpoint_id, id);
