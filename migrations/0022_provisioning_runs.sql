-- switchboard schema, version 22: provisioning runs and their steps.
--
-- Creating an agent, or putting a number on one, is a sequence of requests to ElevenLabs and
-- Twilio. Each step is written here before its request (with what would undo it if the
-- process died before the answer came: `undo` holds the step's "if interrupted" action), and
-- again after it (with the undo of what it did). A run that fails is undone step by step in
-- reverse; a run an instance left `running` (a crash) is found by its stale `touched_at` and
-- undone by whichever instance claims it first (`recovering`). Times are epoch ms.
CREATE TABLE provisioning_runs (
    id           TEXT    NOT NULL PRIMARY KEY,
    account_id   TEXT    NOT NULL REFERENCES accounts (id),
    purpose      TEXT    NOT NULL,
    -- running | done | recovering | rolled_back | rollback_failed
    state        TEXT    NOT NULL,
    -- What failed, in words, for a run that did not finish.
    failure      TEXT,
    started_at   BIGINT  NOT NULL,
    touched_at   BIGINT  NOT NULL,
    finished_at  BIGINT
);
CREATE INDEX provisioning_runs_open_idx ON provisioning_runs (state, touched_at);

CREATE TABLE provisioning_steps (
    run_id      TEXT    NOT NULL REFERENCES provisioning_runs (id),
    seq         INTEGER NOT NULL,
    name        TEXT    NOT NULL,
    -- started | done | undone
    state       TEXT    NOT NULL,
    -- JSON {"kind", "data"}; NULL when there is nothing to undo.
    undo        TEXT,
    -- Why the last attempt to undo it failed.
    undo_error  TEXT,
    PRIMARY KEY (run_id, seq)
);
