//! Cancelling a booking the caller names by reference. Idempotent: cancelling a cancelled
//! booking answers [`Cancelled::Earlier`] and writes nothing. A booking that was moved, or whose
//! start has passed, cannot be cancelled.

use jiff::Timestamp;

use crate::store::{BookingStatus, Store};

use super::activity::{self, Change};
use super::error::BookingError;
use super::lookup::{find, find_by_reference};
use super::outcome::{Appointment, Cancelled};
use super::scope::Scope;

/// Cancels the booking with `reference` as of `now`, whatever its meeting type.
pub async fn cancel(
    store: &Store,
    scope: &Scope,
    reference: &str,
    now: Timestamp,
) -> Result<Cancelled, BookingError> {
    let Appointment { booking, event_type } = find_by_reference(store, scope, reference).await?;
    match booking.status {
        BookingStatus::Cancelled => {
            return Ok(Cancelled::Earlier(Appointment { booking, event_type }));
        }
        BookingStatus::Rescheduled => return Err(BookingError::AlreadyMoved),
        BookingStatus::Confirmed => {}
    }
    if booking.start_at <= now {
        return Err(BookingError::AlreadyStarted);
    }
    let mut tx = store.begin_host(&scope.account_id, &booking.host_id).await?;
    // Read again under the lock: a concurrent cancel or reschedule may have won.
    let still_confirmed = tx
        .confirmed_bookings_overlapping(booking.start_at, booking.end_at)
        .await?
        .iter()
        .any(|confirmed| confirmed.id == booking.id);
    if !still_confirmed {
        tx.rollback().await?;
        let current = find(store, scope, &booking.reference).await?;
        return match current.status {
            BookingStatus::Cancelled => Ok(Cancelled::Earlier(Appointment {
                booking: current,
                event_type,
            })),
            _ => Err(BookingError::AlreadyMoved),
        };
    }
    let cancelled = tx
        .set_booking_status(&booking.id, BookingStatus::Cancelled)
        .await?;
    tx.commit().await?;
    let cancelled = Appointment {
        booking: cancelled,
        event_type,
    };
    activity::record(store, scope, &cancelled, Change::Cancelled).await;
    Ok(Cancelled::Now(cancelled))
}
