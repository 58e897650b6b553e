-- switchboard schema, version 2: a call's progress while it runs, Twilio's own account of its
-- length, and its voicemail.
--
-- progress_at / progress_ms: when the call was last seen alive and its connected time then,
-- written every metering interval. A call whose instance stopped without finishing it is
-- closed from these (end_reason 'instance_lost'), so at most one interval of it is lost.
-- carrier_duration_ms: Twilio's CallDuration from its status callback (the first one wins).
-- voicemail_url: the fallback voicemail's recording; set once, so a repeated callback adds
-- nothing.
ALTER TABLE calls ADD COLUMN progress_at BIGINT;
ALTER TABLE calls ADD COLUMN progress_ms BIGINT CHECK (progress_ms IS NULL OR progress_ms >= 0);
ALTER TABLE calls ADD COLUMN carrier_duration_ms BIGINT
    CHECK (carrier_duration_ms IS NULL OR carrier_duration_ms >= 0);
ALTER TABLE calls ADD COLUMN voicemail_url TEXT;
-- The open calls, which the recovery sweep reads: few at any time.
CREATE INDEX calls_open_idx ON calls (started_at) WHERE ended_at IS NULL;
