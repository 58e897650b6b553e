-- switchboard schema, version 31: texts to send, as background jobs.
--
-- A job is written once per idempotency_key (e.g. follow_up:<call id>): a second enqueue is a
-- no-op. A worker claims a due job by one conditional UPDATE (status pending and
-- next_attempt_at come, or a claim whose lease ran out), so two instances never both send it,
-- on SQLite as on PostgreSQL. look_first: the last attempt timed out, so Twilio may have the
-- message; the next attempt looks for it before sending again.
-- status: pending, sending (claimed), sent, failed (given up), skipped (not to be sent: the
-- recipient opted out).
CREATE TABLE sms_outbox (
    id               TEXT   NOT NULL PRIMARY KEY,
    account_id       TEXT   NOT NULL REFERENCES accounts (id),
    idempotency_key  TEXT   NOT NULL,
    to_number        TEXT   NOT NULL,
    from_number      TEXT   NOT NULL,
    body             TEXT   NOT NULL,
    status           TEXT   NOT NULL DEFAULT 'pending',
    attempts         BIGINT NOT NULL DEFAULT 0,
    next_attempt_at  BIGINT NOT NULL,
    claimed_until    BIGINT,
    look_first       BIGINT NOT NULL DEFAULT 0,
    message_sid      TEXT,
    message_status   TEXT,
    error_code       TEXT,
    last_error       TEXT,
    created_at       BIGINT NOT NULL,
    updated_at       BIGINT NOT NULL,
    CONSTRAINT sms_outbox_key_unique UNIQUE (idempotency_key),
    CONSTRAINT sms_outbox_status_check
        CHECK (status IN ('pending', 'sending', 'sent', 'failed', 'skipped')),
    CONSTRAINT sms_outbox_look_first_check CHECK (look_first IN (0, 1))
);

CREATE INDEX sms_outbox_due_idx ON sms_outbox (next_attempt_at) WHERE status IN ('pending', 'sending');
CREATE INDEX sms_outbox_message_sid_idx ON sms_outbox (message_sid);
