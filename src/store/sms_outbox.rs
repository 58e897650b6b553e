//! Texts to send, as background jobs (`sms_outbox`).
//!
//! Written by hand rather than with a job-queue crate: `apalis`' SQL backends each need their
//! own schema and driver (sqlx's Postgres or SQLite types, not the Any driver this store runs
//! one portable schema on), and a job here is a single row with an idempotency key.
//!
//! A job is enqueued once per idempotency key (`INSERT … ON CONFLICT DO NOTHING`: a retry, a
//! redelivered webhook or a second instance enqueue nothing more). A worker claims a due job
//! with one conditional `UPDATE` that only one writer can win, on SQLite as on PostgreSQL (no
//! `FOR UPDATE SKIP LOCKED`, which SQLite lacks): the claim counts the attempt and holds a
//! lease, so a job whose worker died is claimed again when the lease runs out. When a job is
//! due and how long to wait are `messaging::retry`'s rules.

use jiff::Timestamp;
use sqlx::any::AnyRow;

use super::Store;
use super::error::StoreResult;
use super::ids::AccountId;
use super::row::{self, StoredWord};

/// Where a job stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SmsStatus {
    /// Waiting for its next attempt.
    Pending,
    /// Claimed by a worker until its lease ends.
    Sending,
    /// Twilio accepted it (`message_sid`).
    Sent,
    /// Given up: a refusal, or the last attempt failed.
    Failed,
    /// Not to be sent: the recipient opted out, or the account turned texts off.
    Skipped,
}

impl StoredWord for SmsStatus {
    fn as_stored(&self) -> &'static str {
        match self {
            SmsStatus::Pending => "pending",
            SmsStatus::Sending => "sending",
            SmsStatus::Sent => "sent",
            SmsStatus::Failed => "failed",
            SmsStatus::Skipped => "skipped",
        }
    }

    fn from_stored(word: &str) -> Option<Self> {
        [
            SmsStatus::Pending,
            SmsStatus::Sending,
            SmsStatus::Sent,
            SmsStatus::Failed,
            SmsStatus::Skipped,
        ]
        .into_iter()
        .find(|status| status.as_stored() == word)
    }
}

impl SmsStatus {
    pub fn as_str(self) -> &'static str {
        self.as_stored()
    }
}

/// A text to enqueue.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewSms {
    pub account_id: AccountId,
    /// Unique: a second enqueue with the same key is a no-op (e.g. `follow_up:<call id>`).
    pub idempotency_key: String,
    pub to_number: String,
    pub from_number: String,
    pub body: String,
}

/// A job.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SmsJob {
    pub id: String,
    pub account_id: AccountId,
    pub idempotency_key: String,
    pub to_number: String,
    pub from_number: String,
    pub body: String,
    pub status: SmsStatus,
    /// Attempts claimed so far.
    pub attempts: u32,
    pub next_attempt_at: Timestamp,
    pub claimed_until: Option<Timestamp>,
    /// The last attempt timed out: look for the message at Twilio before sending again.
    pub look_first: bool,
    pub message_sid: Option<String>,
    /// Twilio's latest `MessageStatus` and `ErrorCode` from the status callbacks.
    pub message_status: Option<String>,
    pub error_code: Option<String>,
    /// Why the last attempt failed, or why the job was skipped.
    pub last_error: Option<String>,
    pub created_at: Timestamp,
}

macro_rules! job_columns {
    () => {
        "id, account_id, idempotency_key, to_number, from_number, body, status, attempts, \
         next_attempt_at, claimed_until, look_first, message_sid, message_status, error_code, \
         last_error, created_at"
    };
}

/// A job a worker may claim at `$1`: pending and due, or claimed under a lease that ran out.
macro_rules! claimable {
    () => {
        "((status = 'pending' AND next_attempt_at <= $1) OR (status = 'sending' AND claimed_until <= $1))"
    };
}

fn from_row(row: &AnyRow) -> StoreResult<SmsJob> {
    Ok(SmsJob {
        id: row::text(row, "id")?,
        account_id: AccountId::from(row::text(row, "account_id")?),
        idempotency_key: row::text(row, "idempotency_key")?,
        to_number: row::text(row, "to_number")?,
        from_number: row::text(row, "from_number")?,
        body: row::text(row, "body")?,
        status: row::word(row, "status")?,
        attempts: row::count(row, "attempts")?,
        next_attempt_at: row::instant(row, "next_attempt_at")?,
        claimed_until: row::opt_instant(row, "claimed_until")?,
        look_first: row::flag(row, "look_first")?,
        message_sid: row::opt_text(row, "message_sid")?,
        message_status: row::opt_text(row, "message_status")?,
        error_code: row::opt_text(row, "error_code")?,
        last_error: row::opt_text(row, "last_error")?,
        created_at: row::instant(row, "created_at")?,
    })
}

impl Store {
    /// Enqueues `new`, due at `now`, unless a job with its idempotency key exists. The job
    /// under that key, and whether this call wrote it.
    pub async fn enqueue_sms(&self, new: NewSms, now: Timestamp) -> StoreResult<(SmsJob, bool)> {
        let now_ms = row::millis(row::stored_precision(now));
        let done = sqlx::query(
            "INSERT INTO sms_outbox (id, account_id, idempotency_key, to_number, from_number, body, \
             status, attempts, next_attempt_at, look_first, created_at, updated_at) \
             VALUES ($1, $2, $3, $4, $5, $6, 'pending', 0, $7, 0, $7, $7) \
             ON CONFLICT (idempotency_key) DO NOTHING",
        )
        .bind(uuid::Uuid::now_v7().to_string())
        .bind(new.account_id.as_str())
        .bind(&new.idempotency_key)
        .bind(&new.to_number)
        .bind(&new.from_number)
        .bind(&new.body)
        .bind(now_ms)
        .execute(&self.pool)
        .await?;
        let job = self.sms_job_by_key(&new.idempotency_key).await?;
        Ok((job, done.rows_affected() == 1))
    }

    /// The job under `key`.
    pub async fn sms_job_by_key(&self, key: &str) -> StoreResult<SmsJob> {
        let row = sqlx::query(concat!(
            "SELECT ",
            job_columns!(),
            " FROM sms_outbox WHERE idempotency_key = $1"
        ))
        .bind(key)
        .fetch_optional(&self.pool)
        .await?;
        row::required(row, "sms job", from_row)
    }

    /// The job `id`.
    pub async fn sms_job(&self, id: &str) -> StoreResult<SmsJob> {
        let row = sqlx::query(concat!(
            "SELECT ",
            job_columns!(),
            " FROM sms_outbox WHERE id = $1"
        ))
        .bind(id)
        .fetch_optional(&self.pool)
        .await?;
        row::required(row, "sms job", from_row)
    }

    /// The account's jobs, newest first.
    pub async fn sms_jobs(&self, account_id: &AccountId) -> StoreResult<Vec<SmsJob>> {
        let rows = sqlx::query(concat!(
            "SELECT ",
            job_columns!(),
            " FROM sms_outbox WHERE account_id = $1 ORDER BY created_at DESC, id DESC"
        ))
        .bind(account_id.as_str())
        .fetch_all(&self.pool)
        .await?;
        row::all(rows, from_row)
    }

    /// Claims up to `limit` jobs due at `now` for this worker until `lease_until`: each one is
    /// marked `sending` and its attempt counted by an `UPDATE` only one claimant wins, so a job
    /// is claimed by one worker of any instance. The claimed jobs, as claimed.
    pub async fn claim_due_sms(
        &self,
        now: Timestamp,
        lease_until: Timestamp,
        limit: u32,
    ) -> StoreResult<Vec<SmsJob>> {
        let now_ms = row::millis(now);
        let candidates = sqlx::query(concat!(
            "SELECT id FROM sms_outbox WHERE ",
            claimable!(),
            " ORDER BY next_attempt_at, id LIMIT $2"
        ))
        .bind(now_ms)
        .bind(i64::from(limit))
        .fetch_all(&self.pool)
        .await?;
        let mut claimed = Vec::new();
        for candidate in candidates {
            let id = row::text(&candidate, "id")?;
            let won = sqlx::query(concat!(
                "UPDATE sms_outbox SET status = 'sending', attempts = attempts + 1, \
                 claimed_until = $3, updated_at = $1 WHERE id = $2 AND ",
                claimable!()
            ))
            .bind(now_ms)
            .bind(&id)
            .bind(row::millis(lease_until))
            .execute(&self.pool)
            .await?;
            if won.rows_affected() == 1 {
                claimed.push(self.sms_job(&id).await?);
            }
        }
        Ok(claimed)
    }

    /// The job whose message Twilio named `message_sid`.
    pub async fn sms_job_by_message_sid(&self, message_sid: &str) -> StoreResult<Option<SmsJob>> {
        let row = sqlx::query(concat!(
            "SELECT ",
            job_columns!(),
            " FROM sms_outbox WHERE message_sid = $1"
        ))
        .bind(message_sid)
        .fetch_optional(&self.pool)
        .await?;
        row::optional(row, from_row)
    }

    /// Replaces the job's `MessageStatus` (and `ErrorCode`) if it is still `seen`, so two
    /// callbacks racing cannot both win; whether it was replaced.
    pub async fn set_sms_message_status(
        &self,
        id: &str,
        seen: Option<&str>,
        status: &str,
        error_code: Option<&str>,
    ) -> StoreResult<bool> {
        let done = sqlx::query(
            "UPDATE sms_outbox SET message_status = $3, error_code = COALESCE($4, error_code) \
             WHERE id = $1 AND COALESCE(message_status, '') = $2",
        )
        .bind(id)
        .bind(seen.unwrap_or(""))
        .bind(status)
        .bind(error_code)
        .execute(&self.pool)
        .await?;
        Ok(done.rows_affected() == 1)
    }

    /// Twilio accepted the claimed job's message as `message_sid` (with its first status).
    pub async fn mark_sms_sent(
        &self,
        id: &str,
        message_sid: &str,
        message_status: &str,
        now: Timestamp,
    ) -> StoreResult<()> {
        sqlx::query(
            "UPDATE sms_outbox SET status = 'sent', message_sid = $2, \
             message_status = COALESCE(message_status, $3), claimed_until = NULL, look_first = 0, \
             updated_at = $4 WHERE id = $1",
        )
        .bind(id)
        .bind(message_sid)
        .bind(message_status)
        .bind(row::millis(now))
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    /// The claimed job's attempt failed (`why`): pending again from `next_attempt_at`, looking
    /// for the message at Twilio first when `look_first`.
    pub async fn retry_sms_at(
        &self,
        id: &str,
        next_attempt_at: Timestamp,
        look_first: bool,
        why: &str,
        now: Timestamp,
    ) -> StoreResult<()> {
        sqlx::query(
            "UPDATE sms_outbox SET status = 'pending', next_attempt_at = $2, look_first = $3, \
             last_error = $4, claimed_until = NULL, updated_at = $5 WHERE id = $1 AND status = 'sending'",
        )
        .bind(id)
        .bind(row::millis(row::stored_precision(next_attempt_at)))
        .bind(i64::from(look_first))
        .bind(why)
        .bind(row::millis(now))
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    /// The job ends unsent: `Failed` (given up) or `Skipped` (not to be sent), with the reason
    /// and Twilio's error code if it gave one.
    pub async fn finish_sms_unsent(
        &self,
        id: &str,
        status: SmsStatus,
        why: &str,
        error_code: Option<&str>,
        now: Timestamp,
    ) -> StoreResult<()> {
        debug_assert!(matches!(status, SmsStatus::Failed | SmsStatus::Skipped));
        sqlx::query(
            "UPDATE sms_outbox SET status = $2, last_error = $3, error_code = COALESCE($4, error_code), \
             claimed_until = NULL, updated_at = $5 WHERE id = $1",
        )
        .bind(id)
        .bind(status.as_stored())
        .bind(why)
        .bind(error_code)
        .bind(row::millis(now))
        .execute(&self.pool)
        .await?;
        Ok(())
    }
}
