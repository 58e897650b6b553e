-- switchboard schema, version 29: how many days an account keeps its calls' recordings. NULL
-- keeps them; a purge worker deletes those older (src/telephony/recordings.rs).
ALTER TABLE accounts ADD COLUMN recording_retention_days BIGINT
    CONSTRAINT accounts_recording_retention_check CHECK (recording_retention_days > 0);
