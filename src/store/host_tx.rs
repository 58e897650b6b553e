//! The booking transaction: how "no double booking" is enforced by the database itself.
//!
//! `Store::begin_host` opens a transaction whose first statement writes the host's row
//! (`lock_version = lock_version + 1`). From then until commit or rollback, every other booking
//! transaction for the same host waits at that same statement, so "list the host's bookings →
//! decide the slot is free → insert" runs for one host at a time, across every instance sharing
//! the database:
//!
//! * PostgreSQL: the UPDATE takes the row's lock, held to the end of the transaction
//!   (https://www.postgresql.org/docs/current/explicit-locking.html#LOCKING-ROWS). Under READ
//!   COMMITTED each later statement sees everything committed before it, so once the lock is
//!   ours the bookings we list include those of the transaction we waited for. Transactions of
//!   different hosts do not wait for each other.
//! * SQLite: the transaction starts with `BEGIN IMMEDIATE`, which takes the database's single
//!   write lock at once, waiting on the busy timeout if another writer holds it. (A deferred
//!   transaction that read first could not wait: it fails with SQLITE_BUSY when another
//!   connection committed meanwhile; https://www.sqlite.org/lang_transaction.html.) All
//!   booking transactions of the file are serialized, which is what one SQLite file can do.
//!
//! As a second guard, a partial unique index refuses two confirmed bookings of one host with the
//! same start, whatever the caller does. Each insert runs inside a savepoint, so a refused insert
//! (`Conflict`) leaves the transaction usable: on PostgreSQL a failed statement would otherwise
//! abort the whole transaction, and the caller could not even look up the booking an
//! idempotency key already made.
//!
//! Keep the transaction short: begin, read, decide, write, commit. Dropping a `HostTx` without
//! `commit` rolls it back. Two rules for callers:
//!
//! * Make other writes (upserting the contact, logging an activity) before `begin_host` or
//!   after `commit`, not through the `Store` while a `HostTx` is open: on SQLite they would wait
//!   for the write lock this transaction holds and fail with `Busy` after the busy timeout (on
//!   an in-memory store, whose one connection the transaction holds, even reads would wait).
//! * Hold one `HostTx` at a time. Two tasks locking two hosts in opposite orders deadlock;
//!   PostgreSQL breaks that by failing one of them, which surfaces as `Busy`.

use jiff::Timestamp;
use sqlx::{Any, AnyConnection, Connection, Transaction};

use super::Store;
use super::bookings::{self, Booking, BookingStatus, booking_columns};
use super::calendar_busy::{self, ExternalBusy};
use super::error::{Constraint, StoreError, StoreResult};
use super::ids::{AccountId, BookingId, ContactId, EventTypeId, HostId};
use super::row::{self, StoredWord};
use super::validate;

/// A booking to insert; the account and host are the transaction's.
#[derive(Debug, Clone)]
pub struct NewBooking {
    /// Must be an event type of the locked host.
    pub event_type_id: EventTypeId,
    pub contact_id: Option<ContactId>,
    pub start_at: Timestamp,
    pub end_at: Timestamp,
    pub buffer_before_min: u32,
    pub buffer_after_min: u32,
    pub invitee_name: String,
    pub invitee_email: Option<String>,
    /// E.164 when given.
    pub invitee_phone: Option<String>,
    pub timezone: String,
    pub notes: Option<String>,
    /// A key the caller derives from the request (for a tool call, its id); a second insert
    /// with the same key in the account fails with `Conflict(BookingIdempotencyKey)`.
    pub idempotency_key: Option<String>,
    /// The booking this one replaces; mark that one `Rescheduled` in the same transaction.
    pub rescheduled_from: Option<BookingId>,
}

impl NewBooking {
    fn validate(&self) -> StoreResult<()> {
        if self.end_at <= self.start_at {
            return Err(StoreError::invalid("booking", "must end after it starts"));
        }
        validate::not_blank("invitee name", &self.invitee_name)?;
        validate::timezone(&self.timezone)?;
        if let Some(phone) = &self.invitee_phone {
            validate::e164("invitee phone", phone)?;
        }
        if self.idempotency_key.as_deref().is_some_and(str::is_empty) {
            return Err(StoreError::invalid("idempotency key", "must not be empty"));
        }
        Ok(())
    }
}

/// How many fresh reference codes an insert tries before giving up; a clash is rare (see
/// `bookings::new_reference`), several in a row mean something else is wrong.
const REFERENCE_ATTEMPTS: usize = 5;

/// An open booking transaction holding one host's lock.
#[derive(Debug)]
pub struct HostTx {
    tx: Transaction<'static, Any>,
    account_id: AccountId,
    host_id: HostId,
    lock_version: i64,
}

impl Store {
    /// Opens a booking transaction for the host and takes its lock (see the module docs).
    /// `NotFound` when the host is not the account's.
    pub async fn begin_host(&self, account_id: &AccountId, host_id: &HostId) -> StoreResult<HostTx> {
        let mut tx = self.begin_write().await?;
        let row = sqlx::query(
            "UPDATE hosts SET lock_version = lock_version + 1 WHERE account_id = $1 AND id = $2 \
             RETURNING lock_version",
        )
        .bind(account_id.as_str())
        .bind(host_id.as_str())
        .fetch_optional(&mut *tx)
        .await?;
        let lock_version = row::required(row, "host", |row| row::int(row, "lock_version"))?;
        Ok(HostTx {
            tx,
            account_id: account_id.clone(),
            host_id: host_id.clone(),
            lock_version,
        })
    }
}

impl HostTx {
    pub fn account_id(&self) -> &AccountId {
        &self.account_id
    }

    pub fn host_id(&self) -> &HostId {
        &self.host_id
    }

    /// The host's lock version after this transaction's bump: strictly increasing per host
    /// over committed transactions.
    pub fn lock_version(&self) -> i64 {
        self.lock_version
    }

    /// The host's confirmed bookings overlapping `[from, to)` as of now, including those of
    /// transactions that committed while we waited for the lock. Same semantics as
    /// `Store::confirmed_bookings_overlapping`.
    pub async fn confirmed_bookings_overlapping(
        &mut self,
        from: Timestamp,
        to: Timestamp,
    ) -> StoreResult<Vec<Booking>> {
        bookings::fetch_overlapping(&mut *self.tx, &self.account_id, &self.host_id, from, to).await
    }

    /// The host's busy time from its own calendars overlapping `[from, to)`, as last fetched.
    pub async fn external_busy(&mut self, from: Timestamp, to: Timestamp) -> StoreResult<Vec<ExternalBusy>> {
        calendar_busy::fetch_overlapping(&mut *self.tx, &self.host_id, from, to).await
    }

    /// The account's booking made with this key, if any (of any host, in any status).
    pub async fn booking_by_idempotency_key(&mut self, key: &str) -> StoreResult<Option<Booking>> {
        bookings::fetch_by_idempotency_key(&mut *self.tx, &self.account_id, key).await
    }

    /// Inserts a confirmed booking for the locked host with a fresh reference code.
    ///
    /// `Conflict(BookingSlot)` when the host already has a confirmed booking starting then,
    /// `Conflict(BookingIdempotencyKey)` when the key was used, `NotFound` when the event type
    /// is not this host's. After any of these the transaction is still usable.
    pub async fn insert_booking(&mut self, new: NewBooking) -> StoreResult<Booking> {
        new.validate()?;
        let now = row::now();
        let mut booking = Booking {
            id: BookingId::generate(),
            account_id: self.account_id.clone(),
            host_id: self.host_id.clone(),
            event_type_id: new.event_type_id,
            contact_id: new.contact_id,
            reference: String::new(),
            start_at: row::stored_precision(new.start_at),
            end_at: row::stored_precision(new.end_at),
            buffer_before_min: new.buffer_before_min,
            buffer_after_min: new.buffer_after_min,
            status: BookingStatus::Confirmed,
            invitee_name: new.invitee_name,
            invitee_email: new.invitee_email,
            invitee_phone: new.invitee_phone,
            timezone: new.timezone,
            notes: new.notes,
            idempotency_key: new.idempotency_key,
            rescheduled_from: new.rescheduled_from,
            created_at: now,
            updated_at: now,
        };
        for _ in 0..REFERENCE_ATTEMPTS {
            booking.reference = bookings::new_reference();
            match in_savepoint(&mut self.tx, async |conn| insert_row(conn, &booking).await).await {
                Ok(()) => return Ok(booking),
                Err(StoreError::Conflict {
                    constraint: Constraint::BookingReference,
                }) => continue,
                Err(other) => return Err(other),
            }
        }
        Err(StoreError::Conflict {
            constraint: Constraint::BookingReference,
        })
    }

    /// Changes a booking's status; returns the updated row. Freeing time (cancel, reschedule)
    /// works for any booking of the account; confirming one again needs its own host's lock,
    /// and the caller must have checked the slot is still free.
    pub async fn set_booking_status(
        &mut self,
        id: &BookingId,
        status: BookingStatus,
    ) -> StoreResult<Booking> {
        if status == BookingStatus::Confirmed {
            let booking = bookings::fetch_by_id(&mut *self.tx, &self.account_id, id).await?;
            if booking.host_id != self.host_id {
                return Err(StoreError::invalid(
                    "booking",
                    "can only be confirmed under its own host's lock",
                ));
            }
        }
        let account_id = &self.account_id;
        in_savepoint(&mut self.tx, async |conn| {
            let row = sqlx::query(concat!(
                "UPDATE bookings SET status = $1, updated_at = $2 WHERE account_id = $3 AND id = $4 RETURNING ",
                booking_columns!()
            ))
            .bind(status.as_stored())
            .bind(row::millis(row::now()))
            .bind(account_id.as_str())
            .bind(id.as_str())
            .fetch_optional(conn)
            .await?;
            row::required(row, "booking", Booking::from_row)
        })
        .await
    }

    pub async fn commit(self) -> StoreResult<()> {
        self.tx.commit().await?;
        Ok(())
    }

    pub async fn rollback(self) -> StoreResult<()> {
        self.tx.rollback().await?;
        Ok(())
    }
}

/// Runs `write` inside a savepoint of `tx`: a refused write is rolled back alone and leaves
/// `tx` usable (see the module docs).
async fn in_savepoint<T>(
    tx: &mut Transaction<'static, Any>,
    write: impl AsyncFnOnce(&mut AnyConnection) -> StoreResult<T>,
) -> StoreResult<T> {
    let mut savepoint = tx.begin().await?;
    match write(&mut savepoint).await {
        Ok(value) => {
            savepoint.commit().await?;
            Ok(value)
        }
        Err(error) => {
            savepoint.rollback().await?;
            Err(error)
        }
    }
}

/// One statement that also checks the event type is the host's: the SELECT yields no row
/// otherwise, and nothing is inserted.
async fn insert_row(conn: &mut AnyConnection, booking: &Booking) -> StoreResult<()> {
    let done = sqlx::query(concat!(
        "INSERT INTO bookings (",
        booking_columns!(),
        ") SELECT $1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19, $20 \
         FROM event_types WHERE account_id = $2 AND host_id = $3 AND id = $4"
    ))
    .bind(booking.id.as_str())
    .bind(booking.account_id.as_str())
    .bind(booking.host_id.as_str())
    .bind(booking.event_type_id.as_str())
    .bind(booking.contact_id.as_ref().map(ContactId::as_str))
    .bind(&booking.reference)
    .bind(row::millis(booking.start_at))
    .bind(row::millis(booking.end_at))
    .bind(i64::from(booking.buffer_before_min))
    .bind(i64::from(booking.buffer_after_min))
    .bind(booking.status.as_stored())
    .bind(&booking.invitee_name)
    .bind(booking.invitee_email.as_deref())
    .bind(booking.invitee_phone.as_deref())
    .bind(&booking.timezone)
    .bind(booking.notes.as_deref())
    .bind(booking.idempotency_key.as_deref())
    .bind(booking.rescheduled_from.as_ref().map(BookingId::as_str))
    .bind(row::millis(booking.created_at))
    .bind(row::millis(booking.updated_at))
    .execute(conn)
    .await?;
    if done.rows_affected() == 0 {
        return Err(StoreError::NotFound {
            what: "event type of this host",
        });
    }
    Ok(())
}
