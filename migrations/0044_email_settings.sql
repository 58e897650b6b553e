-- switchboard schema, version 44: where an account's call summaries go.
--
-- email_settings  at most one row per account: summary_to, the address that gets a summary of
--                 each call (none: no summaries).
CREATE TABLE email_settings (
    account_id  TEXT   NOT NULL PRIMARY KEY REFERENCES accounts (id),
    summary_to  TEXT,
    updated_at  BIGINT NOT NULL
);
