-- switchboard schema, version 28: calls' recordings, kept only when the account records calls
-- and the caller consented (src/telephony/recordings.rs).
--
-- call_id      the call recorded (one recording a call).
-- format       the container and codec, 'ogg_opus' (8 kHz stereo: left the caller, right the agent).
-- duration_ms  how long it plays.
-- size_bytes   the length of audio.
-- audio        the file, in the database so that any instance can serve it.
-- created_at   when it was stored (epoch ms): retention counts from here.
CREATE TABLE call_recordings (
    call_id     TEXT   NOT NULL PRIMARY KEY,
    account_id  TEXT   NOT NULL,
    format      TEXT   NOT NULL CONSTRAINT call_recordings_format_check CHECK (format IN ('ogg_opus')),
    duration_ms BIGINT NOT NULL CONSTRAINT call_recordings_duration_check CHECK (duration_ms >= 0),
    size_bytes  BIGINT NOT NULL CONSTRAINT call_recordings_size_check CHECK (size_bytes >= 0),
    audio       BLOB   NOT NULL,
    created_at  BIGINT NOT NULL,
    CONSTRAINT call_recordings_call_fkey FOREIGN KEY (call_id) REFERENCES calls (id)
);
CREATE INDEX call_recordings_account_created_idx ON call_recordings (account_id, created_at);
