-- switchboard schema, version 32: callers who said STOP, per account.
--
-- One row per account and number once the number has texted a keyword; opted_out 1 after
-- STOP (or a send refused with Twilio's 21610), 0 after START. An opted-out number gets no
-- texts and no outbound calls from the account. source: 'keyword' or 'twilio_21610'.
CREATE TABLE sms_opt_outs (
    account_id    TEXT   NOT NULL REFERENCES accounts (id),
    phone_number  TEXT   NOT NULL,
    opted_out     BIGINT NOT NULL,
    source        TEXT   NOT NULL,
    changed_at    BIGINT NOT NULL,
    PRIMARY KEY (account_id, phone_number),
    CONSTRAINT sms_opt_outs_opted_out_check CHECK (opted_out IN (0, 1))
);
