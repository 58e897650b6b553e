-- switchboard schema, version 5: API keys.
--
-- A key is shown once, when it is made; only its SHA-256 is kept. `lookup` is the key's public
-- part (the characters after its `sbk_` prefix up to the first 12), unique, so a request finds
-- its row by index and then compares the hash in constant time. A key with no account is an
-- operator's: it manages accounts and plans, and reads no account's rows.
-- last_used_at is written at most once a minute per key; revoked_at ends a key for good.

CREATE TABLE api_keys (
    id            TEXT   NOT NULL PRIMARY KEY,
    account_id    TEXT   REFERENCES accounts (id),
    name          TEXT   NOT NULL,
    lookup        TEXT   NOT NULL,
    secret_hash   TEXT   NOT NULL,
    created_at    BIGINT NOT NULL,
    last_used_at  BIGINT,
    revoked_at    BIGINT
);
CREATE UNIQUE INDEX api_keys_lookup_key ON api_keys (lookup);
CREATE INDEX api_keys_account_idx ON api_keys (account_id);
