-- switchboard schema, version 8: each agent's active hours, read in the agent's own timezone
-- (agents.timezone).
--
-- An agent without a row has never had hours set and answers at any time. enabled = 0 keeps
-- the schedule but answers at any time too. Outside the hours a caller gets
-- after_hours_behavior: a voicemail, a message (after_hours_message, or a default one), or a
-- redirect to redirect_number.
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
        CHECK (after_hours_behavior IN ('voicemail', 'message', 'redirect')),
    CONSTRAINT agent_active_hours_redirect_check
        CHECK (after_hours_behavior <> 'redirect' OR redirect_number IS NOT NULL)
);

-- The weekly ranges, as a host's weekly_hours: weekday 1 = Monday ... 7 = Sunday, minutes
-- after local midnight; a range whose end is at or before its start runs into the next day.
CREATE TABLE agent_active_ranges (
    agent_id      TEXT   NOT NULL REFERENCES agent_active_hours (agent_id) ON DELETE CASCADE,
    weekday       BIGINT NOT NULL,
    start_minute  BIGINT NOT NULL,
    end_minute    BIGINT NOT NULL,
    PRIMARY KEY (agent_id, weekday, start_minute, end_minute),
    CONSTRAINT agent_active_ranges_range_check CHECK (
        weekday BETWEEN 1 AND 7 AND start_minute BETWEEN 0 AND 1439 AND end_minute BETWEEN 0 AND 1440
        AND start_minute <> end_minute)
);
