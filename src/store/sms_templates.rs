//! The follow-up texts an account saved (`sms_templates`), one per kind, and the account's
//! switch for sending them (`accounts.sms_follow_ups`).
//!
//! The kinds and the check of a body are `messaging::templates`'; the store keeps what was
//! checked. A kind without a row uses the built-in text.

use jiff::Timestamp;
use sqlx::any::AnyRow;

use super::Store;
use super::error::StoreResult;
use super::ids::AccountId;
use super::row;

/// A template the account saved.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SmsTemplate {
    pub kind: String,
    pub body: String,
    pub updated_at: Timestamp,
}

fn from_row(row: &AnyRow) -> StoreResult<SmsTemplate> {
    Ok(SmsTemplate {
        kind: row::text(row, "kind")?,
        body: row::text(row, "body")?,
        updated_at: row::instant(row, "updated_at")?,
    })
}

impl Store {
    /// The templates the account saved, by kind.
    pub async fn sms_templates(&self, account_id: &AccountId) -> StoreResult<Vec<SmsTemplate>> {
        let rows = sqlx::query(
            "SELECT kind, body, updated_at FROM sms_templates WHERE account_id = $1 ORDER BY kind",
        )
        .bind(account_id.as_str())
        .fetch_all(&self.pool)
        .await?;
        row::all(rows, from_row)
    }

    /// Saves the account's template of `kind` (replacing the one before).
    pub async fn put_sms_template(
        &self,
        account_id: &AccountId,
        kind: &str,
        body: &str,
        now: Timestamp,
    ) -> StoreResult<SmsTemplate> {
        let updated_at = row::stored_precision(now);
        sqlx::query(
            "INSERT INTO sms_templates (account_id, kind, body, updated_at) VALUES ($1, $2, $3, $4) \
             ON CONFLICT (account_id, kind) DO UPDATE SET body = excluded.body, updated_at = excluded.updated_at",
        )
        .bind(account_id.as_str())
        .bind(kind)
        .bind(body)
        .bind(row::millis(updated_at))
        .execute(&self.pool)
        .await?;
        Ok(SmsTemplate {
            kind: kind.to_owned(),
            body: body.to_owned(),
            updated_at,
        })
    }

    /// Removes the account's template of `kind` (the built-in text applies again); whether
    /// there was one.
    pub async fn delete_sms_template(&self, account_id: &AccountId, kind: &str) -> StoreResult<bool> {
        let done = sqlx::query("DELETE FROM sms_templates WHERE account_id = $1 AND kind = $2")
            .bind(account_id.as_str())
            .bind(kind)
            .execute(&self.pool)
            .await?;
        Ok(done.rows_affected() > 0)
    }

    /// Whether the account texts its callers after their calls.
    pub async fn sms_follow_ups(&self, account_id: &AccountId) -> StoreResult<bool> {
        let row = sqlx::query("SELECT sms_follow_ups FROM accounts WHERE id = $1")
            .bind(account_id.as_str())
            .fetch_optional(&self.pool)
            .await?;
        row::required(row, "account", |row| row::flag(row, "sms_follow_ups"))
    }

    /// Turns the account's follow-up texts on or off.
    pub async fn set_sms_follow_ups(&self, account_id: &AccountId, on: bool) -> StoreResult<()> {
        let done = sqlx::query("UPDATE accounts SET sms_follow_ups = $2 WHERE id = $1")
            .bind(account_id.as_str())
            .bind(i64::from(on))
            .execute(&self.pool)
            .await?;
        if done.rows_affected() == 0 {
            return Err(super::error::StoreError::NotFound { what: "account" });
        }
        Ok(())
    }
}
