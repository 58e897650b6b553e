-- switchboard schema, version 21: numbers held after their agent gave them up.
--
-- A number taken off its agent (the phone endpoint's DELETE, or the agent deleted) is held
-- for 30 days: callers hear that it is no longer in service, and the same account may
-- attach it again (the hold ends: ended_at). At release_at a worker releases a number
-- switchboard bought, or points a number the business brought back where it was before
-- (previous_*), and sets released_at; a failed attempt is counted and retried.
CREATE TABLE number_holds (
    id                               TEXT   NOT NULL PRIMARY KEY,
    phone_number                     TEXT   NOT NULL,
    account_id                       TEXT   NOT NULL REFERENCES accounts (id),
    twilio_sid                       TEXT   NOT NULL,
    bought                           BIGINT NOT NULL,
    previous_voice_url               TEXT   NOT NULL,
    previous_voice_method            TEXT   NOT NULL,
    previous_status_callback         TEXT   NOT NULL,
    previous_status_callback_method  TEXT   NOT NULL,
    held_from                        BIGINT NOT NULL,
    release_at                       BIGINT NOT NULL,
    released_at                      BIGINT,
    ended_at                         BIGINT,
    attempts                         BIGINT NOT NULL DEFAULT 0,
    last_error                       TEXT,
    CONSTRAINT number_holds_bought_check CHECK (bought IN (0, 1))
);

-- At most one live hold per number; the worker reads the live ones by release_at.
CREATE UNIQUE INDEX number_holds_live_idx ON number_holds (phone_number)
    WHERE released_at IS NULL AND ended_at IS NULL;
CREATE INDEX number_holds_due_idx ON number_holds (release_at)
    WHERE released_at IS NULL AND ended_at IS NULL;
