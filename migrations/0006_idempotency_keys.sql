-- switchboard schema, version 6: the REST API's idempotency keys.
--
-- A POST with an `Idempotency-Key` header is carried out once per account and key: the first
-- request inserts its row (status NULL while it runs), and its response is kept; a repeat with
-- the same request gets the kept response, one with a different request is refused.
-- `fingerprint` is the SHA-256 of the method, path and body. Rows older than a day are removed.

CREATE TABLE idempotency_keys (
    account_id     TEXT   NOT NULL,
    idempotency_key TEXT  NOT NULL,
    fingerprint    TEXT   NOT NULL,
    status         BIGINT,
    response_body  TEXT,
    created_at     BIGINT NOT NULL,
    PRIMARY KEY (account_id, idempotency_key)
);
CREATE INDEX idempotency_keys_created_idx ON idempotency_keys (created_at);
