-- switchboard schema, version 17: how inbound calls are routed.
--
-- After hours a caller may now be transferred to the agent's escalation number
-- (agents.fallback_number): after_hours_behavior 'transfer'. A 'redirect' tells the caller
-- where to book online (the account's booking page) and needs no number of its own, so
-- redirect_number is kept as given and no longer required.
ALTER TABLE agent_active_hours DROP CONSTRAINT agent_active_hours_behavior_check;
ALTER TABLE agent_active_hours DROP CONSTRAINT agent_active_hours_redirect_check;
ALTER TABLE agent_active_hours ADD CONSTRAINT agent_active_hours_behavior_check
    CHECK (after_hours_behavior IN ('voicemail', 'message', 'redirect', 'transfer'));

-- An account's live calls, counted in the transaction that admits each new one (at most the
-- plan's max_concurrent_calls): only the rows of calls not ended.
CREATE INDEX calls_live_idx ON calls (account_id) WHERE ended_at IS NULL;
