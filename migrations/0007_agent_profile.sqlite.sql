-- switchboard schema, version 7 on SQLite: the agent profile (see 0007_agent_profile.sql for
-- what each column means). SQLite cannot drop a NOT NULL, so the table is rebuilt
-- (https://www.sqlite.org/lang_altertable.html#otheralter).
--
-- The migration runs in a transaction, where `PRAGMA foreign_keys` cannot be changed, and
-- foreign keys are on. Dropping the old table then runs an implicit DELETE of its rows:
--   * agent_event_types' ON DELETE CASCADE deletes every link, so the links are kept aside
--     first and put back once the new table has the agents again;
--   * calls have no action on delete, so their references would be refused at once;
--     `defer_foreign_keys` moves that check to the commit, when the same ids exist again.
PRAGMA defer_foreign_keys = ON;
--
-- SQLite counts deferred violations as rows change rather than checking again at the commit:
-- the agents must be inserted into the new table after the old one is dropped, so each insert
-- settles the violations of the calls that refer to it. Hence copies of the rows first.

CREATE TABLE agents_kept AS
    SELECT id, account_id, name, phone_number, elevenlabs_agent_id, timezone, first_message,
           fallback_mode, fallback_number, created_at
    FROM agents;
CREATE TABLE agent_event_types_kept AS
    SELECT account_id, agent_id, event_type_id FROM agent_event_types;

DROP TABLE agents;

CREATE TABLE agents (
    id                   TEXT   NOT NULL PRIMARY KEY,
    account_id           TEXT   NOT NULL REFERENCES accounts (id),
    name                 TEXT   NOT NULL,
    phone_number         TEXT,
    elevenlabs_agent_id  TEXT   NOT NULL,
    timezone             TEXT   NOT NULL,
    first_message        TEXT,
    fallback_mode        TEXT   NOT NULL,
    fallback_number      TEXT,
    created_at           BIGINT NOT NULL,
    voice_id             TEXT,
    language             TEXT   NOT NULL DEFAULT 'en',
    business_context     TEXT,
    active               BIGINT NOT NULL DEFAULT 1,
    updated_at           BIGINT NOT NULL,
    deleted_at           BIGINT,
    CONSTRAINT agents_account_id_id_key UNIQUE (account_id, id),
    CONSTRAINT agents_fallback_mode_check CHECK (fallback_mode IN ('message', 'voicemail', 'dial')),
    CONSTRAINT agents_dial_needs_number_check
        CHECK (fallback_mode <> 'dial' OR fallback_number IS NOT NULL),
    CONSTRAINT agents_active_check CHECK (active IN (0, 1))
);
CREATE UNIQUE INDEX agents_phone_number_key ON agents (phone_number) WHERE deleted_at IS NULL;

INSERT INTO agents (
    id, account_id, name, phone_number, elevenlabs_agent_id, timezone, first_message,
    fallback_mode, fallback_number, created_at, updated_at)
SELECT
    id, account_id, name, phone_number, elevenlabs_agent_id, timezone, first_message,
    fallback_mode, fallback_number, created_at, created_at
FROM agents_kept;

-- Had the links not been deleted (foreign keys off), they are still there: nothing doubles.
INSERT INTO agent_event_types (account_id, agent_id, event_type_id)
    SELECT account_id, agent_id, event_type_id FROM agent_event_types_kept
    WHERE true
    ON CONFLICT (agent_id, event_type_id) DO NOTHING;

DROP TABLE agent_event_types_kept;
DROP TABLE agents_kept;
