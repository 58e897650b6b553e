-- switchboard schema, version 30: the follow-up texts an account wrote, and whether it sends them.
--
-- sms_templates        one row per account and kind (booking_confirmation, info_recap,
--                      follow_up_needed; src/messaging/templates.rs) the account saved; a kind
--                      without a row uses the built-in text. The body is checked when saved.
-- accounts.sms_follow_ups  1 when the account texts callers after their calls (off by default).
CREATE TABLE sms_templates (
    account_id  TEXT   NOT NULL REFERENCES accounts (id),
    kind        TEXT   NOT NULL,
    body        TEXT   NOT NULL,
    updated_at  BIGINT NOT NULL,
    PRIMARY KEY (account_id, kind),
    CONSTRAINT sms_templates_kind_check
        CHECK (kind IN ('booking_confirmation', 'info_recap', 'follow_up_needed'))
);

ALTER TABLE accounts ADD COLUMN sms_follow_ups BIGINT NOT NULL DEFAULT 0
    CONSTRAINT accounts_sms_follow_ups_check CHECK (sms_follow_ups IN (0, 1));
