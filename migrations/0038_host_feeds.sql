-- switchboard schema, version 38: each host's booking feed (an ICS address a calendar app
-- subscribes to).
--
-- The feed's token is its only credential, so it is kept as API keys are: `lookup` is its
-- public part (found by index), `secret_hash` the SHA-256 of the whole token, compared in
-- constant time. One token per host: making a new one replaces the row, revoking deletes it,
-- and deleting the host deletes it too.
CREATE TABLE host_feeds (
    host_id      TEXT   NOT NULL PRIMARY KEY REFERENCES hosts (id) ON DELETE CASCADE,
    account_id   TEXT   NOT NULL REFERENCES accounts (id),
    lookup       TEXT   NOT NULL,
    secret_hash  TEXT   NOT NULL,
    created_at   BIGINT NOT NULL
);
CREATE UNIQUE INDEX host_feeds_lookup_key ON host_feeds (lookup);
-- A booking's call, looked up for every booking the feed lists.
CREATE INDEX calls_booking_idx ON calls (account_id, booking_id) WHERE booking_id IS NOT NULL;
