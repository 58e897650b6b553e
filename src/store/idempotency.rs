//! The REST API's idempotency keys: a POST carried out once per account and key, its response
//! kept for the repeats.

use jiff::Timestamp;

use super::Store;
use super::error::StoreResult;
use super::ids::AccountId;
use super::row;

/// What a POST with an idempotency key should do.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum IdempotentStart {
    /// The key is new: carry the request out, then `finish_idempotent` (or `forget_idempotent`).
    New,
    /// The same request was carried out: answer what it answered.
    Replay { status: u16, body: String },
    /// The same key is being carried out by another request right now.
    InProgress,
    /// The key was used for a different request.
    Mismatch,
}

impl Store {
    pub async fn begin_idempotent(
        &self,
        account_id: &AccountId,
        key: &str,
        fingerprint: &str,
        now: Timestamp,
    ) -> StoreResult<IdempotentStart> {
        let inserted = sqlx::query(
            "INSERT INTO idempotency_keys (account_id, idempotency_key, fingerprint, created_at) \
             VALUES ($1, $2, $3, $4) ON CONFLICT (account_id, idempotency_key) DO NOTHING",
        )
        .bind(account_id.as_str())
        .bind(key)
        .bind(fingerprint)
        .bind(row::millis(now))
        .execute(&self.pool)
        .await?
        .rows_affected();
        if inserted == 1 {
            return Ok(IdempotentStart::New);
        }
        let row = sqlx::query(
            "SELECT fingerprint, status, response_body FROM idempotency_keys \
             WHERE account_id = $1 AND idempotency_key = $2",
        )
        .bind(account_id.as_str())
        .bind(key)
        .fetch_optional(&self.pool)
        .await?;
        let Some(row) = row else {
            // Forgotten between the insert and the read: the earlier request failed on our side.
            return Ok(IdempotentStart::InProgress);
        };
        if row::text(&row, "fingerprint")? != fingerprint {
            return Ok(IdempotentStart::Mismatch);
        }
        Ok(match row::opt_count::<u16>(&row, "status")? {
            Some(status) => IdempotentStart::Replay {
                status,
                body: row::opt_text(&row, "response_body")?.unwrap_or_default(),
            },
            None => IdempotentStart::InProgress,
        })
    }

    pub async fn finish_idempotent(
        &self,
        account_id: &AccountId,
        key: &str,
        status: u16,
        body: &str,
    ) -> StoreResult<()> {
        sqlx::query(
            "UPDATE idempotency_keys SET status = $3, response_body = $4 \
             WHERE account_id = $1 AND idempotency_key = $2",
        )
        .bind(account_id.as_str())
        .bind(key)
        .bind(i64::from(status))
        .bind(body)
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    /// Drops a key whose request failed on our side, so that a retry is carried out.
    pub async fn forget_idempotent(&self, account_id: &AccountId, key: &str) -> StoreResult<()> {
        sqlx::query("DELETE FROM idempotency_keys WHERE account_id = $1 AND idempotency_key = $2")
            .bind(account_id.as_str())
            .bind(key)
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    /// Removes the keys made before `before`; returns how many.
    pub async fn purge_idempotency_keys(&self, before: Timestamp) -> StoreResult<u64> {
        Ok(sqlx::query("DELETE FROM idempotency_keys WHERE created_at < $1")
            .bind(row::millis(before))
            .execute(&self.pool)
            .await?
            .rows_affected())
    }
}
