-- switchboard schema, version 12: the one-time media stream tokens redeemed by any instance.
--
-- A stream token is an HMAC every instance of a deployment can check, so without a shared
-- record a token redeemed on one instance could be replayed on another. Each redemption
-- inserts its token's nonce once (the primary key refuses a second); a row is kept until well
-- after its token expired (an expired token is refused by its own expiry), then purged.
-- `expires_at` and `redeemed_at` are epoch ms.
CREATE TABLE stream_token_redemptions (
    nonce        TEXT   NOT NULL PRIMARY KEY,
    expires_at   BIGINT NOT NULL,
    redeemed_at  BIGINT NOT NULL
);
CREATE INDEX stream_token_redemptions_expires_idx ON stream_token_redemptions (expires_at);
