-- switchboard schema, version 24: a call's transcript as the bridge saw it, written once when
-- the call ends (src/store/call_transcripts.rs).
--
-- call_turns: one row per agent or caller utterance (`text`) and per tool call (`tool_*`,
-- `arguments` and `result` as the agent sent and was told them, flags 0/1, `elapsed_ms`), in
-- the call's order (`seq`), `at_ms` from the call's start. `created_at` (epoch ms) is what the
-- account's transcript retention counts from. Redelivered turns are the same (call_id, seq).
CREATE TABLE call_turns (
    call_id     TEXT   NOT NULL REFERENCES calls (id) ON DELETE CASCADE,
    account_id  TEXT   NOT NULL,
    seq         BIGINT NOT NULL,
    kind        TEXT   NOT NULL CONSTRAINT call_turns_kind_check CHECK (kind IN ('agent', 'caller', 'tool')),
    at_ms       BIGINT NOT NULL,
    text        TEXT,
    tool_call_id TEXT,
    tool_name   TEXT,
    arguments   TEXT,
    result      TEXT,
    is_error    BIGINT CHECK (is_error IN (0, 1)),
    timed_out   BIGINT CHECK (timed_out IN (0, 1)),
    elapsed_ms  BIGINT,
    created_at  BIGINT NOT NULL,
    PRIMARY KEY (call_id, seq)
);
CREATE INDEX call_turns_account_created_idx ON call_turns (account_id, created_at);
