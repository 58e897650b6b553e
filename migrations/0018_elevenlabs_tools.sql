-- switchboard schema, version 18: the ElevenLabs workspace tools of each account.
--
-- The booking tools are created at ElevenLabs once per account, on its first provisioned
-- agent, and every agent of the account lists them by id (`prompt.tool_ids`). One row per
-- account and tool name; a tool ElevenLabs lost is created again and its row replaced.
-- `created_at` is epoch ms.
CREATE TABLE elevenlabs_tools (
    account_id  TEXT   NOT NULL REFERENCES accounts (id),
    tool_name   TEXT   NOT NULL,
    tool_id     TEXT   NOT NULL,
    created_at  BIGINT NOT NULL,
    PRIMARY KEY (account_id, tool_name)
);
