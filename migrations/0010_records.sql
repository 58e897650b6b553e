-- switchboard schema, version 10: a call's timeline, and the indexes of the management API's
-- list reads (pages run through ids, newest first, within one account).
--
-- call_events: what happened during a call that its row has no place for (the stream
-- starting, the agent connecting, each tool call and its outcome, agent errors, the voicemail,
-- Twilio's own duration); see src/store/call_events.rs. `at` is epoch ms, `detail` JSON text.
CREATE TABLE call_events (
    id          TEXT   NOT NULL PRIMARY KEY,
    account_id  TEXT   NOT NULL,
    call_id     TEXT   NOT NULL REFERENCES calls (id) ON DELETE CASCADE,
    kind        TEXT   NOT NULL,
    at          BIGINT NOT NULL,
    detail      TEXT
);
CREATE INDEX call_events_call_idx ON call_events (call_id, at);

-- An account's calls, newest first (bookings and contacts have (account_id, id) keys already).
CREATE INDEX calls_account_id_idx ON calls (account_id, id);
-- A contact's activities, newest first.
CREATE INDEX activities_contact_id_idx ON activities (account_id, contact_id, id);
