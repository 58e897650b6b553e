-- switchboard schema, version 23: what a call came to.
--
-- calls.outcome     the call's disposition (booking_created, booking_changed, info_provided,
--                   voicemail, transferred, no_action, failed; src/store/call_outcome.rs),
--                   NULL until the call's end is written.
-- calls.booking_id  the booking the call made or changed, if any.
ALTER TABLE calls ADD COLUMN outcome TEXT
    CONSTRAINT calls_outcome_check CHECK (outcome IN ('booking_created', 'booking_changed',
        'info_provided', 'voicemail', 'transferred', 'no_action', 'failed'));
ALTER TABLE calls ADD COLUMN booking_id TEXT;
