//! The emails an account saved (`email_templates`), one subject and body per kind.
//!
//! The kinds and the check of a template are `email::templates`'; the store keeps what was
//! checked. A kind without a row uses the built-in template.

use jiff::Timestamp;
use sqlx::any::AnyRow;

use super::Store;
use super::error::StoreResult;
use super::ids::AccountId;
use super::row;

/// A template the account saved.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredEmailTemplate {
    pub kind: String,
    pub subject: String,
    pub body: String,
    pub updated_at: Timestamp,
}

fn from_row(row: &AnyRow) -> StoreResult<StoredEmailTemplate> {
    Ok(StoredEmailTemplate {
        kind: row::text(row, "kind")?,
        subject: row::text(row, "subject")?,
        body: row::text(row, "body")?,
        updated_at: row::instant(row, "updated_at")?,
    })
}

impl Store {
    /// The email templates the account saved, by kind.
    pub async fn email_templates(&self, account_id: &AccountId) -> StoreResult<Vec<StoredEmailTemplate>> {
        let rows = sqlx::query(
            "SELECT kind, subject, body, updated_at FROM email_templates WHERE account_id = $1 ORDER BY kind",
        )
        .bind(account_id.as_str())
        .fetch_all(&self.pool)
        .await?;
        row::all(rows, from_row)
    }

    /// Saves the account's template of `kind` (replacing the one before).
    pub async fn put_email_template(
        &self,
        account_id: &AccountId,
        kind: &str,
        subject: &str,
        body: &str,
        now: Timestamp,
    ) -> StoreResult<StoredEmailTemplate> {
        let updated_at = row::stored_precision(now);
        sqlx::query(
            "INSERT INTO email_templates (account_id, kind, subject, body, updated_at) VALUES ($1, $2, $3, $4, $5) \
             ON CONFLICT (account_id, kind) DO UPDATE SET subject = excluded.subject, body = excluded.body, \
             updated_at = excluded.updated_at",
        )
        .bind(account_id.as_str())
        .bind(kind)
        .bind(subject)
        .bind(body)
        .bind(row::millis(updated_at))
        .execute(&self.pool)
        .await?;
        Ok(StoredEmailTemplate {
            kind: kind.to_owned(),
            subject: subject.to_owned(),
            body: body.to_owned(),
            updated_at,
        })
    }

    /// Removes the account's template of `kind` (the built-in one applies again); whether
    /// there was one.
    pub async fn delete_email_template(&self, account_id: &AccountId, kind: &str) -> StoreResult<bool> {
        let done = sqlx::query("DELETE FROM email_templates WHERE account_id = $1 AND kind = $2")
            .bind(account_id.as_str())
            .bind(kind)
            .execute(&self.pool)
            .await?;
        Ok(done.rows_affected() > 0)
    }
}
