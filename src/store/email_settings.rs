//! An account's email settings (`email_settings`): the address its call summaries go to.

use jiff::Timestamp;

use super::Store;
use super::error::StoreResult;
use super::ids::AccountId;
use super::row;

impl Store {
    /// The address that gets the account's call summaries, if it set one.
    pub async fn summary_address(&self, account_id: &AccountId) -> StoreResult<Option<String>> {
        let row = sqlx::query("SELECT summary_to FROM email_settings WHERE account_id = $1")
            .bind(account_id.as_str())
            .fetch_optional(&self.pool)
            .await?;
        match row {
            Some(row) => row::opt_text(&row, "summary_to"),
            None => Ok(None),
        }
    }

    /// Sets (or, with `None`, clears) the address of the account's call summaries.
    pub async fn set_summary_address(
        &self,
        account_id: &AccountId,
        address: Option<&str>,
        now: Timestamp,
    ) -> StoreResult<()> {
        sqlx::query(
            "INSERT INTO email_settings (account_id, summary_to, updated_at) VALUES ($1, $2, $3) \
             ON CONFLICT (account_id) DO UPDATE SET summary_to = excluded.summary_to, \
             updated_at = excluded.updated_at",
        )
        .bind(account_id.as_str())
        .bind(address)
        .bind(row::millis(now))
        .execute(&self.pool)
        .await?;
        Ok(())
    }
}
