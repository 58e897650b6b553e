//! Each host's booking feed: its token as stored (one per host, migration 0038) and the reads the
//! feed is made from (the host's confirmed bookings in a window, each with its meeting type's
//! name, the call it came from and how often it was rescheduled).

use std::collections::HashMap;

use jiff::Timestamp;
use sqlx::any::AnyRow;

use super::Store;
use super::bookings::{Booking, booking_columns};
use super::error::StoreResult;
use super::hosts::lock_host;
use super::ids::{AccountId, BookingId, CallId, HostId};
use super::row;

/// A host's feed token as stored: its public part and the SHA-256 of the whole token.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HostFeed {
    pub host_id: HostId,
    pub account_id: AccountId,
    pub lookup: String,
    pub secret_hash: String,
    pub created_at: Timestamp,
}

impl HostFeed {
    fn from_row(row: &AnyRow) -> StoreResult<HostFeed> {
        Ok(HostFeed {
            host_id: row::text(row, "host_id")?.into(),
            account_id: row::text(row, "account_id")?.into(),
            lookup: row::text(row, "lookup")?,
            secret_hash: row::text(row, "secret_hash")?,
            created_at: row::instant(row, "created_at")?,
        })
    }
}

/// One of the host's bookings as the feed reads it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FeedBooking {
    pub booking: Booking,
    pub event_type_name: String,
    /// The first call that made or changed this booking, if a call did.
    pub call_id: Option<CallId>,
    /// The booking this one was first made as: itself, or the start of its reschedule chain.
    pub first_booking_id: BookingId,
    /// How many times it was moved since it was first made.
    pub reschedules: u32,
}

impl Store {
    /// Gives the host a feed token (replacing the one it had). A host of another account is
    /// `NotFound` and nothing is written.
    pub async fn put_host_feed(
        &self,
        account_id: &AccountId,
        host_id: &HostId,
        lookup: &str,
        secret_hash: &str,
        now: Timestamp,
    ) -> StoreResult<HostFeed> {
        let mut tx = self.begin_write().await?;
        lock_host(&mut tx, account_id, host_id).await?;
        sqlx::query("DELETE FROM host_feeds WHERE host_id = $1")
            .bind(host_id.as_str())
            .execute(&mut *tx)
            .await?;
        let row = sqlx::query(
            "INSERT INTO host_feeds (host_id, account_id, lookup, secret_hash, created_at) \
             VALUES ($1, $2, $3, $4, $5) \
             RETURNING host_id, account_id, lookup, secret_hash, created_at",
        )
        .bind(host_id.as_str())
        .bind(account_id.as_str())
        .bind(lookup)
        .bind(secret_hash)
        .bind(row::millis(now))
        .fetch_one(&mut *tx)
        .await?;
        let feed = HostFeed::from_row(&row)?;
        tx.commit().await?;
        Ok(feed)
    }

    /// Removes the host's feed token: `false` when the account's host had none (or no such host).
    pub async fn delete_host_feed(&self, account_id: &AccountId, host_id: &HostId) -> StoreResult<bool> {
        let done = sqlx::query("DELETE FROM host_feeds WHERE account_id = $1 AND host_id = $2")
            .bind(account_id.as_str())
            .bind(host_id.as_str())
            .execute(&self.pool)
            .await?;
        Ok(done.rows_affected() > 0)
    }

    /// The feed token whose public part is `lookup`.
    pub async fn host_feed_by_lookup(&self, lookup: &str) -> StoreResult<Option<HostFeed>> {
        let row = sqlx::query(
            "SELECT host_id, account_id, lookup, secret_hash, created_at FROM host_feeds WHERE lookup = $1",
        )
        .bind(lookup)
        .fetch_optional(&self.pool)
        .await?;
        row::optional(row, HostFeed::from_row)
    }

    /// The host's bookings overlapping `[from, to)` (of every status: a cancellation changes the
    /// feed too), by start, as the feed reads them.
    pub async fn feed_bookings(
        &self,
        account_id: &AccountId,
        host_id: &HostId,
        from: Timestamp,
        to: Timestamp,
    ) -> StoreResult<Vec<FeedBooking>> {
        let rows = sqlx::query(concat!(
            "SELECT ",
            booking_columns!(),
            ", (SELECT e.name FROM event_types e WHERE e.account_id = bookings.account_id \
                 AND e.id = bookings.event_type_id) AS event_type_name, \
               (SELECT c.id FROM calls c WHERE c.account_id = bookings.account_id \
                 AND c.booking_id = bookings.id ORDER BY c.started_at, c.id LIMIT 1) AS call_id \
             FROM bookings WHERE account_id = $1 AND host_id = $2 \
             AND end_at > $3 AND start_at < $4 ORDER BY start_at, id"
        ))
        .bind(account_id.as_str())
        .bind(host_id.as_str())
        .bind(row::millis(from))
        .bind(row::millis(to))
        .fetch_all(&self.pool)
        .await?;
        let chains = self.reschedule_chains(account_id, host_id, from, to).await?;
        rows.iter()
            .map(|row| {
                let booking = Booking::from_row(row)?;
                let (first_booking_id, reschedules) = chains
                    .get(&booking.id)
                    .cloned()
                    .unwrap_or_else(|| (booking.id.clone(), 0));
                Ok(FeedBooking {
                    event_type_name: row::opt_text(row, "event_type_name")?.unwrap_or_default(),
                    call_id: row::opt_text(row, "call_id")?.map(CallId::from),
                    first_booking_id,
                    reschedules,
                    booking,
                })
            })
            .collect()
    }

    /// For each rescheduled booking of the feed's window, by its id: the booking its chain began
    /// with, and how many moves since. One recursive query walks each chain back to its start.
    async fn reschedule_chains(
        &self,
        account_id: &AccountId,
        host_id: &HostId,
        from: Timestamp,
        to: Timestamp,
    ) -> StoreResult<HashMap<BookingId, (BookingId, u32)>> {
        let rows = sqlx::query(
            "WITH RECURSIVE back (booking_id, current_id, previous_id, moves) AS ( \
                 SELECT id, id, rescheduled_from, 0 FROM bookings \
                 WHERE account_id = $1 AND host_id = $2 AND status = 'confirmed' \
                 AND end_at > $3 AND start_at < $4 AND rescheduled_from IS NOT NULL \
               UNION ALL \
                 SELECT back.booking_id, b.id, b.rescheduled_from, back.moves + 1 \
                 FROM back JOIN bookings b ON b.account_id = $1 AND b.id = back.previous_id \
             ) \
             SELECT booking_id, current_id, CAST(moves AS BIGINT) AS moves FROM back \
             WHERE previous_id IS NULL",
        )
        .bind(account_id.as_str())
        .bind(host_id.as_str())
        .bind(row::millis(from))
        .bind(row::millis(to))
        .fetch_all(&self.pool)
        .await?;
        rows.iter()
            .map(|row| {
                Ok((
                    row::text(row, "booking_id")?.into(),
                    (row::text(row, "current_id")?.into(), row::count(row, "moves")?),
                ))
            })
            .collect()
    }
}
