-- switchboard schema, version 34: the audio ElevenLabs sends after a conversation
-- (`post_call_audio`, MP3), kept only when the call's account records calls and the caller
-- consented, the rule the bridge's own recordings follow (src/telephony/post_call_audio.rs).
--
-- conversation_id  ElevenLabs' conversation (one audio a conversation: a redelivery adds nothing).
-- call_id          the call the conversation belongs to.
-- agent_id         ElevenLabs' agent, as sent.
-- format           the container and codec as sent, 'mp3'.
-- size_bytes       the length of audio.
-- audio            the file, decoded from the webhook's base64.
-- created_at       when it was stored (epoch ms): the account's recording retention counts from here.
CREATE TABLE elevenlabs_call_audio (
    conversation_id TEXT   NOT NULL PRIMARY KEY,
    call_id         TEXT   NOT NULL,
    account_id      TEXT   NOT NULL,
    agent_id        TEXT   NOT NULL,
    format          TEXT   NOT NULL CONSTRAINT elevenlabs_call_audio_format_check CHECK (format IN ('mp3')),
    size_bytes      BIGINT NOT NULL CONSTRAINT elevenlabs_call_audio_size_check CHECK (size_bytes >= 0),
    audio           BLOB   NOT NULL,
    created_at      BIGINT NOT NULL,
    CONSTRAINT elevenlabs_call_audio_call_fkey FOREIGN KEY (call_id) REFERENCES calls (id)
);
CREATE INDEX elevenlabs_call_audio_call_idx ON elevenlabs_call_audio (call_id);
CREATE INDEX elevenlabs_call_audio_account_created_idx ON elevenlabs_call_audio (account_id, created_at);
-- A call's conversation is found by its id (the webhooks name only the conversation).
CREATE INDEX calls_conversation_id_idx ON calls (conversation_id);
-- ElevenLabs' report that it could not place a call is logged once per call, whatever it
-- redelivers (src/store/initiation_failures.rs).
CREATE UNIQUE INDEX call_events_one_initiation_failure_idx ON call_events (call_id) WHERE kind = 'initiation_failed';
