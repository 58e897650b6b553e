-- switchboard schema, version 11: what an account's callers are told and asked.
--
-- accounts.booking_url   the business's online booking page (absolute http or https URL), read
--                        to callers who cannot be connected (after hours, minutes used up) and
--                        given to the agent; NULL when the business has none.
-- accounts.record_calls  1 when the account records its calls: the agent's greeting then asks
--                        the caller for consent, and the answer is kept on the call.

ALTER TABLE accounts ADD COLUMN booking_url TEXT;
ALTER TABLE accounts ADD COLUMN record_calls BIGINT NOT NULL DEFAULT 0
    CONSTRAINT accounts_record_calls_check CHECK (record_calls IN (0, 1));
