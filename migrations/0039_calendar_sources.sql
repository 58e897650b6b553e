-- switchboard schema, version 39: a host's own calendars, read as busy time.
--
-- kind: 'ics' (an address serving one iCalendar text) or 'caldav' (a CalDAV collection).
-- password_sealed: the password encrypted with the server's secrets key (ChaCha20-Poly1305,
-- base64 of nonce and ciphertext), '' when there is none; never stored in clear.
-- writable: bookings are written to the calendar (CalDAV only).
-- etag, last_modified: the ICS answer's validators, for a conditional GET.
-- ctag, sync_token: the CalDAV collection's, for a cheap "unchanged" check.
-- next_attempt_at: when the poller fetches it next (ms); consecutive_failures drives backoff.
CREATE TABLE calendar_sources (
    id                   TEXT   NOT NULL PRIMARY KEY,
    account_id           TEXT   NOT NULL REFERENCES accounts (id),
    host_id              TEXT   NOT NULL REFERENCES hosts (id),
    kind                 TEXT   NOT NULL,
    name                 TEXT   NOT NULL DEFAULT '',
    url                  TEXT   NOT NULL,
    username             TEXT   NOT NULL DEFAULT '',
    password_sealed      TEXT   NOT NULL DEFAULT '',
    writable             BIGINT NOT NULL DEFAULT 0,
    etag                 TEXT,
    last_modified        TEXT,
    ctag                 TEXT,
    sync_token           TEXT,
    last_attempt_at      BIGINT,
    last_success_at      BIGINT,
    last_error           TEXT,
    consecutive_failures BIGINT NOT NULL DEFAULT 0,
    next_attempt_at      BIGINT NOT NULL,
    created_at           BIGINT NOT NULL,
    updated_at           BIGINT NOT NULL,
    CONSTRAINT calendar_sources_kind_check CHECK (kind IN ('ics', 'caldav')),
    CONSTRAINT calendar_sources_writable_check CHECK (writable IN (0, 1))
);

CREATE INDEX calendar_sources_account_idx ON calendar_sources (account_id, id);
CREATE INDEX calendar_sources_host_idx ON calendar_sources (host_id);
CREATE INDEX calendar_sources_due_idx ON calendar_sources (next_attempt_at);
