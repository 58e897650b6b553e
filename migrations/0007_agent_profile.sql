-- switchboard schema, version 7: what an operator edits per agent (PostgreSQL; SQLite runs
-- 0007_agent_profile.sqlite.sql, which rebuilds the table to the same columns and rules).
--
-- phone_number: now optional. An agent on a plan without numbers, or one reached only from
-- the web, has none; NULLs never collide in the unique index.
-- voice_id: the ElevenLabs voice; NULL keeps the ElevenLabs agent's own.
-- language: the agent's language tag ('en', 'de', 'pt-BR').
-- business_context: what the agent is told about the business.
-- active: 0 takes the agent off its line without deleting it.
-- updated_at: the last change (epoch ms); existing rows take their creation.
-- deleted_at: set when the agent is deleted. The row stays because calls keep referring to
-- it (their history keeps its name); a deleted agent is out of every list and lookup, and its
-- number is free for another agent: the unique index covers the agents not deleted.
ALTER TABLE agents ALTER COLUMN phone_number DROP NOT NULL;
ALTER TABLE agents ADD COLUMN voice_id TEXT;
ALTER TABLE agents ADD COLUMN language TEXT NOT NULL DEFAULT 'en';
ALTER TABLE agents ADD COLUMN business_context TEXT;
ALTER TABLE agents ADD COLUMN active BIGINT NOT NULL DEFAULT 1
    CONSTRAINT agents_active_check CHECK (active IN (0, 1));
ALTER TABLE agents ADD COLUMN updated_at BIGINT;
UPDATE agents SET updated_at = created_at;
ALTER TABLE agents ALTER COLUMN updated_at SET NOT NULL;
ALTER TABLE agents ADD COLUMN deleted_at BIGINT;
DROP INDEX agents_phone_number_key;
CREATE UNIQUE INDEX agents_phone_number_key ON agents (phone_number) WHERE deleted_at IS NULL;
