-- switchboard schema, version 20: the Twilio side of an agent's number.
--
-- An agent given a number through the phone endpoint (attached from the Twilio account, or
-- bought there) has one row here beside agents.phone_number: the number's Twilio SID,
-- whether switchboard bought it (1) or the business brought it (0), and, for a brought
-- number, where its calls and their status went before switchboard took them over (put back
-- when it is given up). One number per agent.
CREATE TABLE agent_numbers (
    account_id                       TEXT   NOT NULL,
    agent_id                         TEXT   NOT NULL,
    phone_number                     TEXT   NOT NULL,
    twilio_sid                       TEXT   NOT NULL,
    bought                           BIGINT NOT NULL,
    previous_voice_url               TEXT   NOT NULL,
    previous_voice_method            TEXT   NOT NULL,
    previous_status_callback         TEXT   NOT NULL,
    previous_status_callback_method  TEXT   NOT NULL,
    attached_at                      BIGINT NOT NULL,
    PRIMARY KEY (account_id, agent_id),
    CONSTRAINT agent_numbers_agent_fkey FOREIGN KEY (account_id, agent_id)
        REFERENCES agents (account_id, id),
    CONSTRAINT agent_numbers_bought_check CHECK (bought IN (0, 1))
);

CREATE UNIQUE INDEX agent_numbers_number_idx ON agent_numbers (phone_number);
