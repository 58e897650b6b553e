-- switchboard schema, version 42: the emails an account wrote.
--
-- email_templates  one row per account and kind (invitee_confirmation, invitee_reschedule,
--                  invitee_cancellation, host_confirmation, host_reschedule, host_cancellation,
--                  call_summary; src/email/templates.rs) the account saved; a kind without a row
--                  uses the built-in subject and body. Both are checked when saved.
CREATE TABLE email_templates (
    account_id  TEXT   NOT NULL REFERENCES accounts (id),
    kind        TEXT   NOT NULL,
    subject     TEXT   NOT NULL,
    body        TEXT   NOT NULL,
    updated_at  BIGINT NOT NULL,
    PRIMARY KEY (account_id, kind),
    CONSTRAINT email_templates_kind_check
        CHECK (kind IN ('invitee_confirmation', 'invitee_reschedule', 'invitee_cancellation',
                        'host_confirmation', 'host_reschedule', 'host_cancellation', 'call_summary'))
);
