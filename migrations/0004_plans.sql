-- switchboard schema, version 4: plans, and each account's time zone.
--
-- A plan is a named set of limits an account is on; the operator may edit them. The accounts'
-- `plan` column holds a plan's name (checked by the application, so that existing rows and
-- renamed plans never make the migration fail).
--   max_agents            agents the account may have;
--   monthly_minutes       connected minutes per billing period, NULL for unlimited;
--   phone_numbers         1 when the account's agents may have dedicated numbers;
--   max_concurrent_calls  calls of the account up at once.
-- Defaults: free 1 / 5 / no numbers, pro 2 / 60 / numbers, business 20 / unlimited / numbers;
-- concurrent calls 3 / 10 / 20, the caps ElevenLabs puts on its own receptionist plans.
--
-- accounts.timezone: the IANA zone in which the account's billing period turns (monthly, on the
-- day of the month the account was created).

CREATE TABLE plans (
    name                  TEXT   NOT NULL PRIMARY KEY,
    max_agents            BIGINT NOT NULL,
    monthly_minutes       BIGINT,
    phone_numbers         BIGINT NOT NULL,
    max_concurrent_calls  BIGINT NOT NULL,
    updated_at            BIGINT NOT NULL,
    CONSTRAINT plans_limits_check CHECK (
        max_agents >= 0 AND (monthly_minutes IS NULL OR monthly_minutes >= 0)
        AND phone_numbers IN (0, 1) AND max_concurrent_calls >= 0)
);

INSERT INTO plans (name, max_agents, monthly_minutes, phone_numbers, max_concurrent_calls, updated_at)
VALUES ('free', 1, 5, 0, 3, 0),
       ('pro', 2, 60, 1, 10, 0),
       ('business', 20, NULL, 1, 20, 0);

ALTER TABLE accounts ADD COLUMN timezone TEXT NOT NULL DEFAULT 'UTC';
