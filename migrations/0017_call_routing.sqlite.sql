-- switchboard schema, version 17 on SQLite: how inbound calls are routed (see
-- 0017_call_routing.sql for what changes). SQLite cannot change a CHECK constraint, so
-- agent_active_hours is rebuilt (https://www.sqlite.org/lang_altertable.html#otheralter).
--
-- Foreign keys are on: dropping the table deletes its rows first, and agent_active_ranges'
-- ON DELETE CASCADE deletes every range with them. So both are kept aside and put back.
PRAGMA defer_foreign_keys = ON;

CREATE TABLE agent_active_hours_kept AS
    SELECT account_id, agent_id, enabled, after_hours_behavior, after_hours_message,
           redirect_number, updated_at
    FROM agent_active_hours;
CREATE TABLE agent_active_ranges_kept AS
    SELECT agent_id, weekday, start_minute, end_minute FROM agent_active_ranges;

DROP TABLE agent_active_hours;

CREATE TABLE agent_active_hours (
    account_id            TEXT   NOT NULL,
    agent_id              TEXT   NOT NULL PRIMARY KEY,
    enabled               BIGINT NOT NULL,
    after_hours_behavior  TEXT   NOT NULL,
    after_hours_message   TEXT,
    redirect_number       TEXT,
    updated_at            BIGINT NOT NULL,
    CONSTRAINT agent_active_hours_agent_fkey FOREIGN KEY (account_id, agent_id)
        REFERENCES agents (account_id, id),
    CONSTRAINT agent_active_hours_enabled_check CHECK (enabled IN (0, 1)),
    CONSTRAINT agent_active_hours_behavior_check
        CHECK (after_hours_behavior IN ('voicemail', 'message', 'redirect', 'transfer'))
);

INSERT INTO agent_active_hours (
    account_id, agent_id, enabled, after_hours_behavior, after_hours_message, redirect_number,
    updated_at)
SELECT account_id, agent_id, enabled, after_hours_behavior, after_hours_message, redirect_number,
       updated_at
FROM agent_active_hours_kept;

-- Had the ranges not been deleted (foreign keys off), they are still there: nothing doubles.
INSERT INTO agent_active_ranges (agent_id, weekday, start_minute, end_minute)
    SELECT agent_id, weekday, start_minute, end_minute FROM agent_active_ranges_kept
    WHERE true
    ON CONFLICT (agent_id, weekday, start_minute, end_minute) DO NOTHING;

DROP TABLE agent_active_ranges_kept;
DROP TABLE agent_active_hours_kept;

-- An account's live calls, counted in the transaction that admits each new one.
CREATE INDEX calls_live_idx ON calls (account_id) WHERE ended_at IS NULL;
