//! Bookings written back to the hosts' writable CalDAV calendars, as background jobs
//! (`calendar_writes`, migration 0041).
//!
//! Built like the webhook deliveries (`webhook_deliveries`): one row per (booking change,
//! source), written once by its idempotency key (`INSERT … ON CONFLICT DO NOTHING`); a worker
//! claims a due job with one conditional `UPDATE` only one writer can win, counting the attempt
//! and holding a lease. A job is claimable only once every earlier job for the same event
//! (source and href) is settled, so a booking, its move and its cancellation reach the
//! calendar in that order even when one of them had to wait for a retry. What to send and what
//! an answer means are `calendar_sources::writeback`'s rules.

use jiff::Timestamp;
use sqlx::any::AnyRow;

use super::Store;
use super::calendar_sources::CalendarSource;
use super::error::StoreResult;
use super::ids::{AccountId, HostId};
use super::row::{self, StoredWord};

/// What a job does to the event.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum WriteAction {
    /// Writes the event (made or moved).
    Put,
    /// Removes it (cancelled).
    Delete,
}

impl StoredWord for WriteAction {
    fn as_stored(&self) -> &'static str {
        match self {
            WriteAction::Put => "put",
            WriteAction::Delete => "delete",
        }
    }

    fn from_stored(word: &str) -> Option<Self> {
        match word {
            "put" => Some(WriteAction::Put),
            "delete" => Some(WriteAction::Delete),
            _ => None,
        }
    }
}

/// Where a job stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum WriteStatus {
    /// Waiting for its next attempt (or for an earlier job of the same event).
    Pending,
    /// Claimed by a worker until its lease ends.
    Sending,
    /// The calendar took it.
    Done,
    /// Given up, with the reason.
    Failed,
}

impl StoredWord for WriteStatus {
    fn as_stored(&self) -> &'static str {
        match self {
            WriteStatus::Pending => "pending",
            WriteStatus::Sending => "sending",
            WriteStatus::Done => "done",
            WriteStatus::Failed => "failed",
        }
    }

    fn from_stored(word: &str) -> Option<Self> {
        [
            WriteStatus::Pending,
            WriteStatus::Sending,
            WriteStatus::Done,
            WriteStatus::Failed,
        ]
        .into_iter()
        .find(|status| status.as_stored() == word)
    }
}

/// A job to enqueue.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewCalendarWrite {
    pub account_id: AccountId,
    pub source_id: String,
    pub booking_id: String,
    /// The change, in a word (`created`, `rescheduled`, `cancelled`): part of the key.
    pub change: &'static str,
    pub action: WriteAction,
    pub href: String,
    /// The calendar object a put sends.
    pub body: Option<String>,
}

impl NewCalendarWrite {
    /// Unique per (booking change, source).
    pub fn idempotency_key(&self) -> String {
        format!("{}:{}:{}", self.booking_id, self.change, self.source_id)
    }
}

/// A job.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CalendarWrite {
    pub id: String,
    pub account_id: AccountId,
    pub source_id: String,
    pub booking_id: String,
    /// `created`, `rescheduled` or `cancelled`.
    pub change: String,
    pub action: WriteAction,
    pub href: String,
    pub body: Option<String>,
    /// The ETag the server gave the event this job wrote.
    pub etag: Option<String>,
    pub status: WriteStatus,
    pub attempts: u32,
    pub next_attempt_at: Timestamp,
    pub last_status_code: Option<u16>,
    pub last_error: Option<String>,
    pub done_at: Option<Timestamp>,
    pub created_at: Timestamp,
}

macro_rules! write_columns {
    () => {
        "id, account_id, source_id, booking_id, change_kind, action, href, body, etag, status, attempts, \
         next_attempt_at, last_status_code, last_error, done_at, created_at"
    };
}

/// A job a worker may claim at `$1`: pending and due (or claimed under a lease that ran out),
/// with no earlier job for the same event still unsettled.
macro_rules! claimable {
    () => {
        "((status = 'pending' AND next_attempt_at <= $1) OR (status = 'sending' AND claimed_until <= $1)) \
         AND NOT EXISTS (SELECT 1 FROM calendar_writes earlier WHERE earlier.source_id = calendar_writes.source_id \
         AND earlier.href = calendar_writes.href AND earlier.id < calendar_writes.id \
         AND earlier.status IN ('pending', 'sending'))"
    };
}

fn from_row(row: &AnyRow) -> StoreResult<CalendarWrite> {
    Ok(CalendarWrite {
        id: row::text(row, "id")?,
        account_id: AccountId::from(row::text(row, "account_id")?),
        source_id: row::text(row, "source_id")?,
        booking_id: row::text(row, "booking_id")?,
        change: row::text(row, "change_kind")?,
        action: row::word(row, "action")?,
        href: row::text(row, "href")?,
        body: row::opt_text(row, "body")?,
        etag: row::opt_text(row, "etag")?,
        status: row::word(row, "status")?,
        attempts: row::count(row, "attempts")?,
        next_attempt_at: row::instant(row, "next_attempt_at")?,
        last_status_code: row::opt_count(row, "last_status_code")?,
        last_error: row::opt_text(row, "last_error")?,
        done_at: row::opt_instant(row, "done_at")?,
        created_at: row::instant(row, "created_at")?,
    })
}

impl Store {
    /// The host's CalDAV sources marked writable.
    pub async fn writable_calendar_sources(
        &self,
        account_id: &AccountId,
        host_id: &HostId,
    ) -> StoreResult<Vec<CalendarSource>> {
        let rows = sqlx::query(
            "SELECT id FROM calendar_sources WHERE account_id = $1 AND host_id = $2 \
             AND kind = 'caldav' AND writable = 1 ORDER BY id",
        )
        .bind(account_id.as_str())
        .bind(host_id.as_str())
        .fetch_all(&self.pool)
        .await?;
        let mut sources = Vec::with_capacity(rows.len());
        for found in rows {
            let id = row::text(&found, "id")?;
            sources.push(self.calendar_source(account_id, &id).await?);
        }
        Ok(sources)
    }

    /// Enqueues each of `writes`, due at `now`, unless its (change, source) was enqueued
    /// before. How many were written now.
    pub async fn enqueue_calendar_writes(
        &self,
        writes: &[NewCalendarWrite],
        now: Timestamp,
    ) -> StoreResult<usize> {
        let now_ms = row::millis(row::stored_precision(now));
        let mut written = 0;
        for write in writes {
            let done = sqlx::query(
                "INSERT INTO calendar_writes (id, account_id, source_id, booking_id, idempotency_key, \
                 change_kind, action, href, body, status, attempts, next_attempt_at, created_at, updated_at) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, 'pending', 0, $10, $10, $10) \
                 ON CONFLICT (idempotency_key) DO NOTHING",
            )
            .bind(uuid::Uuid::now_v7().to_string())
            .bind(write.account_id.as_str())
            .bind(&write.source_id)
            .bind(&write.booking_id)
            .bind(write.idempotency_key())
            .bind(write.change)
            .bind(write.action.as_stored())
            .bind(&write.href)
            .bind(write.body.as_deref())
            .bind(now_ms)
            .execute(&self.pool)
            .await?;
            written += done.rows_affected() as usize;
        }
        Ok(written)
    }

    /// The job `id`.
    pub async fn calendar_write(&self, id: &str) -> StoreResult<CalendarWrite> {
        let row = sqlx::query(concat!(
            "SELECT ",
            write_columns!(),
            " FROM calendar_writes WHERE id = $1"
        ))
        .bind(id)
        .fetch_optional(&self.pool)
        .await?;
        row::required(row, "calendar write", from_row)
    }

    /// The jobs of the source `source_id`, the oldest first.
    pub async fn calendar_writes_of_source(&self, source_id: &str) -> StoreResult<Vec<CalendarWrite>> {
        let rows = sqlx::query(concat!(
            "SELECT ",
            write_columns!(),
            " FROM calendar_writes WHERE source_id = $1 ORDER BY id"
        ))
        .bind(source_id)
        .fetch_all(&self.pool)
        .await?;
        row::all(rows, from_row)
    }

    /// The ETag the last settled put before the job `before_id` left on the event `href` of
    /// the source, if the server gave one.
    pub async fn last_calendar_write_etag(
        &self,
        source_id: &str,
        href: &str,
        before_id: &str,
    ) -> StoreResult<Option<String>> {
        let row = sqlx::query(
            "SELECT etag FROM calendar_writes WHERE source_id = $1 AND href = $2 AND id < $3 \
             AND status = 'done' AND action = 'put' ORDER BY id DESC LIMIT 1",
        )
        .bind(source_id)
        .bind(href)
        .bind(before_id)
        .fetch_optional(&self.pool)
        .await?;
        Ok(match row {
            Some(row) => row::opt_text(&row, "etag")?,
            None => None,
        })
    }

    /// Claims up to `limit` jobs due at `now` for this worker until `lease_until`, the oldest
    /// first: each is marked `sending` and its attempt counted by an `UPDATE` one claimant wins.
    pub async fn claim_due_calendar_writes(
        &self,
        now: Timestamp,
        lease_until: Timestamp,
        limit: u32,
    ) -> StoreResult<Vec<CalendarWrite>> {
        let now_ms = row::millis(now);
        let candidates = sqlx::query(concat!(
            "SELECT id FROM calendar_writes WHERE ",
            claimable!(),
            " ORDER BY id LIMIT $2"
        ))
        .bind(now_ms)
        .bind(i64::from(limit))
        .fetch_all(&self.pool)
        .await?;
        let mut claimed = Vec::new();
        for candidate in candidates {
            let id = row::text(&candidate, "id")?;
            let won = sqlx::query(concat!(
                "UPDATE calendar_writes SET status = 'sending', attempts = attempts + 1, \
                 claimed_until = $3, last_attempt_at = $1, updated_at = $1 WHERE id = $2 AND ",
                claimable!()
            ))
            .bind(now_ms)
            .bind(&id)
            .bind(row::millis(lease_until))
            .execute(&self.pool)
            .await?;
            if won.rows_affected() == 1 {
                claimed.push(self.calendar_write(&id).await?);
            }
        }
        Ok(claimed)
    }

    /// The claimed job is done: the server answered `status_code`, with `etag` for a put;
    /// `note` says what was worth knowing (an event written over), kept as `last_error`.
    pub async fn mark_calendar_write_done(
        &self,
        id: &str,
        status_code: u16,
        etag: Option<&str>,
        note: Option<&str>,
        now: Timestamp,
    ) -> StoreResult<()> {
        sqlx::query(
            "UPDATE calendar_writes SET status = 'done', last_status_code = $2, etag = $3, \
             last_error = $5, claimed_until = NULL, done_at = $4, updated_at = $4 \
             WHERE id = $1 AND status = 'sending'",
        )
        .bind(id)
        .bind(i64::from(status_code))
        .bind(etag)
        .bind(row::millis(now))
        .bind(note)
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    /// The claimed job's attempt failed (`why`): pending again from `next_attempt_at`.
    pub async fn retry_calendar_write_at(
        &self,
        id: &str,
        next_attempt_at: Timestamp,
        status_code: Option<u16>,
        why: &str,
        now: Timestamp,
    ) -> StoreResult<()> {
        sqlx::query(
            "UPDATE calendar_writes SET status = 'pending', next_attempt_at = $2, last_status_code = $3, \
             last_error = $4, claimed_until = NULL, updated_at = $5 WHERE id = $1 AND status = 'sending'",
        )
        .bind(id)
        .bind(row::millis(row::stored_precision(next_attempt_at)))
        .bind(status_code.map(i64::from))
        .bind(why)
        .bind(row::millis(now))
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    /// The claimed job is given up, with the reason (and the last answer's status).
    pub async fn fail_calendar_write(
        &self,
        id: &str,
        status_code: Option<u16>,
        why: &str,
        now: Timestamp,
    ) -> StoreResult<()> {
        sqlx::query(
            "UPDATE calendar_writes SET status = 'failed', last_status_code = $2, last_error = $3, \
             claimed_until = NULL, updated_at = $4 WHERE id = $1 AND status = 'sending'",
        )
        .bind(id)
        .bind(status_code.map(i64::from))
        .bind(why)
        .bind(row::millis(now))
        .execute(&self.pool)
        .await?;
        Ok(())
    }
}
