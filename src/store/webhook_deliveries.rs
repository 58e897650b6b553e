//! Outgoing webhook deliveries, as background jobs (`webhook_deliveries`, migration 0037).
//!
//! Built like the SMS outbox (`sms_outbox`): one row per (event, endpoint), written once by its
//! idempotency key (`INSERT … ON CONFLICT DO NOTHING`: an event published twice, by a retry or
//! a second instance, enqueues nothing more); a worker claims a due delivery with one
//! conditional `UPDATE` only one writer can win, counting the attempt and holding a lease, so a
//! delivery whose worker died is claimed again once the lease runs out. When a delivery is due
//! and how long to wait are `webhooks::retry`'s rules.

use jiff::Timestamp;
use sqlx::any::AnyRow;

use super::Store;
use super::error::StoreResult;
use super::filters::Conditions;
use super::ids::AccountId;
use super::page::{Page, PageRequest};
use super::row::{self, StoredWord};

/// Where a delivery stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DeliveryStatus {
    /// Waiting for its next attempt.
    Pending,
    /// Claimed by a worker until its lease ends.
    Sending,
    /// The endpoint answered 2xx.
    Delivered,
    /// Given up: the last attempt failed, or the endpoint was disabled.
    Failed,
}

impl StoredWord for DeliveryStatus {
    fn as_stored(&self) -> &'static str {
        match self {
            DeliveryStatus::Pending => "pending",
            DeliveryStatus::Sending => "sending",
            DeliveryStatus::Delivered => "delivered",
            DeliveryStatus::Failed => "failed",
        }
    }

    fn from_stored(word: &str) -> Option<Self> {
        [
            DeliveryStatus::Pending,
            DeliveryStatus::Sending,
            DeliveryStatus::Delivered,
            DeliveryStatus::Failed,
        ]
        .into_iter()
        .find(|status| status.as_stored() == word)
    }
}

impl DeliveryStatus {
    pub fn as_str(self) -> &'static str {
        self.as_stored()
    }
}

/// A delivery to enqueue.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewDelivery {
    pub account_id: AccountId,
    pub endpoint_id: String,
    pub event_id: String,
    pub event_type: String,
    /// The body every attempt sends, as is.
    pub payload: String,
}

impl NewDelivery {
    /// Unique per (event, endpoint).
    pub fn idempotency_key(&self) -> String {
        format!("{}:{}", self.event_id, self.endpoint_id)
    }
}

/// A delivery.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WebhookDelivery {
    pub id: String,
    pub account_id: AccountId,
    pub endpoint_id: String,
    pub event_id: String,
    pub event_type: String,
    pub payload: String,
    pub status: DeliveryStatus,
    /// Attempts claimed so far.
    pub attempts: u32,
    pub next_attempt_at: Timestamp,
    pub claimed_until: Option<Timestamp>,
    /// The HTTP status of the last answer, if one came.
    pub last_status_code: Option<u16>,
    /// Why the last attempt failed.
    pub last_error: Option<String>,
    pub last_attempt_at: Option<Timestamp>,
    pub delivered_at: Option<Timestamp>,
    pub created_at: Timestamp,
}

macro_rules! delivery_columns {
    () => {
        "id, account_id, endpoint_id, event_id, event_type, payload, status, attempts, \
         next_attempt_at, claimed_until, last_status_code, last_error, last_attempt_at, \
         delivered_at, created_at"
    };
}

/// A delivery a worker may claim at `$1`: pending and due, or claimed under a lease that ran out.
macro_rules! claimable {
    () => {
        "((status = 'pending' AND next_attempt_at <= $1) OR (status = 'sending' AND claimed_until <= $1))"
    };
}

fn from_row(row: &AnyRow) -> StoreResult<WebhookDelivery> {
    Ok(WebhookDelivery {
        id: row::text(row, "id")?,
        account_id: AccountId::from(row::text(row, "account_id")?),
        endpoint_id: row::text(row, "endpoint_id")?,
        event_id: row::text(row, "event_id")?,
        event_type: row::text(row, "event_type")?,
        payload: row::text(row, "payload")?,
        status: row::word(row, "status")?,
        attempts: row::count(row, "attempts")?,
        next_attempt_at: row::instant(row, "next_attempt_at")?,
        claimed_until: row::opt_instant(row, "claimed_until")?,
        last_status_code: row::opt_count(row, "last_status_code")?,
        last_error: row::opt_text(row, "last_error")?,
        last_attempt_at: row::opt_instant(row, "last_attempt_at")?,
        delivered_at: row::opt_instant(row, "delivered_at")?,
        created_at: row::instant(row, "created_at")?,
    })
}

impl Store {
    /// Enqueues each of `deliveries`, due at `now`, unless its (event, endpoint) was enqueued
    /// before. How many were written now.
    pub async fn enqueue_webhook_deliveries(
        &self,
        deliveries: &[NewDelivery],
        now: Timestamp,
    ) -> StoreResult<usize> {
        let now_ms = row::millis(row::stored_precision(now));
        let mut written = 0;
        for delivery in deliveries {
            let done = sqlx::query(
                "INSERT INTO webhook_deliveries (id, account_id, endpoint_id, idempotency_key, event_id, \
                 event_type, payload, status, attempts, next_attempt_at, created_at, updated_at) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7, 'pending', 0, $8, $8, $8) \
                 ON CONFLICT (idempotency_key) DO NOTHING",
            )
            .bind(uuid::Uuid::now_v7().to_string())
            .bind(delivery.account_id.as_str())
            .bind(&delivery.endpoint_id)
            .bind(delivery.idempotency_key())
            .bind(&delivery.event_id)
            .bind(&delivery.event_type)
            .bind(&delivery.payload)
            .bind(now_ms)
            .execute(&self.pool)
            .await?;
            written += done.rows_affected() as usize;
        }
        Ok(written)
    }

    /// The delivery `id`, whatever its account (for the worker).
    pub async fn webhook_delivery(&self, id: &str) -> StoreResult<WebhookDelivery> {
        let row = sqlx::query(concat!(
            "SELECT ",
            delivery_columns!(),
            " FROM webhook_deliveries WHERE id = $1"
        ))
        .bind(id)
        .fetch_optional(&self.pool)
        .await?;
        row::required(row, "webhook delivery", from_row)
    }

    /// A page of the deliveries to the account's endpoint `endpoint_id`, the newest first.
    pub async fn webhook_deliveries(
        &self,
        account_id: &AccountId,
        endpoint_id: &str,
        page: &PageRequest,
    ) -> StoreResult<Page<WebhookDelivery>> {
        let mut conditions = Conditions::of_account(account_id);
        conditions.text_eq("endpoint_id", Some(endpoint_id));
        let rows = conditions
            .page_query(delivery_columns!(), "webhook_deliveries", page)
            .fetch_all(&self.pool)
            .await?;
        let deliveries = row::all(rows, from_row)?;
        Ok(Page::from_fetched(deliveries, page, |delivery| {
            delivery.id.as_str()
        }))
    }

    /// Claims up to `limit` deliveries due at `now` for this worker until `lease_until`: each
    /// one is marked `sending` and its attempt counted by an `UPDATE` only one claimant wins.
    /// The claimed deliveries, as claimed.
    pub async fn claim_due_webhook_deliveries(
        &self,
        now: Timestamp,
        lease_until: Timestamp,
        limit: u32,
    ) -> StoreResult<Vec<WebhookDelivery>> {
        let now_ms = row::millis(now);
        let candidates = sqlx::query(concat!(
            "SELECT id FROM webhook_deliveries WHERE ",
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
                "UPDATE webhook_deliveries SET status = 'sending', attempts = attempts + 1, \
                 claimed_until = $3, last_attempt_at = $1, updated_at = $1 WHERE id = $2 AND ",
                claimable!()
            ))
            .bind(now_ms)
            .bind(&id)
            .bind(row::millis(lease_until))
            .execute(&self.pool)
            .await?;
            if won.rows_affected() == 1 {
                claimed.push(self.webhook_delivery(&id).await?);
            }
        }
        Ok(claimed)
    }

    /// The claimed delivery's endpoint answered `status_code` (a 2xx).
    pub async fn mark_webhook_delivered(
        &self,
        id: &str,
        status_code: u16,
        now: Timestamp,
    ) -> StoreResult<()> {
        sqlx::query(
            "UPDATE webhook_deliveries SET status = 'delivered', last_status_code = $2, last_error = NULL, \
             claimed_until = NULL, delivered_at = $3, updated_at = $3 WHERE id = $1 AND status = 'sending'",
        )
        .bind(id)
        .bind(i64::from(status_code))
        .bind(row::millis(now))
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    /// The claimed delivery's attempt failed (`why`, with the answer's status if one came):
    /// pending again from `next_attempt_at`.
    pub async fn retry_webhook_delivery_at(
        &self,
        id: &str,
        next_attempt_at: Timestamp,
        status_code: Option<u16>,
        why: &str,
        now: Timestamp,
    ) -> StoreResult<()> {
        sqlx::query(
            "UPDATE webhook_deliveries SET status = 'pending', next_attempt_at = $2, last_status_code = $3, \
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

    /// The claimed delivery is given up, with the reason (and the last answer's status).
    pub async fn fail_webhook_delivery(
        &self,
        id: &str,
        status_code: Option<u16>,
        why: &str,
        now: Timestamp,
    ) -> StoreResult<()> {
        sqlx::query(
            "UPDATE webhook_deliveries SET status = 'failed', last_status_code = $2, last_error = $3, \
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
