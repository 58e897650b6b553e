-- switchboard schema, version 41: bookings written back to the hosts' writable CalDAV
-- calendars, as background jobs.
--
-- One row per (booking change, writable source): idempotency_key is
-- `<booking id>:<change>:<source id>`, so a change reported twice is written once.
-- change_kind: 'created', 'rescheduled' or 'cancelled'. action: 'put' (body is the event)
-- or 'delete'. href: the event's address in the collection, the same for every change of one
-- appointment (its UID is that of the booking it was first made as).
-- etag: the server's ETag after a put, for the next change's If-Match.
-- A worker claims a due job by one conditional UPDATE, and only once every earlier job for the
-- same href is settled, so an appointment's changes reach the calendar in order.
-- status: pending, sending (claimed), done, failed (given up, with last_error).
-- source_id has no reference: a source (or its host) deleted keeps its jobs' history, and the
-- worker fails a job whose source is gone.
CREATE TABLE calendar_writes (
    id                TEXT   NOT NULL PRIMARY KEY,
    account_id        TEXT   NOT NULL REFERENCES accounts (id),
    source_id         TEXT   NOT NULL,
    booking_id        TEXT   NOT NULL,
    idempotency_key   TEXT   NOT NULL,
    change_kind       TEXT   NOT NULL,
    action            TEXT   NOT NULL,
    href              TEXT   NOT NULL,
    body              TEXT,
    etag              TEXT,
    status            TEXT   NOT NULL DEFAULT 'pending',
    attempts          BIGINT NOT NULL DEFAULT 0,
    next_attempt_at   BIGINT NOT NULL,
    claimed_until     BIGINT,
    last_status_code  BIGINT,
    last_error        TEXT,
    last_attempt_at   BIGINT,
    done_at           BIGINT,
    created_at        BIGINT NOT NULL,
    updated_at        BIGINT NOT NULL,
    CONSTRAINT calendar_writes_key_unique UNIQUE (idempotency_key),
    CONSTRAINT calendar_writes_change_check CHECK (change_kind IN ('created', 'rescheduled', 'cancelled')),
    CONSTRAINT calendar_writes_action_check CHECK (action IN ('put', 'delete')),
    CONSTRAINT calendar_writes_status_check
        CHECK (status IN ('pending', 'sending', 'done', 'failed'))
);

CREATE INDEX calendar_writes_due_idx ON calendar_writes (next_attempt_at)
    WHERE status IN ('pending', 'sending');
CREATE INDEX calendar_writes_href_idx ON calendar_writes (source_id, href, id);
