-- switchboard schema, version 16: the caller's answer to "this call is recorded, is that all
-- right?", asked when the account records calls. NULL until the caller answers; a flag
-- (BIGINT 0/1) with the instant (epoch ms) of the latest answer. Each answer is also an event
-- of the call's timeline (`record_consent`).
ALTER TABLE calls ADD COLUMN record_consent BIGINT CHECK (record_consent IN (0, 1));
ALTER TABLE calls ADD COLUMN record_consent_at BIGINT;
