//! The ElevenLabs workspace webhook post-call reports come to, per delivery URL: its id and
//! the HMAC secret ElevenLabs showed once at its creation. Kept when provisioning creates it,
//! replaced when it is created again, forgotten when its creation is undone. The secret is
//! stored as given (no stored value is encrypted by switchboard).

use crate::config::Secret;

use super::Store;
use super::error::StoreResult;
use super::row;

/// A kept workspace webhook. `Debug` never shows the secret.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KeptWebhook {
    pub webhook_id: String,
    pub webhook_secret: Secret,
}

impl Store {
    /// The webhook kept for `webhook_url`, if any.
    pub async fn elevenlabs_webhook(&self, webhook_url: &str) -> StoreResult<Option<KeptWebhook>> {
        let row =
            sqlx::query("SELECT webhook_id, webhook_secret FROM elevenlabs_webhooks WHERE webhook_url = $1")
                .bind(webhook_url)
                .fetch_optional(&self.pool)
                .await?;
        row.map(|row| {
            Ok(KeptWebhook {
                webhook_id: row::text(&row, "webhook_id")?,
                webhook_secret: Secret::new(row::text(&row, "webhook_secret")?),
            })
        })
        .transpose()
    }

    /// Keeps `webhook` for `webhook_url`, replacing the one kept before.
    pub async fn set_elevenlabs_webhook(&self, webhook_url: &str, webhook: &KeptWebhook) -> StoreResult<()> {
        sqlx::query(
            "INSERT INTO elevenlabs_webhooks (webhook_url, webhook_id, webhook_secret, created_at) \
             VALUES ($1, $2, $3, $4) ON CONFLICT (webhook_url) DO UPDATE \
             SET webhook_id = $2, webhook_secret = $3, created_at = $4",
        )
        .bind(webhook_url)
        .bind(&webhook.webhook_id)
        .bind(webhook.webhook_secret.expose())
        .bind(row::millis(row::now()))
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    /// Keeps `new` for `webhook_url` unless another webhook got there first: over nothing, or
    /// over `replacing` (the kept one ElevenLabs lost). Returns the webhook kept afterwards,
    /// `new` or the one another run kept meanwhile.
    pub async fn keep_elevenlabs_webhook(
        &self,
        webhook_url: &str,
        new: &KeptWebhook,
        replacing: Option<&str>,
    ) -> StoreResult<KeptWebhook> {
        let created_at = row::millis(row::now());
        if let Some(replacing) = replacing {
            sqlx::query(
                "UPDATE elevenlabs_webhooks SET webhook_id = $2, webhook_secret = $3, created_at = $4 \
                 WHERE webhook_url = $1 AND webhook_id = $5",
            )
            .bind(webhook_url)
            .bind(&new.webhook_id)
            .bind(new.webhook_secret.expose())
            .bind(created_at)
            .bind(replacing)
            .execute(&self.pool)
            .await?;
        }
        sqlx::query(
            "INSERT INTO elevenlabs_webhooks (webhook_url, webhook_id, webhook_secret, created_at) \
             VALUES ($1, $2, $3, $4) ON CONFLICT (webhook_url) DO NOTHING",
        )
        .bind(webhook_url)
        .bind(&new.webhook_id)
        .bind(new.webhook_secret.expose())
        .bind(created_at)
        .execute(&self.pool)
        .await?;
        self.elevenlabs_webhook(webhook_url)
            .await?
            .ok_or(super::StoreError::NotFound {
                what: "workspace webhook",
            })
    }

    /// Forgets the webhook kept for `webhook_url` if it is still `webhook_id`; whether it was.
    pub async fn forget_elevenlabs_webhook(&self, webhook_url: &str, webhook_id: &str) -> StoreResult<bool> {
        let done = sqlx::query("DELETE FROM elevenlabs_webhooks WHERE webhook_url = $1 AND webhook_id = $2")
            .bind(webhook_url)
            .bind(webhook_id)
            .execute(&self.pool)
            .await?;
        Ok(done.rows_affected() == 1)
    }
}
