-- switchboard schema, version 43: emails to send, as background jobs.
--
-- One row per idempotency_key: `booking:<booking id>:<event>:<recipient>` for a booking's
-- confirmation, notice or cancellation, `call:<call id>:summary` for a call's summary; an event
-- reported twice enqueues nothing more. The message is stored rendered (subject, text, the
-- optional attachment), exactly as every attempt sends it. A worker claims a due job by one
-- conditional UPDATE (pending and due, or a claim whose lease ran out), so two instances never
-- both send it, on SQLite as on PostgreSQL.
-- status: pending, sending (claimed), sent (the server accepted it), failed (a permanent
-- refusal, or the last attempt failed; last_error says why).
CREATE TABLE email_outbox (
    id                TEXT   NOT NULL PRIMARY KEY,
    account_id        TEXT   NOT NULL REFERENCES accounts (id),
    idempotency_key   TEXT   NOT NULL,
    kind              TEXT   NOT NULL,
    to_address        TEXT   NOT NULL,
    to_name           TEXT,
    subject           TEXT   NOT NULL,
    body              TEXT   NOT NULL,
    attachment_name   TEXT,
    attachment_type   TEXT,
    attachment        TEXT,
    status            TEXT   NOT NULL DEFAULT 'pending',
    attempts          BIGINT NOT NULL DEFAULT 0,
    next_attempt_at   BIGINT NOT NULL,
    claimed_until     BIGINT,
    last_error        TEXT,
    smtp_code         BIGINT,
    sent_at           BIGINT,
    created_at        BIGINT NOT NULL,
    updated_at        BIGINT NOT NULL,
    CONSTRAINT email_outbox_key_unique UNIQUE (idempotency_key),
    CONSTRAINT email_outbox_status_check
        CHECK (status IN ('pending', 'sending', 'sent', 'failed'))
);

CREATE INDEX email_outbox_due_idx ON email_outbox (next_attempt_at) WHERE status IN ('pending', 'sending');
CREATE INDEX email_outbox_account_idx ON email_outbox (account_id, created_at);
