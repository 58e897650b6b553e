//! Who may not be texted or called by an account (`sms_opt_outs`): the numbers that texted STOP
//! to one of the account's numbers, or that Twilio refused with 21610, until they text START.
//!
//! The latest change wins: a change older than the stored one (a webhook redelivered late) is
//! ignored.

use jiff::Timestamp;

use super::Store;
use super::error::StoreResult;
use super::ids::AccountId;
use super::row::{self, StoredWord};

/// Why a number's state changed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OptOutSource {
    /// The number texted a keyword (STOP, START, …).
    Keyword,
    /// A send to it was refused with Twilio's 21610 (it opted out at Twilio).
    Twilio21610,
}

impl StoredWord for OptOutSource {
    fn as_stored(&self) -> &'static str {
        match self {
            OptOutSource::Keyword => "keyword",
            OptOutSource::Twilio21610 => "twilio_21610",
        }
    }

    fn from_stored(word: &str) -> Option<Self> {
        match word {
            "keyword" => Some(OptOutSource::Keyword),
            "twilio_21610" => Some(OptOutSource::Twilio21610),
            _ => None,
        }
    }
}

impl Store {
    /// Writes that `phone_number` opted out of (or back into) the account's texts and calls at
    /// `at`, unless a later change is already stored.
    pub async fn set_opt_out(
        &self,
        account_id: &AccountId,
        phone_number: &str,
        opted_out: bool,
        source: OptOutSource,
        at: Timestamp,
    ) -> StoreResult<()> {
        sqlx::query(
            "INSERT INTO sms_opt_outs (account_id, phone_number, opted_out, source, changed_at) \
             VALUES ($1, $2, $3, $4, $5) \
             ON CONFLICT (account_id, phone_number) DO UPDATE SET opted_out = excluded.opted_out, \
             source = excluded.source, changed_at = excluded.changed_at \
             WHERE sms_opt_outs.changed_at <= excluded.changed_at",
        )
        .bind(account_id.as_str())
        .bind(phone_number)
        .bind(i64::from(opted_out))
        .bind(source.as_stored())
        .bind(row::millis(row::stored_precision(at)))
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    /// Whether `phone_number` has opted out of the account's texts and calls.
    pub async fn is_opted_out(&self, account_id: &AccountId, phone_number: &str) -> StoreResult<bool> {
        let row =
            sqlx::query("SELECT opted_out FROM sms_opt_outs WHERE account_id = $1 AND phone_number = $2")
                .bind(account_id.as_str())
                .bind(phone_number)
                .fetch_optional(&self.pool)
                .await?;
        Ok(row::optional(row, |row| row::flag(row, "opted_out"))?.unwrap_or(false))
    }
}
