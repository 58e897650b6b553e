-- switchboard schema, version 1.
--
-- One portable schema for SQLite and PostgreSQL, read through sqlx's Any driver:
--   * ids are TEXT (UUID v7 strings), so they sort by creation time on both backends;
--   * instants are BIGINT milliseconds since the Unix epoch, UTC;
--   * flags are BIGINT 0/1 (the Any driver cannot decode SQLite BOOLEAN columns);
--   * civil dates are TEXT 'YYYY-MM-DD'; times of day are minutes after local midnight.
-- Every constraint that other code reacts to has an explicit name, because PostgreSQL reports
-- violations by name (src/store/error.rs maps both backends' reports to one enum).
-- Rows that belong to an account carry account_id, and references between an account's rows
-- are composite (account_id, id) foreign keys, so the database itself refuses a booking that
-- points at another account's host, event type or contact.

CREATE TABLE accounts (
    id          TEXT   NOT NULL PRIMARY KEY,
    name        TEXT   NOT NULL,
    plan        TEXT   NOT NULL,
    created_at  BIGINT NOT NULL
);

CREATE TABLE agents (
    id                   TEXT   NOT NULL PRIMARY KEY,
    account_id           TEXT   NOT NULL REFERENCES accounts (id),
    name                 TEXT   NOT NULL,
    phone_number         TEXT   NOT NULL,
    elevenlabs_agent_id  TEXT   NOT NULL,
    timezone             TEXT   NOT NULL,
    first_message        TEXT,
    fallback_mode        TEXT   NOT NULL,
    fallback_number      TEXT,
    created_at           BIGINT NOT NULL,
    CONSTRAINT agents_account_id_id_key UNIQUE (account_id, id),
    CONSTRAINT agents_fallback_mode_check CHECK (fallback_mode IN ('message', 'voicemail', 'dial')),
    CONSTRAINT agents_dial_needs_number_check
        CHECK (fallback_mode <> 'dial' OR fallback_number IS NOT NULL)
);
-- The call path resolves the dialled number to an agent on every inbound call.
CREATE UNIQUE INDEX agents_phone_number_key ON agents (phone_number);

CREATE TABLE hosts (
    id            TEXT   NOT NULL PRIMARY KEY,
    account_id    TEXT   NOT NULL REFERENCES accounts (id),
    name          TEXT   NOT NULL,
    email         TEXT,
    timezone      TEXT   NOT NULL,
    -- Bumped by every booking transaction; the write is what takes the lock (see host_tx.rs).
    lock_version  BIGINT NOT NULL DEFAULT 0,
    created_at    BIGINT NOT NULL,
    CONSTRAINT hosts_account_id_id_key UNIQUE (account_id, id)
);

CREATE TABLE event_types (
    id                 TEXT   NOT NULL PRIMARY KEY,
    account_id         TEXT   NOT NULL,
    host_id            TEXT   NOT NULL,
    slug               TEXT   NOT NULL,
    name               TEXT   NOT NULL,
    description        TEXT   NOT NULL,
    duration_min       BIGINT NOT NULL,
    buffer_before_min  BIGINT NOT NULL,
    buffer_after_min   BIGINT NOT NULL,
    min_notice_min     BIGINT NOT NULL,
    slot_interval_min  BIGINT,
    max_days_ahead     BIGINT NOT NULL,
    per_day_limit      BIGINT,
    active             BIGINT NOT NULL,
    secret             BIGINT NOT NULL,
    created_at         BIGINT NOT NULL,
    CONSTRAINT event_types_account_id_id_key UNIQUE (account_id, id),
    CONSTRAINT event_types_account_id_slug_key UNIQUE (account_id, slug),
    CONSTRAINT event_types_host_fkey FOREIGN KEY (account_id, host_id)
        REFERENCES hosts (account_id, id),
    CONSTRAINT event_types_numbers_check CHECK (
        duration_min > 0 AND buffer_before_min >= 0 AND buffer_after_min >= 0
        AND min_notice_min >= 0 AND (slot_interval_min IS NULL OR slot_interval_min > 0)
        AND max_days_ahead > 0 AND (per_day_limit IS NULL OR per_day_limit > 0)),
    CONSTRAINT event_types_flags_check CHECK (active IN (0, 1) AND secret IN (0, 1))
);

-- Which event types an agent offers. account_id is repeated so that both references are
-- checked against the same account.
CREATE TABLE agent_event_types (
    account_id     TEXT NOT NULL,
    agent_id       TEXT NOT NULL,
    event_type_id  TEXT NOT NULL,
    PRIMARY KEY (agent_id, event_type_id),
    CONSTRAINT agent_event_types_agent_fkey FOREIGN KEY (account_id, agent_id)
        REFERENCES agents (account_id, id) ON DELETE CASCADE,
    CONSTRAINT agent_event_types_event_type_fkey FOREIGN KEY (account_id, event_type_id)
        REFERENCES event_types (account_id, id) ON DELETE CASCADE
);
CREATE INDEX agent_event_types_event_type_idx ON agent_event_types (event_type_id);

-- Recurring opening hours in the host's timezone. A range whose end_minute is at or before
-- its start_minute runs past midnight into the next day (Fri 22:00-02:00 is 1320 -> 120).
CREATE TABLE weekly_hours (
    host_id       TEXT   NOT NULL REFERENCES hosts (id) ON DELETE CASCADE,
    weekday       BIGINT NOT NULL,
    start_minute  BIGINT NOT NULL,
    end_minute    BIGINT NOT NULL,
    PRIMARY KEY (host_id, weekday, start_minute),
    CONSTRAINT weekly_hours_range_check CHECK (
        weekday BETWEEN 1 AND 7 AND start_minute BETWEEN 0 AND 1439 AND end_minute BETWEEN 0 AND 1440)
);

-- Ranges for one host-local date that replace that date's weekly hours. A date with a row whose
-- start_minute and end_minute are both NULL is closed; such a row is the date's only row.
CREATE TABLE date_overrides (
    host_id       TEXT   NOT NULL REFERENCES hosts (id) ON DELETE CASCADE,
    date          TEXT   NOT NULL,
    start_minute  BIGINT,
    end_minute    BIGINT,
    CONSTRAINT date_overrides_range_check CHECK (
        (start_minute IS NULL AND end_minute IS NULL)
        OR (start_minute BETWEEN 0 AND 1439 AND end_minute BETWEEN 0 AND 1440))
);
CREATE INDEX date_overrides_host_date_idx ON date_overrides (host_id, date);

CREATE TABLE blackout_dates (
    host_id  TEXT NOT NULL REFERENCES hosts (id) ON DELETE CASCADE,
    date     TEXT NOT NULL,
    reason   TEXT,
    PRIMARY KEY (host_id, date)
);

CREATE TABLE contacts (
    id          TEXT   NOT NULL PRIMARY KEY,
    account_id  TEXT   NOT NULL REFERENCES accounts (id),
    name        TEXT,
    phone       TEXT   NOT NULL,
    email       TEXT,
    created_at  BIGINT NOT NULL,
    updated_at  BIGINT NOT NULL,
    CONSTRAINT contacts_account_id_id_key UNIQUE (account_id, id),
    CONSTRAINT contacts_account_id_phone_key UNIQUE (account_id, phone)
);

CREATE TABLE bookings (
    id                 TEXT   NOT NULL PRIMARY KEY,
    account_id         TEXT   NOT NULL,
    host_id            TEXT   NOT NULL,
    event_type_id      TEXT   NOT NULL,
    contact_id         TEXT,
    reference          TEXT   NOT NULL,
    start_at           BIGINT NOT NULL,
    end_at             BIGINT NOT NULL,
    buffer_before_min  BIGINT NOT NULL,
    buffer_after_min   BIGINT NOT NULL,
    status             TEXT   NOT NULL,
    invitee_name       TEXT   NOT NULL,
    invitee_email      TEXT,
    invitee_phone      TEXT,
    timezone           TEXT   NOT NULL,
    notes              TEXT,
    idempotency_key    TEXT,
    rescheduled_from   TEXT,
    created_at         BIGINT NOT NULL,
    updated_at         BIGINT NOT NULL,
    CONSTRAINT bookings_account_id_id_key UNIQUE (account_id, id),
    CONSTRAINT bookings_account_id_reference_key UNIQUE (account_id, reference),
    -- NULL keys never collide, on either backend.
    CONSTRAINT bookings_account_id_idempotency_key_key UNIQUE (account_id, idempotency_key),
    CONSTRAINT bookings_host_fkey FOREIGN KEY (account_id, host_id)
        REFERENCES hosts (account_id, id),
    CONSTRAINT bookings_event_type_fkey FOREIGN KEY (account_id, event_type_id)
        REFERENCES event_types (account_id, id),
    CONSTRAINT bookings_contact_fkey FOREIGN KEY (account_id, contact_id)
        REFERENCES contacts (account_id, id),
    CONSTRAINT bookings_rescheduled_from_fkey FOREIGN KEY (account_id, rescheduled_from)
        REFERENCES bookings (account_id, id),
    CONSTRAINT bookings_status_check CHECK (status IN ('confirmed', 'cancelled', 'rescheduled')),
    CONSTRAINT bookings_times_check CHECK (
        end_at > start_at AND buffer_before_min >= 0 AND buffer_after_min >= 0)
);
-- The second guard against double booking: two confirmed bookings of one host never share a
-- start, whatever the application does. Overlaps with different starts are kept out by the
-- host lock in the booking transaction.
CREATE UNIQUE INDEX bookings_host_slot_key ON bookings (host_id, start_at) WHERE status = 'confirmed';
-- "A host's confirmed bookings overlapping [from, to)": end_at > from AND start_at < to. Scanning
-- by end_at skips the host's whole past, leaving only bookings that end after the window opens.
CREATE INDEX bookings_host_end_idx ON bookings (host_id, end_at) WHERE status = 'confirmed';
CREATE INDEX bookings_contact_idx ON bookings (account_id, contact_id);

-- The CRM log.
CREATE TABLE activities (
    id          TEXT   NOT NULL PRIMARY KEY,
    account_id  TEXT   NOT NULL REFERENCES accounts (id),
    contact_id  TEXT,
    kind        TEXT   NOT NULL,
    summary     TEXT   NOT NULL,
    detail      TEXT,
    created_at  BIGINT NOT NULL,
    CONSTRAINT activities_contact_fkey FOREIGN KEY (account_id, contact_id)
        REFERENCES contacts (account_id, id)
);
CREATE INDEX activities_contact_idx ON activities (account_id, contact_id, created_at);

-- The call log.
CREATE TABLE calls (
    id               TEXT   NOT NULL PRIMARY KEY,
    account_id       TEXT   NOT NULL,
    agent_id         TEXT   NOT NULL,
    call_sid         TEXT   NOT NULL,
    direction        TEXT   NOT NULL,
    from_number      TEXT   NOT NULL,
    to_number        TEXT   NOT NULL,
    started_at       BIGINT NOT NULL,
    ended_at         BIGINT,
    end_reason       TEXT,
    duration_ms      BIGINT,
    conversation_id  TEXT,
    CONSTRAINT calls_agent_fkey FOREIGN KEY (account_id, agent_id)
        REFERENCES agents (account_id, id),
    CONSTRAINT calls_direction_check CHECK (direction IN ('inbound', 'outbound')),
    CONSTRAINT calls_duration_check CHECK (duration_ms IS NULL OR duration_ms >= 0)
);
CREATE UNIQUE INDEX calls_call_sid_key ON calls (call_sid);
CREATE INDEX calls_account_started_idx ON calls (account_id, started_at);
