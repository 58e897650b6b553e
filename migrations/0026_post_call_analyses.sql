-- switchboard schema, version 26: what ElevenLabs reports after a conversation.
--
-- One row per ElevenLabs conversation, keyed by its id (calls.conversation_id), so a report
-- that arrives before the call's row knows its conversation still lands; the first report
-- wins and a redelivery changes nothing (src/store/post_call.rs).
--
-- call_successful               success | failure | unknown
-- evaluation_criteria_results,  JSON objects as ElevenLabs sent them
-- data_collection_results
-- call_duration_secs, cost      ElevenLabs' duration and cost (credits)
-- event_timestamp               the webhook's event_timestamp, unix seconds
-- received_at                   when it was stored, unix milliseconds
CREATE TABLE post_call_analyses (
    conversation_id TEXT PRIMARY KEY,
    agent_id TEXT NOT NULL,
    call_successful TEXT,
    transcript_summary TEXT,
    call_summary_title TEXT,
    evaluation_criteria_results TEXT NOT NULL,
    data_collection_results TEXT NOT NULL,
    call_duration_secs BIGINT,
    cost BIGINT,
    event_timestamp BIGINT NOT NULL,
    received_at BIGINT NOT NULL
);
