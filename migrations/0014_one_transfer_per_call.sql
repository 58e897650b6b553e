-- A call's transfer to a person ends once: the dial's outcome is logged at most once per call,
-- whatever Twilio redelivers (see src/store/transfers.rs).
CREATE UNIQUE INDEX call_events_one_transfer_idx ON call_events (call_id) WHERE kind = 'transferred';
