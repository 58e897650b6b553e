-- switchboard schema, version 36: an account's outgoing webhook endpoints.
--
-- events: the event types subscribed, comma-separated in a fixed order (booking.created, …).
-- secret: the signing secret (whsec_…), shown to the client once at creation; kept as given,
-- because every delivery is signed with it.
CREATE TABLE webhook_endpoints (
    id           TEXT   NOT NULL PRIMARY KEY,
    account_id   TEXT   NOT NULL REFERENCES accounts (id),
    url          TEXT   NOT NULL,
    description  TEXT   NOT NULL DEFAULT '',
    events       TEXT   NOT NULL,
    enabled      BIGINT NOT NULL DEFAULT 1,
    secret       TEXT   NOT NULL,
    created_at   BIGINT NOT NULL,
    updated_at   BIGINT NOT NULL,
    CONSTRAINT webhook_endpoints_enabled_check CHECK (enabled IN (0, 1))
);

CREATE INDEX webhook_endpoints_account_idx ON webhook_endpoints (account_id, id);
