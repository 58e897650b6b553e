//! Emails to send, as background jobs (`email_outbox`), the way `sms_outbox` keeps texts.
//!
//! A job is enqueued once per idempotency key (`INSERT … ON CONFLICT DO NOTHING`: an event
//! reported twice, a retried request or a second instance enqueue nothing more) with its message
//! rendered. A worker claims a due job with one conditional `UPDATE` that only one writer can
//! win; the claim counts the attempt and holds a lease, so a job whose worker died is claimed
//! again when the lease runs out. When a job is due and how long to wait are
//! `email::retry`'s rules.

use jiff::Timestamp;
use sqlx::any::AnyRow;

use super::Store;
use super::error::StoreResult;
use super::ids::AccountId;
use super::row::{self, StoredWord};

/// Where a job stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EmailStatus {
    /// Waiting for its next attempt.
    Pending,
    /// Claimed by a worker until its lease ends.
    Sending,
    /// The SMTP server accepted it.
    Sent,
    /// Given up: a permanent refusal, or the last attempt failed.
    Failed,
}

impl StoredWord for EmailStatus {
    fn as_stored(&self) -> &'static str {
        match self {
            EmailStatus::Pending => "pending",
            EmailStatus::Sending => "sending",
            EmailStatus::Sent => "sent",
            EmailStatus::Failed => "failed",
        }
    }

    fn from_stored(word: &str) -> Option<Self> {
        [
            EmailStatus::Pending,
            EmailStatus::Sending,
            EmailStatus::Sent,
            EmailStatus::Failed,
        ]
        .into_iter()
        .find(|status| status.as_stored() == word)
    }
}

impl EmailStatus {
    pub fn as_str(self) -> &'static str {
        self.as_stored()
    }
}

/// A file attached to an email.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EmailAttachment {
    pub name: String,
    /// Its full content type, e.g. `text/calendar; method=REQUEST; charset=utf-8`.
    pub content_type: String,
    pub content: String,
}

/// An email to enqueue, rendered.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewEmail {
    pub account_id: AccountId,
    /// Unique: a second enqueue with the same key is a no-op.
    pub idempotency_key: String,
    /// Which email (`email::EmailKind`'s word).
    pub kind: String,
    pub to_address: String,
    pub to_name: Option<String>,
    pub subject: String,
    pub body: String,
    pub attachment: Option<EmailAttachment>,
}

/// A job.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EmailJob {
    pub id: String,
    pub account_id: AccountId,
    pub idempotency_key: String,
    pub kind: String,
    pub to_address: String,
    pub to_name: Option<String>,
    pub subject: String,
    pub body: String,
    pub attachment: Option<EmailAttachment>,
    pub status: EmailStatus,
    /// Attempts claimed so far.
    pub attempts: u32,
    pub next_attempt_at: Timestamp,
    pub claimed_until: Option<Timestamp>,
    /// Why the last attempt failed, with the server's reply code when it gave one.
    pub last_error: Option<String>,
    pub smtp_code: Option<u16>,
    pub sent_at: Option<Timestamp>,
    pub created_at: Timestamp,
}

macro_rules! job_columns {
    () => {
        "id, account_id, idempotency_key, kind, to_address, to_name, subject, body, \
         attachment_name, attachment_type, attachment, status, attempts, next_attempt_at, \
         claimed_until, last_error, smtp_code, sent_at, created_at"
    };
}

/// A job a worker may claim at `$1`: pending and due, or claimed under a lease that ran out.
macro_rules! claimable {
    () => {
        "((status = 'pending' AND next_attempt_at <= $1) OR (status = 'sending' AND claimed_until <= $1))"
    };
}

fn from_row(row: &AnyRow) -> StoreResult<EmailJob> {
    let attachment = match (
        row::opt_text(row, "attachment_name")?,
        row::opt_text(row, "attachment_type")?,
        row::opt_text(row, "attachment")?,
    ) {
        (Some(name), Some(content_type), Some(content)) => Some(EmailAttachment {
            name,
            content_type,
            content,
        }),
        _ => None,
    };
    Ok(EmailJob {
        id: row::text(row, "id")?,
        account_id: AccountId::from(row::text(row, "account_id")?),
        idempotency_key: row::text(row, "idempotency_key")?,
        kind: row::text(row, "kind")?,
        to_address: row::text(row, "to_address")?,
        to_name: row::opt_text(row, "to_name")?,
        subject: row::text(row, "subject")?,
        body: row::text(row, "body")?,
        attachment,
        status: row::word(row, "status")?,
        attempts: row::count(row, "attempts")?,
        next_attempt_at: row::instant(row, "next_attempt_at")?,
        claimed_until: row::opt_instant(row, "claimed_until")?,
        last_error: row::opt_text(row, "last_error")?,
        smtp_code: row::opt_count(row, "smtp_code")?,
        sent_at: row::opt_instant(row, "sent_at")?,
        created_at: row::instant(row, "created_at")?,
    })
}

impl Store {
    /// Enqueues `new`, due at `now`, unless a job with its idempotency key exists. The job
    /// under that key, and whether this call wrote it.
    pub async fn enqueue_email(&self, new: NewEmail, now: Timestamp) -> StoreResult<(EmailJob, bool)> {
        let now_ms = row::millis(row::stored_precision(now));
        let attachment = new.attachment.as_ref();
        let done = sqlx::query(
            "INSERT INTO email_outbox (id, account_id, idempotency_key, kind, to_address, to_name, \
             subject, body, attachment_name, attachment_type, attachment, status, attempts, \
             next_attempt_at, created_at, updated_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, 'pending', 0, $12, $12, $12) \
             ON CONFLICT (idempotency_key) DO NOTHING",
        )
        .bind(uuid::Uuid::now_v7().to_string())
        .bind(new.account_id.as_str())
        .bind(&new.idempotency_key)
        .bind(&new.kind)
        .bind(&new.to_address)
        .bind(new.to_name.as_deref())
        .bind(&new.subject)
        .bind(&new.body)
        .bind(attachment.map(|a| a.name.as_str()))
        .bind(attachment.map(|a| a.content_type.as_str()))
        .bind(attachment.map(|a| a.content.as_str()))
        .bind(now_ms)
        .execute(&self.pool)
        .await?;
        let job = self.email_job_by_key(&new.idempotency_key).await?;
        Ok((job, done.rows_affected() == 1))
    }

    /// The job under `key`.
    pub async fn email_job_by_key(&self, key: &str) -> StoreResult<EmailJob> {
        let row = sqlx::query(concat!(
            "SELECT ",
            job_columns!(),
            " FROM email_outbox WHERE idempotency_key = $1"
        ))
        .bind(key)
        .fetch_optional(&self.pool)
        .await?;
        row::required(row, "email job", from_row)
    }

    /// The job `id`.
    pub async fn email_job(&self, id: &str) -> StoreResult<EmailJob> {
        let row = sqlx::query(concat!(
            "SELECT ",
            job_columns!(),
            " FROM email_outbox WHERE id = $1"
        ))
        .bind(id)
        .fetch_optional(&self.pool)
        .await?;
        row::required(row, "email job", from_row)
    }

    /// The account's jobs, oldest first.
    pub async fn email_jobs(&self, account_id: &AccountId) -> StoreResult<Vec<EmailJob>> {
        let rows = sqlx::query(concat!(
            "SELECT ",
            job_columns!(),
            " FROM email_outbox WHERE account_id = $1 ORDER BY created_at, id"
        ))
        .bind(account_id.as_str())
        .fetch_all(&self.pool)
        .await?;
        row::all(rows, from_row)
    }

    /// Claims up to `limit` jobs due at `now` until `lease_until`: each marked `sending` with
    /// its attempt counted by an `UPDATE` only one claimant wins. The claimed jobs, as claimed.
    pub async fn claim_due_emails(
        &self,
        now: Timestamp,
        lease_until: Timestamp,
        limit: u32,
    ) -> StoreResult<Vec<EmailJob>> {
        let now_ms = row::millis(now);
        let candidates = sqlx::query(concat!(
            "SELECT id FROM email_outbox WHERE ",
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
                "UPDATE email_outbox SET status = 'sending', attempts = attempts + 1, \
                 claimed_until = $3, updated_at = $1 WHERE id = $2 AND ",
                claimable!()
            ))
            .bind(now_ms)
            .bind(&id)
            .bind(row::millis(lease_until))
            .execute(&self.pool)
            .await?;
            if won.rows_affected() == 1 {
                claimed.push(self.email_job(&id).await?);
            }
        }
        Ok(claimed)
    }

    /// The server accepted the claimed job's message.
    pub async fn mark_email_sent(&self, id: &str, now: Timestamp) -> StoreResult<()> {
        sqlx::query(
            "UPDATE email_outbox SET status = 'sent', sent_at = $2, claimed_until = NULL, \
             updated_at = $2 WHERE id = $1",
        )
        .bind(id)
        .bind(row::millis(now))
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    /// The claimed job's attempt failed (`why`, the server's `code`): pending again from
    /// `next_attempt_at`.
    pub async fn retry_email_at(
        &self,
        id: &str,
        next_attempt_at: Timestamp,
        why: &str,
        code: Option<u16>,
        now: Timestamp,
    ) -> StoreResult<()> {
        sqlx::query(
            "UPDATE email_outbox SET status = 'pending', next_attempt_at = $2, last_error = $3, \
             smtp_code = $4, claimed_until = NULL, updated_at = $5 WHERE id = $1 AND status = 'sending'",
        )
        .bind(id)
        .bind(row::millis(row::stored_precision(next_attempt_at)))
        .bind(why)
        .bind(code.map(i64::from))
        .bind(row::millis(now))
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    /// The job ends unsent, with the reason and the server's code if it gave one.
    pub async fn fail_email(
        &self,
        id: &str,
        why: &str,
        code: Option<u16>,
        now: Timestamp,
    ) -> StoreResult<()> {
        sqlx::query(
            "UPDATE email_outbox SET status = 'failed', last_error = $2, smtp_code = $3, \
             claimed_until = NULL, updated_at = $4 WHERE id = $1",
        )
        .bind(id)
        .bind(why)
        .bind(code.map(i64::from))
        .bind(row::millis(now))
        .execute(&self.pool)
        .await?;
        Ok(())
    }
}
