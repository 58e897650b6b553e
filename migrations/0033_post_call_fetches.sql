-- switchboard schema, version 33: the reconciler's attempts at fetching a post-call report.
--
-- ElevenLabs does not retry a post-call webhook by default, so a worker fetches the
-- conversation of an ended call that has no post_call_analyses row after a grace period. One
-- row per conversation it tried: how many times, when last (epoch ms), and what it found last
-- (`not_final`, `not_found`, `failed`), so a conversation ElevenLabs never finishes or never
-- knew is given up after a bounded number of tries.
CREATE TABLE post_call_fetches (
    conversation_id  TEXT   NOT NULL PRIMARY KEY,
    attempts         BIGINT NOT NULL,
    last_attempt_at  BIGINT NOT NULL,
    last_result      TEXT   NOT NULL
);

-- The ended calls with a conversation, which the reconciler reads by when they ended.
CREATE INDEX calls_conversation_ended_idx ON calls (ended_at) WHERE conversation_id IS NOT NULL;
