-- switchboard schema, version 27: the ElevenLabs workspace webhook post-call reports come to.
--
-- Provisioning creates one HMAC webhook per delivery URL ({public_url}/webhooks/elevenlabs)
-- and keeps its id, which every agent names in
-- platform_settings.workspace_overrides.webhooks.post_call_webhook_id, and its secret, which
-- ElevenLabs shows only at creation and which the webhook receiver verifies deliveries with.
-- The secret is stored as the vendor gave it (switchboard encrypts no stored value; protect
-- the database as the other credentials it sits beside). A webhook ElevenLabs lost is
-- created again and its row replaced. `created_at` is epoch ms.
CREATE TABLE elevenlabs_webhooks (
    webhook_url     TEXT   NOT NULL PRIMARY KEY,
    webhook_id      TEXT   NOT NULL,
    webhook_secret  TEXT   NOT NULL,
    created_at      BIGINT NOT NULL
);
