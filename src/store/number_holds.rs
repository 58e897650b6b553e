//! Numbers held after their agent gave them up (`number_holds`): the number, its account, its
//! Twilio SID, whether switchboard bought it, where a brought number's calls went before, when
//! the hold began and when it is to be released.
//!
//! A hold is live until it is released at Twilio (`released_at`) or ended because its account
//! took the number back (`ended_at`); at most one live hold per number (a partial unique
//! index). The rule for when a hold is due is the caller's (`provision::number_holds`); the
//! store reads the live holds whose `release_at` has come.

use jiff::{SignedDuration, Timestamp};
use sqlx::AnyConnection;
use sqlx::any::AnyRow;

use super::Store;
use super::error::{Constraint, StoreError, StoreResult};
use super::ids::AccountId;
use super::row;
use super::twilio_numbers::{AgentNumber, NumberHooks};

/// A held number.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NumberHold {
    /// UUID v7.
    pub id: String,
    pub phone_number: String,
    pub account_id: AccountId,
    pub twilio_sid: String,
    /// Bought by switchboard: released at the end. Brought by the business: put back.
    pub bought: bool,
    /// Where a brought number's calls went before switchboard took them.
    pub previous: NumberHooks,
    pub held_from: Timestamp,
    pub release_at: Timestamp,
    pub released_at: Option<Timestamp>,
    pub ended_at: Option<Timestamp>,
    /// Failed releases so far, and the last one's reason.
    pub attempts: u32,
    pub last_error: Option<String>,
}

macro_rules! hold_columns {
    () => {
        "id, phone_number, account_id, twilio_sid, bought, previous_voice_url, previous_voice_method, \
     previous_status_callback, previous_status_callback_method, held_from, release_at, released_at, ended_at, \
     attempts, last_error, previous_sms_url, previous_sms_method"
    };
}

/// The live holds: neither released nor ended.
macro_rules! live {
    () => {
        "released_at IS NULL AND ended_at IS NULL"
    };
}

fn from_row(row: &AnyRow) -> StoreResult<NumberHold> {
    Ok(NumberHold {
        id: row::text(row, "id")?,
        phone_number: row::text(row, "phone_number")?,
        account_id: AccountId::from(row::text(row, "account_id")?),
        twilio_sid: row::text(row, "twilio_sid")?,
        bought: row::flag(row, "bought")?,
        previous: NumberHooks::from_row(row)?,
        held_from: row::instant(row, "held_from")?,
        release_at: row::instant(row, "release_at")?,
        released_at: row::opt_instant(row, "released_at")?,
        ended_at: row::opt_instant(row, "ended_at")?,
        attempts: row::count(row, "attempts")?,
        last_error: row::opt_text(row, "last_error")?,
    })
}

/// Holds `number` from `now` for `hold_for`, inside the caller's transaction.
pub(super) async fn insert(
    conn: &mut AnyConnection,
    number: &AgentNumber,
    now: Timestamp,
    hold_for: SignedDuration,
) -> StoreResult<NumberHold> {
    let release_at = now
        .checked_add(hold_for)
        .map_err(|e| StoreError::invalid("hold", e.to_string()))?;
    let hold = NumberHold {
        id: uuid::Uuid::now_v7().to_string(),
        phone_number: number.phone_number.clone(),
        account_id: number.account_id.clone(),
        twilio_sid: number.twilio_sid.clone(),
        bought: number.bought,
        previous: number.previous.clone(),
        held_from: now,
        release_at: row::stored_precision(release_at),
        released_at: None,
        ended_at: None,
        attempts: 0,
        last_error: None,
    };
    sqlx::query(concat!(
        "INSERT INTO number_holds (",
        hold_columns!(),
        ") VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, NULL, NULL, 0, NULL, $12, $13)"
    ))
    .bind(&hold.id)
    .bind(&hold.phone_number)
    .bind(hold.account_id.as_str())
    .bind(&hold.twilio_sid)
    .bind(i64::from(hold.bought))
    .bind(&hold.previous.voice_url)
    .bind(&hold.previous.voice_method)
    .bind(&hold.previous.status_callback)
    .bind(&hold.previous.status_callback_method)
    .bind(row::millis(hold.held_from))
    .bind(row::millis(hold.release_at))
    .bind(&hold.previous.sms_url)
    .bind(&hold.previous.sms_method)
    .execute(conn)
    .await?;
    Ok(hold)
}

/// Inside a write that gives `phone_number` to an agent of `account_id` at `now`: ends the
/// account's live hold of it, if any (before its release is due). `Conflict(NumberHeld)` when
/// the number is held for another account, or its release is due.
pub(super) async fn end_live_hold(
    conn: &mut AnyConnection,
    account_id: &AccountId,
    phone_number: &str,
    now: Timestamp,
) -> StoreResult<()> {
    let row = sqlx::query(concat!(
        "SELECT ",
        hold_columns!(),
        " FROM number_holds WHERE phone_number = $1 AND ",
        live!()
    ))
    .bind(phone_number)
    .fetch_optional(&mut *conn)
    .await?;
    let Some(hold) = row::optional(row, from_row)? else {
        return Ok(());
    };
    if hold.account_id != *account_id || hold.release_at <= now {
        return Err(StoreError::Conflict {
            constraint: Constraint::NumberHeld,
        });
    }
    sqlx::query(concat!(
        "UPDATE number_holds SET ended_at = $2 WHERE id = $1 AND ",
        live!()
    ))
    .bind(&hold.id)
    .bind(row::millis(now))
    .execute(conn)
    .await?;
    Ok(())
}

impl Store {
    /// The live hold of `phone_number`, whichever the account (the call path asks: a held
    /// number is no longer in service).
    pub async fn live_hold(&self, phone_number: &str) -> StoreResult<Option<NumberHold>> {
        let row = sqlx::query(concat!(
            "SELECT ",
            hold_columns!(),
            " FROM number_holds WHERE phone_number = $1 AND ",
            live!()
        ))
        .bind(phone_number)
        .fetch_optional(&self.pool)
        .await?;
        row::optional(row, from_row)
    }

    /// The hold `id`, live or not.
    pub async fn number_hold(&self, id: &str) -> StoreResult<NumberHold> {
        let row = sqlx::query(concat!(
            "SELECT ",
            hold_columns!(),
            " FROM number_holds WHERE id = $1"
        ))
        .bind(id)
        .fetch_optional(&self.pool)
        .await?;
        row::required(row, "number hold", from_row)
    }

    /// The account's holds, newest first (live and past).
    pub async fn number_holds(&self, account_id: &AccountId) -> StoreResult<Vec<NumberHold>> {
        let rows = sqlx::query(concat!(
            "SELECT ",
            hold_columns!(),
            " FROM number_holds WHERE account_id = $1 ORDER BY held_from DESC, id DESC"
        ))
        .bind(account_id.as_str())
        .fetch_all(&self.pool)
        .await?;
        row::all(rows, from_row)
    }

    /// Up to `limit` live holds whose `release_at` is at or before `now`, the oldest first.
    pub async fn holds_due(&self, now: Timestamp, limit: u32) -> StoreResult<Vec<NumberHold>> {
        let rows = sqlx::query(concat!(
            "SELECT ",
            hold_columns!(),
            " FROM number_holds WHERE ",
            live!(),
            " AND release_at <= $1 ORDER BY release_at, id LIMIT $2"
        ))
        .bind(row::millis(now))
        .bind(i64::from(limit))
        .fetch_all(&self.pool)
        .await?;
        row::all(rows, from_row)
    }

    /// The hold's number was released (or put back) at Twilio at `now`: the hold is over.
    /// False when it was no longer live.
    pub async fn mark_hold_released(&self, id: &str, now: Timestamp) -> StoreResult<bool> {
        let done = sqlx::query(concat!(
            "UPDATE number_holds SET released_at = $2 WHERE id = $1 AND ",
            live!()
        ))
        .bind(id)
        .bind(row::millis(row::stored_precision(now)))
        .execute(&self.pool)
        .await?;
        Ok(done.rows_affected() == 1)
    }

    /// A release of the hold's number failed (`why`): counted; the hold stays live, so the
    /// next round tries again.
    pub async fn note_hold_failure(&self, id: &str, why: &str) -> StoreResult<()> {
        sqlx::query(concat!(
            "UPDATE number_holds SET attempts = attempts + 1, last_error = $2 WHERE id = $1 AND ",
            live!()
        ))
        .bind(id)
        .bind(why)
        .execute(&self.pool)
        .await?;
        Ok(())
    }
}
