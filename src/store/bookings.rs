//! Bookings as stored, their reference codes, and the reads that need no lock.
//!
//! Writes go through the booking transaction (host_tx.rs); the queries here are shared with it
//! so a booking reads the same inside and outside a transaction.

use jiff::Timestamp;
use rand::Rng;
use sqlx::Any;
use sqlx::any::AnyRow;

use super::Store;
use super::error::StoreResult;
use super::filters::Conditions;
use super::ids::{AccountId, BookingId, ContactId, EventTypeId, HostId};
use super::page::{Page, PageRequest};
use super::row::{self, StoredWord};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BookingStatus {
    Confirmed,
    Cancelled,
    /// Replaced by a newer booking whose `rescheduled_from` points here.
    Rescheduled,
}

impl StoredWord for BookingStatus {
    fn as_stored(&self) -> &'static str {
        match self {
            BookingStatus::Confirmed => "confirmed",
            BookingStatus::Cancelled => "cancelled",
            BookingStatus::Rescheduled => "rescheduled",
        }
    }

    fn from_stored(word: &str) -> Option<Self> {
        match word {
            "confirmed" => Some(BookingStatus::Confirmed),
            "cancelled" => Some(BookingStatus::Cancelled),
            "rescheduled" => Some(BookingStatus::Rescheduled),
            _ => None,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Booking {
    pub id: BookingId,
    pub account_id: AccountId,
    pub host_id: HostId,
    pub event_type_id: EventTypeId,
    pub contact_id: Option<ContactId>,
    /// Short code the agent can read out; unique within the account.
    pub reference: String,
    pub start_at: Timestamp,
    pub end_at: Timestamp,
    /// The buffers in force when it was booked, so later edits of the event type do not move
    /// the busy time around existing bookings.
    pub buffer_before_min: u32,
    pub buffer_after_min: u32,
    pub status: BookingStatus,
    pub invitee_name: String,
    pub invitee_email: Option<String>,
    pub invitee_phone: Option<String>,
    /// The invitee's IANA zone, for confirmations in their local time.
    pub timezone: String,
    pub notes: Option<String>,
    pub idempotency_key: Option<String>,
    pub rescheduled_from: Option<BookingId>,
    pub created_at: Timestamp,
    pub updated_at: Timestamp,
}

/// Which of an account's bookings to list: every filter given must hold.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct BookingFilter {
    pub status: Option<BookingStatus>,
    pub host_id: Option<HostId>,
    pub event_type_id: Option<EventTypeId>,
    pub contact_id: Option<ContactId>,
    /// Bookings starting at or after this instant.
    pub start_from: Option<Timestamp>,
    /// Bookings starting before this instant.
    pub start_to: Option<Timestamp>,
}

macro_rules! booking_columns {
    () => {
        "id, account_id, host_id, event_type_id, contact_id, reference, start_at, end_at, \
         buffer_before_min, buffer_after_min, status, invitee_name, invitee_email, invitee_phone, \
         timezone, notes, idempotency_key, rescheduled_from, created_at, updated_at"
    };
}
pub(crate) use booking_columns;

impl Booking {
    pub(crate) fn from_row(row: &AnyRow) -> StoreResult<Booking> {
        Ok(Booking {
            id: row::text(row, "id")?.into(),
            account_id: row::text(row, "account_id")?.into(),
            host_id: row::text(row, "host_id")?.into(),
            event_type_id: row::text(row, "event_type_id")?.into(),
            contact_id: row::opt_text(row, "contact_id")?.map(ContactId::from),
            reference: row::text(row, "reference")?,
            start_at: row::instant(row, "start_at")?,
            end_at: row::instant(row, "end_at")?,
            buffer_before_min: row::count(row, "buffer_before_min")?,
            buffer_after_min: row::count(row, "buffer_after_min")?,
            status: row::word(row, "status")?,
            invitee_name: row::text(row, "invitee_name")?,
            invitee_email: row::opt_text(row, "invitee_email")?,
            invitee_phone: row::opt_text(row, "invitee_phone")?,
            timezone: row::text(row, "timezone")?,
            notes: row::opt_text(row, "notes")?,
            idempotency_key: row::opt_text(row, "idempotency_key")?,
            rescheduled_from: row::opt_text(row, "rescheduled_from")?.map(BookingId::from),
            created_at: row::instant(row, "created_at")?,
            updated_at: row::instant(row, "updated_at")?,
        })
    }
}

/// Reference codes avoid characters a caller confuses when one is read out or typed back:
/// no 0/O, 1/I/L, and no U (Crockford's base32 alphabet, https://www.crockford.com/base32.html).
pub const REFERENCE_ALPHABET: &[u8] = b"23456789ABCDEFGHJKMNPQRSTVWXYZ";
pub const REFERENCE_LEN: usize = 6;

/// A random reference; with 30^6 (about 729 million) codes a clash within one account is rare,
/// and the insert retries on one.
pub(crate) fn new_reference() -> String {
    let mut rng = rand::rng();
    (0..REFERENCE_LEN)
        .map(|_| char::from(REFERENCE_ALPHABET[rng.random_range(0..REFERENCE_ALPHABET.len())]))
        .collect()
}

/// A reference as a caller or agent may give it back ("k7m 4px", "K7M-4PX"), in stored form:
/// separators dropped, letters uppercased.
pub fn normalize_reference(spoken: &str) -> String {
    spoken
        .chars()
        .filter(char::is_ascii_alphanumeric)
        .map(|c| c.to_ascii_uppercase())
        .collect()
}

pub(crate) async fn fetch_overlapping<'c, E>(
    executor: E,
    account_id: &AccountId,
    host_id: &HostId,
    from: Timestamp,
    to: Timestamp,
) -> StoreResult<Vec<Booking>>
where
    E: sqlx::Executor<'c, Database = Any>,
{
    let rows = sqlx::query(concat!(
        "SELECT ",
        booking_columns!(),
        " FROM bookings WHERE account_id = $1 AND host_id = $2 AND status = 'confirmed' \
         AND end_at > $3 AND start_at < $4 ORDER BY start_at"
    ))
    .bind(account_id.as_str())
    .bind(host_id.as_str())
    .bind(row::millis(from))
    .bind(row::millis(to))
    .fetch_all(executor)
    .await?;
    row::all(rows, Booking::from_row)
}

pub(crate) async fn fetch_by_idempotency_key<'c, E>(
    executor: E,
    account_id: &AccountId,
    key: &str,
) -> StoreResult<Option<Booking>>
where
    E: sqlx::Executor<'c, Database = Any>,
{
    let row = sqlx::query(concat!(
        "SELECT ",
        booking_columns!(),
        " FROM bookings WHERE account_id = $1 AND idempotency_key = $2"
    ))
    .bind(account_id.as_str())
    .bind(key)
    .fetch_optional(executor)
    .await?;
    row::optional(row, Booking::from_row)
}

pub(crate) async fn fetch_by_id<'c, E>(
    executor: E,
    account_id: &AccountId,
    id: &BookingId,
) -> StoreResult<Booking>
where
    E: sqlx::Executor<'c, Database = Any>,
{
    let row = sqlx::query(concat!(
        "SELECT ",
        booking_columns!(),
        " FROM bookings WHERE account_id = $1 AND id = $2"
    ))
    .bind(account_id.as_str())
    .bind(id.as_str())
    .fetch_optional(executor)
    .await?;
    row::required(row, "booking", Booking::from_row)
}

impl Store {
    pub async fn booking(&self, account_id: &AccountId, id: &BookingId) -> StoreResult<Booking> {
        fetch_by_id(&self.pool, account_id, id).await
    }

    /// The booking a caller names by its reference, in any case and with any separators.
    pub async fn booking_by_reference(
        &self,
        account_id: &AccountId,
        reference: &str,
    ) -> StoreResult<Option<Booking>> {
        let row = sqlx::query(concat!(
            "SELECT ",
            booking_columns!(),
            " FROM bookings WHERE account_id = $1 AND reference = $2"
        ))
        .bind(account_id.as_str())
        .bind(normalize_reference(reference))
        .fetch_optional(&self.pool)
        .await?;
        row::optional(row, Booking::from_row)
    }

    /// The host's confirmed bookings whose bare meeting time `[start_at, end_at)` overlaps
    /// `[from, to)`, by start. Buffers are not applied: widen the window by the largest buffer
    /// you care about and apply each booking's own buffers yourself.
    ///
    /// Without a lock the answer can be stale by the time you act on it; to book, use the same
    /// query inside `Store::begin_host`.
    pub async fn confirmed_bookings_overlapping(
        &self,
        account_id: &AccountId,
        host_id: &HostId,
        from: Timestamp,
        to: Timestamp,
    ) -> StoreResult<Vec<Booking>> {
        fetch_overlapping(&self.pool, account_id, host_id, from, to).await
    }

    /// A page of the account's bookings that pass `filter`, the most recently made first.
    pub async fn bookings(
        &self,
        account_id: &AccountId,
        filter: &BookingFilter,
        page: &PageRequest,
    ) -> StoreResult<Page<Booking>> {
        let mut conditions = Conditions::of_account(account_id);
        conditions.text_eq("status", filter.status.as_ref().map(StoredWord::as_stored));
        conditions.text_eq("host_id", filter.host_id.as_ref().map(HostId::as_str));
        conditions.text_eq(
            "event_type_id",
            filter.event_type_id.as_ref().map(EventTypeId::as_str),
        );
        conditions.text_eq("contact_id", filter.contact_id.as_ref().map(ContactId::as_str));
        conditions.int_range(
            "start_at",
            filter.start_from.map(row::millis),
            filter.start_to.map(row::millis),
        );
        let rows = conditions
            .page_query(booking_columns!(), "bookings", page)
            .fetch_all(&self.pool)
            .await?;
        let bookings = row::all(rows, Booking::from_row)?;
        Ok(Page::from_fetched(bookings, page, |booking| booking.id.as_str()))
    }

    pub async fn booking_by_idempotency_key(
        &self,
        account_id: &AccountId,
        key: &str,
    ) -> StoreResult<Option<Booking>> {
        fetch_by_idempotency_key(&self.pool, account_id, key).await
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn references_use_only_the_alphabet() {
        for _ in 0..1000 {
            let reference = new_reference();
            assert_eq!(reference.len(), REFERENCE_LEN);
            assert!(
                reference.bytes().all(|b| REFERENCE_ALPHABET.contains(&b)),
                "{reference}"
            );
        }
    }

    #[test]
    fn alphabet_has_no_lookalikes_or_repeats() {
        for lookalike in *b"01ILOU" {
            assert!(!REFERENCE_ALPHABET.contains(&lookalike));
        }
        let mut sorted = REFERENCE_ALPHABET.to_vec();
        sorted.sort_unstable();
        sorted.dedup();
        assert_eq!(sorted.len(), REFERENCE_ALPHABET.len());
    }

    #[test]
    fn statuses_round_trip_through_their_stored_words() {
        for status in [
            BookingStatus::Confirmed,
            BookingStatus::Cancelled,
            BookingStatus::Rescheduled,
        ] {
            assert_eq!(BookingStatus::from_stored(status.as_stored()), Some(status));
        }
        assert_eq!(BookingStatus::from_stored("pending"), None);
    }

    proptest! {
        #[test]
        fn spoken_references_normalize_to_the_stored_one(
            reference in "[23456789ABCDEFGHJKMNPQRSTVWXYZ]{6}",
            separators in proptest::collection::vec("[ -]{0,2}", 7),
            lowercase in proptest::collection::vec(any::<bool>(), 6),
        ) {
            let mut spoken = String::new();
            for (i, c) in reference.chars().enumerate() {
                spoken.push_str(&separators[i]);
                spoken.push(if lowercase[i] { c.to_ascii_lowercase() } else { c });
            }
            spoken.push_str(&separators[6]);
            prop_assert_eq!(normalize_reference(&spoken), reference);
        }
    }
}
